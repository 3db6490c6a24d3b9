"""The README test's fresh clones: a ``git clone`` of the repository with the real
checkout's ``.venv`` and ``.cache`` linked in (nothing is installed again), and the example
paths the README's commands use (``path/to/food-11``, ``path/to/model.pth``, ...) created in it.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FOOD11_CLASSES = 11  # the README's example ids (3_12, 8_40) are Food-11 labels
EXAMPLE_INPUT_SIZE = 32  # a classic checkpoint at 32 px keeps every run tiny
# Older than any set-up stamp: make sees the linked .venv and .cache as installed for these files.
_BEFORE_SETUP = 946684800  # 2000-01-01


def missing_prerequisite(message: str) -> None:
    """Fail in CI (where `make test` did the set-up), skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _age_files(root: Path) -> None:
    """Date every file of the clone before the set-up: a clone's files are all new, so make would
    otherwise reinstall into the linked .venv (pip over the network) and rebuild the demo data."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.utime(path, (_BEFORE_SETUP, _BEFORE_SETUP))


def head_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


def make_fresh_clone(target: Path, results_cache: Path, commit: str) -> Path:
    """``git clone`` the repository into ``target`` at ``commit`` and link the installed
    environment into it. Every clone of a session takes the same commit (others may commit while
    the test runs): then one clone's cached results serve the next.
    ``.cache``'s entries are linked one by one except ``results``, which goes to
    ``results_cache`` (shared by the test's clones, never the real checkout's)."""
    venv, cache = REPO_ROOT / ".venv", REPO_ROOT / ".cache"
    if not (venv / "bin" / "python").exists():
        missing_prerequisite(f"{venv} is missing: run `make setup-test` in {REPO_ROOT} first")
    if not (cache / "demo_data" / "manifest.json").exists():
        missing_prerequisite(f"the demo data is not installed in {cache}: run `make setup` in {REPO_ROOT} first")
    for tool in ("git", "make", "bash"):
        if not shutil.which(tool):
            missing_prerequisite(f"`{tool}` is not installed; the README's commands need it")
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(REPO_ROOT), str(target)], check=True,
                   capture_output=True)
    subprocess.run(["git", "checkout", "--quiet", commit], cwd=target, check=True, capture_output=True)
    _age_files(target)
    (target / ".venv").symlink_to(venv.resolve(), target_is_directory=True)
    (target / ".cache").mkdir()
    for entry in cache.iterdir():
        if entry.name != "results":
            (target / ".cache" / entry.name).symlink_to(entry.resolve())
    results_cache.mkdir(parents=True, exist_ok=True)
    (target / ".cache" / "results").symlink_to(results_cache, target_is_directory=True)
    return target


def make_food11_folder(root: Path, image_ids: dict[str, list[str]], per_class: int = 2, size: int = 40) -> Path:
    """A Food-11-layout folder: ``per_class`` tiny images of each of the 11 classes in every split
    (a coloured blob per class on white), plus the ``image_ids`` asked for, per split."""
    from PIL import Image

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size]
    for split in ("training", "validation", "evaluation"):
        folder = root / split
        folder.mkdir(parents=True, exist_ok=True)
        names = [f"{label}_{n}" for label in range(FOOD11_CLASSES) for n in range(per_class)]
        for name in dict.fromkeys(names + image_ids.get(split, [])):
            label = int(name.split("_")[0])
            colour = np.array([(53 * label) % 256, (97 * label + 80) % 256, (151 * label + 40) % 256])
            image = np.full((size, size, 3), 250, dtype=np.uint8)
            cy, cx = rng.integers(12, size - 12, 2)
            blob = (yy - cy) ** 2 + (xx - cx) ** 2 < rng.integers(40, 120)
            image[blob] = np.clip(colour + rng.integers(-30, 30, (int(blob.sum()), 3)), 0, 255)
            Image.fromarray(image).save(folder / f"{name}.jpg", quality=95)
    return root


def make_classic_checkpoint(path: Path, num_classes: int = FOOD11_CLASSES,
                            input_size: int = EXAMPLE_INPUT_SIZE) -> Path:
    """A classic-model state_dict with random weights (seeded), as a student's checkpoint."""
    import torch

    from helpers.models.classic import Food11CNN

    torch.manual_seed(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(Food11CNN(num_classes, input_size=input_size).state_dict(), path)
    return path


def create_example_paths(clone: Path, options: dict[str, str], parameters: dict[str, str]) -> None:
    """Create the data folder and checkpoint a command names (``--data`` / ``-p data_dir``,
    ``--checkpoint`` / ``-p checkpoint``) when they are not there yet; the image ids it asks
    for (``-p image_ids``) exist in the split it explains."""
    data = options.get("--data") or parameters.get("data_dir")
    if data and data != "default":
        ids = ast.literal_eval(parameters["image_ids"]) if "image_ids" in parameters else []
        split = parameters.get("split", "evaluation")
        make_food11_folder(clone / data, {split: [str(i) for i in ids]})
    checkpoint = options.get("--checkpoint") or parameters.get("checkpoint")
    if checkpoint and checkpoint != "None" and not (clone / checkpoint).exists():
        architecture = parameters.get("model_arch", "classic")
        if architecture.startswith("torchvision:"):
            make_torchvision_checkpoint(clone / checkpoint, architecture.split(":", 1)[1])
        elif ".py:" in architecture:
            model_file, class_name = architecture.rsplit(":", 1)
            kwargs = ast.literal_eval(parameters.get("model_kwargs", "{}"))
            make_user_checkpoint(clone / checkpoint, write_readme_model_file(clone / model_file), class_name, kwargs)
        else:
            make_classic_checkpoint(clone / checkpoint)


def readme_model_file(name: str) -> str:
    """The README's example model file: its ```python block that starts with ``# <name>``."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for block in text.split("```python\n")[1:]:
        source = block.split("```", 1)[0]
        if source.startswith(f"# {name}\n"):
            return source
    raise AssertionError(f"README.md has no ```python block starting with '# {name}' for the command's model_arch")


def write_readme_model_file(path: Path) -> Path:
    """The user writes the README's example file by hand before the command: here, from the README."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(readme_model_file(path.name), encoding="utf-8")
    return path


def make_user_checkpoint(path: Path, model_file: Path, class_name: str, kwargs: dict) -> Path:
    """A state_dict of the README's example class (random weights, seeded)."""
    import importlib.util

    import torch

    spec = importlib.util.spec_from_file_location(f"readme_example_{model_file.stem}", model_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(getattr(module, class_name)(**kwargs).state_dict(), path)
    return path


def make_torchvision_checkpoint(path: Path, name: str, num_classes: int = FOOD11_CLASSES) -> Path:
    """A torchvision classifier's state_dict with a ``num_classes``-way head (random weights)."""
    import torch
    import torchvision

    torch.manual_seed(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(torchvision.models.get_model(name, weights=None, num_classes=num_classes).state_dict(), path)
    return path


def clone_description(clone: Path) -> str:
    """What the clone holds, for failure messages (uncommitted changes are not in a clone)."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                           capture_output=True, text=True).stdout.strip()
    note = "; the checkout has uncommitted changes, which a clone does not hold" if dirty else ""
    return f"clone of {commit.stdout.strip()}{note}"
