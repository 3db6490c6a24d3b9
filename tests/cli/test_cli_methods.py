"""The command on demo photos, every method, on a classic checkpoint and on the default model: the
files exist, the maps are finite, and each map equals what the method's explainer, built as the
report builds it, returns for the same photo, target and seed."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from PIL import Image

from helpers.data.images import load_image
from helpers.explain import GradCAM, GuidedBackprop, GuidedGradCAM, LimeExplainer, Saliency, SmoothGrad
from helpers.explain.photo import METHODS
from helpers.models.layers import default_gradcam_layer
from helpers.models.registry import load_model

# Grad-CAM keeps only positive evidence (its ReLU): on a random 32 px model the last layer's map (1x1)
# may be all negative, and Guided Grad-CAM multiplies by it.
ZERO_ALLOWED = {"gradcam", "guided-gradcam"}
TINY = ("--samples", 3, "--lime-samples", 8, "--lime-segments", 8, "--device", "cpu")


def own_explainers(model, input_size, samples=3, sigma=0.2, seed=0, lime_samples=8, lime_segments=8):
    """Each method's explainer as report.ipynb builds it (sections 1, 3, 4 and 5)."""
    noise = dict(sigma=sigma, n_samples=samples, seed=seed, batch_size=8)
    layer = default_gradcam_layer(model, input_size)
    return {"saliency": Saliency(model, reduction="max_abs"),
            "guided": GuidedBackprop(model, reduction="max_abs"),
            "smoothgrad": SmoothGrad(Saliency(model, reduction="max_abs"), **noise),
            "smoothgrad-guided": SmoothGrad(GuidedBackprop(model, reduction="max_abs"), **noise),
            "gradcam": GradCAM(model, layer),
            "guided-gradcam": GuidedGradCAM(model, layer, reduction="max_abs"),
            "lime": LimeExplainer(model, num_samples=lime_samples, n_segments=lime_segments, random_state=seed,
                                  batch_size=8)}


def top3(out: str, photo) -> list[tuple[str, float]]:
    line = next(line for line in out.splitlines() if line.startswith(f"{photo}: "))
    return [(m.group(1).strip(), float(m.group(2))) for m in re.finditer(r"([^,:]+?) (\d\.\d{3})(?:,|$)",
                                                                   line.split(": ", 1)[1])]


def check_files_and_maps(out_dir, photos, loaded, target=None, batch_size=8, **settings):
    """Every PNG is an image of three panels; every map is finite and equals the explainer's own
    output on the same batch of photos (as the command batches them: on photos with flat white
    backgrounds, max-pooling ties make the last bits depend on the batch's convolution algorithm)."""
    explainers = own_explainers(loaded.model, loaded.input_size, **settings)
    for start in range(0, len(photos), batch_size):
        batch = photos[start:start + batch_size]
        images = torch.stack([load_image(p, loaded.input_size, loaded.resize_mode) for p in batch])
        with torch.no_grad():
            predicted = loaded.model(images).argmax(1)
        targets = predicted if target is None else torch.full_like(predicted, target)
        own = {method: explainer.attribute(images, targets).numpy() for method, explainer in explainers.items()}
        for i, photo in enumerate(batch):
            for method in METHODS:
                png, npy = out_dir / f"{photo.stem}_{method}.png", out_dir / f"{photo.stem}_{method}.npy"
                with Image.open(png) as picture:
                    assert picture.format == "PNG" and picture.width > 3 * picture.height / 2  # three panels
                saved = np.load(npy)
                assert saved.dtype == np.float32 and np.isfinite(saved).all()
                assert np.abs(saved).max() > 0 or method in ZERO_ALLOWED, f"{method} map of {photo.name} is all 0"
                assert saved.shape[-2:] == (loaded.input_size, loaded.input_size)
                np.testing.assert_allclose(saved, own[method][i], rtol=0, atol=1e-6 * np.abs(own[method][i]).max(),
                                           err_msg=f"{method} map of {photo.name} differs from the explainer's own")


def test_every_method_on_a_classic_checkpoint(cli, demo_photos, classic_checkpoint, tmp_path):
    out = tmp_path / "out"
    result = cli(*demo_photos, "--method", "all", "--model-arch", "classic", "--checkpoint", classic_checkpoint,
                 *TINY, "--out", out)
    assert result.status == 0, result.err
    loaded = load_model("classic", classic_checkpoint, device="cpu")
    check_files_and_maps(out, demo_photos, loaded)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{p.stem}_{m}.{ext}" for p in demo_photos
                                                           for m in METHODS for ext in ("png", "npy"))
    for photo in demo_photos:  # a classic checkpoint's classes are "class k"; probabilities in order
        classes = top3(result.out, photo)
        assert len(classes) == 3 and all(re.fullmatch(r"class \d", name) for name, _ in classes)
        p = [prob for _, prob in classes]
        assert p == sorted(p, reverse=True) and 0 < sum(p) <= 1.0005


def test_every_method_on_the_default_model(cli, demo_photos, tmp_path):
    out = tmp_path / "out"
    result = cli(demo_photos[1], "--method", "all", *TINY, "--out", out)
    assert result.status == 0, result.err
    loaded = load_model("default", device="cpu")
    check_files_and_maps(out, demo_photos[1:], loaded)
    names = [name for name, _ in top3(result.out, demo_photos[1])]
    assert len(names) == 3 and set(names) <= set(loaded.class_names)  # the default model's own names


def test_every_method_on_a_torchvision_model_with_its_preprocessing(cli, demo_photos, tmp_path):
    """--normalize, --resize and --input-size reach the model: the maps equal those of the model
    loaded with the same options (and differ without --normalize)."""
    from torchvision.models import resnet18

    torch.manual_seed(0)
    checkpoint = tmp_path / "resnet18.pth"
    torch.save(resnet18(num_classes=4).state_dict(), checkpoint)
    options = dict(checkpoint=checkpoint, input_size=48, normalize={"mean": [0.4, 0.5, 0.6], "std": [0.2, 0.3, 0.25]},
                   resize="center_crop", device="cpu")
    out = tmp_path / "out"
    result = cli(*demo_photos, "--method", "all", "--model-arch", "torchvision:resnet18", "--checkpoint", checkpoint,
                 "--input-size", 48, "--normalize", json.dumps(options["normalize"]), "--resize", "center_crop",
                 *TINY, "--out", out)
    assert result.status == 0, result.err
    check_files_and_maps(out, demo_photos, load_model("torchvision:resnet18", **options))
    plain = load_model("torchvision:resnet18", **{**options, "normalize": "none"})
    with pytest.raises(AssertionError, match="differs from the explainer's own"):
        check_files_and_maps(out, demo_photos, plain)


def test_target_classes_file_and_seed_reach_the_maps(cli, demo_photos, classic_checkpoint, tmp_path):
    classes = tmp_path / "classes.json"
    classes.write_text('{"names": ["Rice", "Soup", "Egg"]}', encoding="utf-8")
    out = tmp_path / "out"
    result = cli(demo_photos[0], "--method", "all", "--model-arch", "classic", "--checkpoint", classic_checkpoint,
                 "--target", 2, "--classes", classes, *TINY, "--seed", 5, "--sigma", 0.3, "--out", out)
    assert result.status == 0, result.err
    loaded = load_model("classic", classic_checkpoint, device="cpu")
    check_files_and_maps(out, demo_photos[:1], loaded, target=2, seed=5, sigma=0.3)
    assert {name for name, _ in top3(result.out, demo_photos[0])} == {"Rice", "Soup", "Egg"}
    assert "explained: Egg" in result.out


def test_photos_go_through_in_batches(cli, demo_photos, classic_checkpoint, tmp_path, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)  # not a terminal: plain lines, whatever make sets
    third = tmp_path / "third.png"
    Image.open(demo_photos[0]).rotate(90, expand=True).save(third)
    photos = [*demo_photos, third]
    out = tmp_path / "out"
    result = cli(*photos, "--method", "all", "--model-arch", "classic", "--checkpoint", classic_checkpoint, *TINY,
                 "--batch-size", 2, "--out", out)
    assert result.status == 0, result.err
    lines = [line.split(" (")[0] for line in result.err.splitlines() if line.startswith("[")]
    assert lines == [f"[{2 * k}/21] {m}: 2 photos" for k, m in enumerate(METHODS, 1)] + \
        [f"[{14 + k}/21] {m}: 1 photo" for k, m in enumerate(METHODS, 1)]
    check_files_and_maps(out, photos, load_model("classic", classic_checkpoint, device="cpu"), batch_size=2)
    from bench.bench_cli import _MAP_LINE  # the benchmark reads the map's time off these lines

    assert len(_MAP_LINE.findall(result.err)) == 14


def test_threads_option_sets_torch_s_threads(cli, demo_photos, classic_checkpoint, tmp_path):
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # not 1 already (make test runs with OMP_NUM_THREADS=1)
    try:
        result = cli(demo_photos[0], "--method", "saliency", "--model-arch", "classic", "--checkpoint",
                     classic_checkpoint, "--threads", 1, "--out", tmp_path / "out")
        assert result.status == 0 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_a_bar_on_a_terminal(cli, demo_photos, classic_checkpoint, tmp_path, monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    result = cli(demo_photos[0], "--method", "saliency,gradcam", "--model-arch", "classic", "--checkpoint",
                 classic_checkpoint, *TINY, "--out", tmp_path / "out")
    assert result.status == 0
    drawn = terminal.getvalue()
    assert "explaining" in drawn and "2/2" in drawn and "\r" in drawn  # tqdm redraws in place
    assert not re.search(r"^\[\d+/\d+\]", drawn, re.M)  # no plain progress lines beside the bar


def test_help_lists_every_option_with_its_default(capsys):
    from helpers.explain.__main__ import build_parser

    parser = build_parser()
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    options = [a for a in parser._actions if a.option_strings and a.dest != "help"]
    assert {o.option_strings[-1] for o in options} >= {
        "--method", "--model-arch", "--checkpoint", "--checkpoint-allow-pickle", "--model-kwargs", "--normalize",
        "--resize", "--input-size", "--channel-order", "--device", "--target", "--samples", "--sigma", "--seed",
        "--out", "--classes", "--layer", "--batch-size", "--threads"}
    for option in options:
        name = option.option_strings[-1]
        block = re.search(re.escape(name) + r"(?: [A-Z_{},a-z]+)? (.*?)(?= --[a-z-]+(?: [A-Z_{]|\s+[A-Z(a-z])|$)",
                          text.split("options:", 1)[1])
        assert block and "(default: " in block.group(1), f"{name} has no default in --help"
        default = option.default if not isinstance(option.default, tuple) else ",".join(option.default)
        assert f"(default: {default})" in block.group(1) or name == "--method"
    assert "(default: smoothgrad-guided)" in text


def test_the_method_defaults_are_the_report_parameters():
    from helpers.explain.photo import MethodSettings
    from helpers.report.params import notebook_parameters

    report, ours = notebook_parameters(), MethodSettings()
    assert (ours.sigma, ours.samples, ours.lime_samples, ours.lime_segments, ours.seed, ours.batch_size) == (
        report["smoothgrad_sigma"], report["smoothgrad_samples"], report["lime_samples"], report["lime_segments"],
        report["seed"], report["batch_size"])
