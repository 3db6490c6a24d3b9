"""Claims follow the numbers: on dish photos with busy backgrounds (tablecloths, tables, real
photos from scikit-image) the food/background split is marked invalid and no sentence rests on it;
with a random-weight model no method is said to beat the random map; a head with more outputs than
the data's labels and a stray file run the whole report."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image

from helpers.pdf.language import keep_language

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "measures"))
from measures_testutils import checkered_cloth, paste, plate_on_table, synthetic_food, wooden_table  # noqa: E402

pytestmark = pytest.mark.slow


def busy_photo(kind: int, seed: int, size: int = 64) -> np.ndarray:
    """(H, W, 3) in [0, 1]: food on a checkered cloth, a wooden table or a coloured plate, or a real
    busy photo from scikit-image."""
    import skimage.data
    from skimage.transform import resize

    if kind == 3:
        real = [skimage.data.coffee(), skimage.data.chelsea(), skimage.data.astronaut()][seed % 3]
        return resize(real, (size, size), anti_aliasing=True)
    food, mask = synthetic_food(size, size, seed=seed)
    backdrop = [checkered_cloth, wooden_table, lambda *a, **k: plate_on_table(*a, **k)[0]][kind](size, size, seed=seed)
    return paste(food, mask, backdrop).transpose(1, 2, 0)


@pytest.fixture(scope="module")
def busy_kit(tmp_path_factory, tiny_kit):
    root = tmp_path_factory.mktemp("busy")
    data = root / "food11"
    for split in ("training", "validation", "evaluation"):
        (data / split).mkdir(parents=True)
        for n in range(12):
            label = n % 3
            image = (busy_photo(n % 4, seed=n) * 255).astype(np.uint8)
            Image.fromarray(image).save(data / split / f"{label}_{n}.jpg", quality=95)
    (data / "evaluation" / "99_0.jpg").write_bytes((data / "evaluation" / "0_0.jpg").read_bytes())  # a stray label
    (data / "classes.json").write_text(json.dumps({"names": tiny_kit.CLASS_NAMES}), encoding="utf-8")
    checkpoint = tiny_kit.make_classic_checkpoint(root / "wide.pth", num_classes=5)  # 5 outputs, 3 labels
    # n_measure=6: the six shown images, all marked invalid (at 32 px the colour rule accepts 3 of the 6 others)
    params = tiny_kit.params(root, data_dir=str(data), checkpoint=str(checkpoint), n_images=6, n_measure=6)
    output = root / "busy.ipynb"
    tiny_kit.run_papermill(output, params)
    nb = keep_language(nbformat.read(output, as_version=4), "en")
    return "\n".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", []))


def test_no_food_claim_when_the_split_is_invalid(busy_kit):
    assert "cannot be made on any of the 6 measured images" in busy_kit
    assert not re.search(r"concentrated on the food|lies on food", busy_kit)
    assert "The food/background split holds on none of the explained images" in busy_kit


def test_no_method_is_said_to_beat_random_without_evidence(busy_kit):
    faithfulness = next(line for line in busy_kit.splitlines() if line.startswith("**Answer.** Faithfulness"))
    beaten = re.search(r"(\d+) of (\d+) methods beat the random map", faithfulness)
    if beaten:  # a random-weight model: any method named must come with its interval in the charts
        pytest.fail(f"a random-weight model should not beat random on both curves: {faithfulness}")
    assert "no method beats the random map on both deletion and insertion" in faithfulness
    assert "ranking is inconclusive" in faithfulness


def test_wider_head_and_stray_label_run_the_whole_report(busy_kit):
    assert "Outputs never seen in the data: class 3, class 4." in busy_kit
    assert "1 with a label the model's 5 classes do not include (label 99: `99_0.jpg`)" in busy_kit
    assert "LIME stability" in busy_kit
