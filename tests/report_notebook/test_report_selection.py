"""Default image selection: stratified, seeded, every class, correct and wrong predictions."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.evaluation.selection import select_images


def _split(seed=0, classes=5, per_class=12, accuracy=0.7):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), per_class)
    predicted = np.where(rng.random(labels.size) < accuracy, labels, (labels + 1) % classes)
    return labels, predicted


def test_one_per_class_with_right_and_wrong():
    labels, predicted = _split()
    chosen = select_images(labels, predicted, None, seed=0)
    assert sorted(labels[chosen].tolist()) == [0, 1, 2, 3, 4]
    correct = predicted[chosen] == labels[chosen]
    assert correct.any() and (~correct).any()


def test_seeded_and_seed_dependent():
    labels, predicted = _split()
    assert select_images(labels, predicted, 7, seed=3) == select_images(labels, predicted, 7, seed=3)
    assert any(select_images(labels, predicted, 5, seed=s) != select_images(labels, predicted, 5, seed=0)
               for s in range(1, 6))


@pytest.mark.parametrize("n", [2, 5, 9, 60])
def test_sizes(n):
    labels, predicted = _split()
    chosen = select_images(labels, predicted, n, seed=1)
    assert len(chosen) == len(set(chosen)) == min(n, labels.size)
    if n >= 5:
        assert set(labels[chosen].tolist()) == {0, 1, 2, 3, 4}
    correct = predicted[chosen] == labels[chosen]
    assert correct.any() and (~correct).any()


def test_all_correct_split_still_works():
    labels = np.repeat(np.arange(3), 4)
    chosen = select_images(labels, labels.copy(), None, seed=0)
    assert sorted(labels[chosen].tolist()) == [0, 1, 2]
