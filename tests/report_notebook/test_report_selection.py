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


# -- the measured sample ---------------------------------------------------------------------------
from helpers.evaluation.selection import measured_sample  # noqa: E402


def _uneven(seed=0):
    rng = np.random.default_rng(seed)
    return rng.permutation(np.repeat(np.arange(4), [60, 25, 10, 5]))   # 100 images, shares 60/25/10/5 %


def test_measured_sample_is_stratified_by_the_class_shares():
    labels = _uneven()
    chosen = measured_sample(labels, 40, seed=0)
    assert len(chosen) == len(set(chosen)) == 40 and chosen == sorted(chosen)
    assert np.bincount(labels[chosen], minlength=4).tolist() == [24, 10, 4, 2]


def test_measured_sample_contains_the_shown_images_and_keeps_the_shares():
    labels = _uneven()
    shown = [int(np.flatnonzero(labels == c)[0]) for c in range(4)] + [int(np.flatnonzero(labels == 3)[1])]
    chosen = measured_sample(labels, 40, seed=0, include=shown)
    assert set(shown) <= set(chosen) and len(chosen) == 40
    counts = np.bincount(labels[chosen], minlength=4)
    assert counts[3] == 2 and abs(counts[0] - 24) <= 1 and abs(counts[1] - 10) <= 1, counts


def test_measured_sample_reads_only_the_labels_and_is_seeded():
    labels = _uneven()
    assert measured_sample(labels, 30, seed=2) == measured_sample(labels.tolist(), 30, seed=2)
    assert any(measured_sample(labels, 30, seed=s) != measured_sample(labels, 30, seed=0) for s in range(1, 4))
    small = measured_sample(labels, 30, seed=0)
    assert set(small) <= set(measured_sample(labels, 30, seed=0, include=small[:5]))


def test_measured_sample_takes_every_image_of_a_small_split_and_never_fewer_than_the_shown():
    labels = _uneven()
    assert measured_sample(labels, 500, seed=0) == list(range(100))
    assert len(measured_sample(labels, 3, seed=0, include=[1, 2, 3, 4, 5])) == 5
    with pytest.raises(ValueError, match="n must be >= 1"):
        measured_sample(labels, 0)
    with pytest.raises(ValueError, match="outside"):
        measured_sample(labels, 10, include=[100])
