"""Fixtures for the report notebook tests: a tiny Food-11-layout folder with a classic-model
checkpoint (random weights, 32 px input), tiny report parameters, and papermill runs of
report.ipynb that several test files share (session scope: each runs once).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

CLASS_NAMES = ["Rice", "Soup", "Egg"]
CLASS_NAMES_ZH = ["米飯", "湯", "蛋"]
CORRUPT = "2_99.jpg"


def make_food11_folder(root: Path, per_class: int = 3, size: int = 40) -> Path:
    """Three classes on a white background (a coloured blob per class), one corrupt file in
    evaluation/, classes.json with English and Chinese names."""
    from PIL import Image

    rng = np.random.default_rng(0)
    colours = [(200, 160, 60), (180, 60, 40), (240, 200, 30)]
    for split in ("training", "validation", "evaluation"):
        folder = root / split
        folder.mkdir(parents=True)
        number = 0
        for label, colour in enumerate(colours):
            for _ in range(per_class):
                image = np.full((size, size, 3), 250, dtype=np.uint8)
                cy, cx = rng.integers(12, size - 12, 2)
                yy, xx = np.mgrid[:size, :size]
                blob = (yy - cy) ** 2 + (xx - cx) ** 2 < rng.integers(40, 120)
                image[blob] = np.clip(np.array(colour) + rng.integers(-30, 30, (blob.sum(), 3)), 0, 255)
                Image.fromarray(image).save(folder / f"{label}_{number}.jpg", quality=95)
                number += 1
    (root / "evaluation" / CORRUPT).write_bytes(b"not a jpeg")
    (root / "classes.json").write_text(json.dumps({"names": CLASS_NAMES, "names_zh-TW": CLASS_NAMES_ZH},
                                                  ensure_ascii=False), encoding="utf-8")
    return root


def make_classic_checkpoint(path: Path, num_classes: int = 3, input_size: int = 32, seed: int = 0) -> Path:
    import torch

    from helpers.models.classic import Food11CNN

    torch.manual_seed(seed)
    torch.save(Food11CNN(num_classes, input_size=input_size).state_dict(), path)
    return path


def tiny_parameters(data_dir: Path, checkpoint: Path, work: Path, overrides: dict) -> dict:
    params = dict(
        data_dir=str(data_dir), model_arch="classic", checkpoint=str(checkpoint), device="cpu",
        smoothgrad_samples=2, lime_samples=10, lime_segments=8, ascent_steps=2, ascent_grid_steps=2,
        n_grid_filters=2, trust_steps=2, trust_random_steps=1, batch_size=8, cache_dir=str(work / "cache"), figures_dir=str(work / "figures"),
    )
    params.update(overrides)
    return params


def run_papermill(output: Path, parameters: dict, timeout: int = 600) -> Path:
    import papermill

    os.environ.setdefault("TQDM_DISABLE", "1")
    papermill.execute_notebook(str(REPO_ROOT / "report.ipynb"), str(output), parameters=parameters,
                               kernel_name="python3", cwd=str(REPO_ROOT), progress_bar=False, log_output=False,
                               execution_timeout=timeout)
    return output


def run_summary(notebook: Path) -> dict:
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and "REPORT_RUN_SUMMARY " in output.get("text", ""):
                return json.loads(output["text"].split("REPORT_RUN_SUMMARY ", 1)[1].splitlines()[0])
    raise AssertionError(f"{notebook} has no run summary")


@pytest.fixture(scope="session")
def tiny_kit(tmp_path_factory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("tiny_report")
    data = make_food11_folder(root / "food11")
    checkpoint = make_classic_checkpoint(root / "classic.pth")
    return SimpleNamespace(root=root, data=data, checkpoint=checkpoint, CLASS_NAMES=CLASS_NAMES,
                           CLASS_NAMES_ZH=CLASS_NAMES_ZH, CORRUPT=CORRUPT,
                           params=lambda work, **kw: tiny_parameters(data, checkpoint, work, kw),
                           make_classic_checkpoint=make_classic_checkpoint, run_papermill=run_papermill, run_summary=run_summary, REPO_ROOT=REPO_ROOT)


@pytest.fixture(scope="session")
def tiny_runs(tiny_kit) -> dict[str, Path]:
    """report.ipynb executed on the tiny fixture in English, then in Chinese (same cache folder:
    the Chinese run must be served entirely from the cache)."""
    work = tiny_kit.root / "runs"
    work.mkdir()
    runs = {}
    for language in ("en", "zh-TW"):
        runs[language] = run_papermill(work / f"report.{language}.ipynb",
                                       tiny_kit.params(work, language=language,
                                                       figures_dir=str(work / f"figures-{language}")))
    return runs


@pytest.fixture(scope="session")
def demo_data_or_skip():
    from helpers.data.default_dataset import DemoDataMissingError, default_data_dir

    try:
        return default_data_dir()
    except DemoDataMissingError as error:
        if os.environ.get("CI"):
            pytest.fail(str(error))
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def user_models(tiny_kit) -> SimpleNamespace:
    """Issue 20's four user models, for tiny report runs on ``tiny_kit.data`` (3 classes):
    ``student`` (own file, state_dict, trained briefly with ImageNet normalisation), ``pickled``
    (a whole pickled StudentNet), ``resnet18`` (an 11-way fc) and ``mobilenet`` (Hardswish, 3-way head);
    also ``efficientnet`` (torchvision's efficientnet_b0: SiLU only, no rectifier, 3-way head).
    Each has ``.params``: pass them on, ``tiny_kit.params(work, **user_models.student.params)``."""
    from tests import user_model_kit as kit

    root = tiny_kit.root / "user_models"
    return SimpleNamespace(student=kit.student_state_dict(root / "student", tiny_kit.data),
                           pickled=kit.student_pickled(root / "pickled", tiny_kit.data),
                           resnet18=kit.torchvision_resnet18(root / "torchvision"),
                           mobilenet=kit.torchvision_mobilenet_v3_small(root / "torchvision"),
                           efficientnet=kit.torchvision_efficientnet_b0(root / "torchvision"))
