"""A Food-11-sized folder and a classic checkpoint for timing the report (bench/bench_report.py).

The real Food-11 is not on this machine. Time depends on the number and size of the images, not on
what they show, so the folder is made of the demo photos (``.cache/demo_data``), cropped, flipped
and resized to Food-11's 512x384 JPEGs, with the class counts of Food-11's evaluation split
(3,347 images); without demo photos, smooth random textures are used. The checkpoint is the
classic HW3 CNN with random weights whose BatchNorm statistics are measured on the training
images, so activations and logits have the scale of a trained model's (a random model with
default BatchNorm statistics gives exploding activations).

Both are written under ``.cache/bench/`` (never committed) and rebuilt only when the recipe
changes (a ``manifest.json`` records it).
"""
from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

# Images per class in Food-11's evaluation split (Bread ... Vegetable/Fruit): 3,347 in all.
FOOD11_EVALUATION_COUNTS = (368, 148, 500, 335, 287, 432, 147, 96, 303, 500, 231)
FOOD11_IMAGE_SIZE = (512, 384)  # width x height of most Food-11 photos
FIXTURE_VERSION = 1  # bump when the recipe changes: the folder is then rebuilt


def class_counts(total: int, proportions: Sequence[int] = FOOD11_EVALUATION_COUNTS) -> list[int]:
    """``total`` images split over the classes in Food-11's proportions (largest remainder), at
    least one per class, so a small smoke-test folder still has every class."""
    if total < len(proportions):
        raise ValueError(f"need at least one image per class: total must be >= {len(proportions)}, got {total}")
    weights = np.asarray(proportions, dtype=float)
    exact = weights / weights.sum() * total
    counts = np.floor(exact).astype(int)
    for k in np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]:
        counts[k] += 1
    for k in np.flatnonzero(counts == 0):  # an empty class borrows from the largest one
        counts[np.argmax(counts)] -= 1
        counts[k] = 1
    return [int(c) for c in counts]


def demo_photos(demo_dir: Path) -> list[Path]:
    """The demo photos of every split, in a fixed order (empty when the demo data is not set up)."""
    return sorted(p for p in demo_dir.glob("*/*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))


def synthetic_texture(rng: np.random.Generator, size: tuple[int, int]) -> Image.Image:
    """A smooth random colour texture (low-frequency noise upsampled): decodes like a photo."""
    coarse = (rng.random((size[1] // 32 + 1, size[0] // 32 + 1, 3)) * 255).astype(np.uint8)
    return Image.fromarray(coarse).resize(size, Image.BICUBIC)


def photo_variant(source: Image.Image, rng: np.random.Generator, size: tuple[int, int]) -> Image.Image:
    """A random crop (70-100 % of each side), maybe mirrored, resized to ``size``: distinct JPEGs
    from a few hundred photos."""
    width, height = source.size
    w, h = int(width * rng.uniform(0.7, 1.0)), int(height * rng.uniform(0.7, 1.0))
    left, top = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
    image = source.crop((left, top, left + w, top + h)).resize(size, Image.BILINEAR)
    return image.transpose(Image.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else image


def _recipe(evaluation: int, training_per_class: int, validation_per_class: int, size: tuple[int, int],
            sources: Sequence[Path], seed: int) -> dict:
    return {"version": FIXTURE_VERSION, "evaluation": evaluation, "training_per_class": training_per_class,
            "validation_per_class": validation_per_class, "size": list(size), "seed": seed,
            "sources": len(sources)}


def build_food11_folder(root: Path, evaluation: int = sum(FOOD11_EVALUATION_COUNTS), training_per_class: int = 20,
                        validation_per_class: int = 10, size: tuple[int, int] = FOOD11_IMAGE_SIZE,
                        sources: Sequence[Path] = (), seed: int = 0) -> Path:
    """Write ``root/{training,validation,evaluation}/<label>_<n>.jpg`` (11 classes) and return root.

    Nothing is written when ``root/manifest.json`` already records the same recipe. The folder is
    built next to ``root`` and renamed into place, so an interrupted build leaves no half folder.
    """
    root = Path(root)
    recipe = _recipe(evaluation, training_per_class, validation_per_class, size, sources, seed)
    manifest = root / "manifest.json"
    if manifest.is_file() and json.loads(manifest.read_text()) == recipe:
        return root
    counts = {"evaluation": class_counts(evaluation),
              "training": [training_per_class] * len(FOOD11_EVALUATION_COUNTS),
              "validation": [validation_per_class] * len(FOOD11_EVALUATION_COUNTS)}
    rng = np.random.default_rng(seed)
    partial = root.with_name(root.name + ".part")
    shutil.rmtree(partial, ignore_errors=True)
    opened: dict[Path, Image.Image] = {}
    for split, per_class in counts.items():
        folder = partial / split
        folder.mkdir(parents=True)
        for label, count in enumerate(per_class):
            for n in range(count):
                if sources:
                    path = sources[int(rng.integers(len(sources)))]
                    if path not in opened:
                        with Image.open(path) as image:
                            opened[path] = image.convert("RGB")
                    image = photo_variant(opened[path], rng, size)
                else:
                    image = synthetic_texture(rng, size)
                image.save(folder / f"{label}_{n}.jpg", quality=90)
    (partial / "manifest.json").write_text(json.dumps(recipe))
    shutil.rmtree(root, ignore_errors=True)
    os.replace(partial, root)
    return root


def calibrate_batchnorm(model: torch.nn.Module, images: torch.Tensor, batch_size: int = 32) -> None:
    """Set every BatchNorm's running mean/variance to the statistics of ``images`` (cumulative
    average over batches), leaving the weights alone; the model ends in eval mode."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average: every batch counts equally
    model.train()
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                model(images[start:start + batch_size])
    finally:
        for m, momentum in zip(norms, saved):
            m.momentum = momentum
        model.eval()


def build_classic_checkpoint(path: Path, data_root: Path, input_size: int = 128, seed: int = 0) -> Path:
    """Save the state_dict of a classic Food-11 CNN (11 classes) with random weights (``seed``)
    and BatchNorm statistics measured on ``data_root``'s training images; kept when the recipe
    and the data's manifest are unchanged."""
    from helpers.data.layout import open_split
    from helpers.models.classic import Food11CNN

    path = Path(path)
    data_manifest = Path(data_root) / "manifest.json"
    recipe = {"version": FIXTURE_VERSION, "input_size": input_size, "seed": seed,
              "data": json.loads(data_manifest.read_text()) if data_manifest.is_file() else None}
    stamp = path.with_name(path.name + ".json")
    if path.is_file() and stamp.is_file() and json.loads(stamp.read_text()) == recipe:
        return path
    torch.manual_seed(seed)
    model = Food11CNN(11)
    training = open_split(Path(data_root), "training", input_size, num_classes=11)
    images, _, _ = training.load_many(range(len(training)))
    calibrate_batchnorm(model, images)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    torch.save(model.state_dict(), partial)
    os.replace(partial, path)
    stamp.write_text(json.dumps(recipe))
    return path
