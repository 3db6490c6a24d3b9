"""The benchmark's Food-11-sized folder and checkpoint recipe (bench/report_fixture.py)."""
from __future__ import annotations

import json

import pytest
import torch
from PIL import Image
from torch import nn

from bench.report_fixture import (FOOD11_EVALUATION_COUNTS, build_food11_folder, calibrate_batchnorm,
                                  class_counts)
from helpers.data.food11 import Food11Split


def test_full_size_gives_food11_evaluation_counts():
    assert sum(FOOD11_EVALUATION_COUNTS) == 3347
    assert class_counts(3347) == list(FOOD11_EVALUATION_COUNTS)


@pytest.mark.parametrize("total", [11, 12, 30, 500])
def test_small_folders_keep_every_class_and_the_total(total):
    counts = class_counts(total)
    assert len(counts) == 11 and sum(counts) == total and min(counts) >= 1
    with pytest.raises(ValueError, match="at least one image per class"):
        class_counts(10)


def test_folder_has_the_food11_layout_and_is_reused(tmp_path):
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (90, 60), (200, 120, 40)).save(photo)
    root = build_food11_folder(tmp_path / "food", evaluation=13, training_per_class=2, validation_per_class=1,
                               size=(64, 48), sources=[photo])
    split = Food11Split(root, "evaluation", 32)
    assert len(split) == 13 and sorted(split.class_counts()) == list(range(11))
    assert len(Food11Split(root, "training", 32)) == 22 and len(Food11Split(root, "validation", 32)) == 11
    with Image.open(split.records[0].path) as image:
        assert image.size == (64, 48) and image.format == "JPEG"
    stamp = (root / "manifest.json").stat().st_mtime_ns
    build_food11_folder(tmp_path / "food", evaluation=13, training_per_class=2, validation_per_class=1,
                        size=(64, 48), sources=[photo])
    assert (root / "manifest.json").stat().st_mtime_ns == stamp  # same recipe: nothing rewritten
    build_food11_folder(tmp_path / "food", evaluation=14, training_per_class=2, validation_per_class=1,
                        size=(64, 48), sources=[photo])
    assert json.loads((root / "manifest.json").read_text())["evaluation"] == 14
    assert len(Food11Split(root, "evaluation", 32)) == 14
    assert not (tmp_path / "food.part").exists()


def test_without_photos_synthetic_textures_are_written(tmp_path):
    root = build_food11_folder(tmp_path / "food", evaluation=11, training_per_class=1, validation_per_class=1,
                               size=(40, 30))
    images, _, _ = Food11Split(root, "evaluation", 16).load_many(range(11))
    assert images.shape == (11, 3, 16, 16) and images.std() > 0.05


def test_batchnorm_statistics_come_from_the_images():
    model = nn.Sequential(nn.BatchNorm2d(3, momentum=0.1))
    images = torch.rand(10, 3, 8, 8) * torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1) + 5
    calibrate_batchnorm(model, images, batch_size=5)
    norm = model[0]
    torch.testing.assert_close(norm.running_mean, images.mean((0, 2, 3)))
    # cumulative average of the two batches' unbiased variances
    per_batch = [images[i:i + 5].transpose(0, 1).reshape(3, -1).var(1) for i in (0, 5)]
    torch.testing.assert_close(norm.running_var, (per_batch[0] + per_batch[1]) / 2)
    assert norm.momentum == 0.1 and not model.training
