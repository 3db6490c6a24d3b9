"""Intervals, the ratio verdict and the per-class mean, with known answers."""
import math

import numpy as np
import pytest
import torch

from helpers.measures.maps import share_on_region
from helpers.measures.summary import clears, mean_interval, per_class_mean, ratio_interval
from helpers.trust.intervals import Interval

SIZE = 32


def food_regions(n: int, seed: int) -> np.ndarray:
    """n masks whose food area varies from image to image (20-70 % of the columns)."""
    rng = np.random.default_rng(seed)
    regions = np.zeros((n, SIZE, SIZE), dtype=bool)
    for i, width in enumerate(rng.integers(int(0.2 * SIZE), int(0.7 * SIZE), size=n)):
        regions[i, :, :width] = True
    return regions


def area(regions: np.ndarray) -> np.ndarray:
    return regions.reshape(len(regions), -1).mean(axis=1)


def test_mean_interval_drops_and_counts_nans():
    interval = mean_interval(torch.tensor([0.2, float("nan"), 0.4, 0.6]))
    assert interval.mean == pytest.approx(0.4) and interval.n == 3 and interval.n_dropped == 1
    assert interval.low < 0.4 < interval.high


def test_map_inside_the_region_gives_share_one_and_a_ratio_that_clears_one():
    regions = food_regions(20, seed=0)
    maps = np.random.default_rng(1).random(regions.shape) * regions
    share = share_on_region(maps, regions)
    assert share == pytest.approx(np.ones(20))
    interval = ratio_interval(share, area(regions))
    assert interval.mean == pytest.approx(1 / area(regions).mean())
    assert clears(interval) == "above"


def test_map_avoiding_the_region_gives_a_ratio_below_one():
    regions = food_regions(20, seed=0)
    share = share_on_region(np.random.default_rng(1).random(regions.shape) * ~regions, regions)
    assert clears(ratio_interval(share, area(regions))) == "below"


def test_uniformly_random_maps_give_an_inconclusive_ratio():
    # a 95 % interval should contain the true ratio 1 in about 95 % of independent runs
    verdicts = []
    for seed in range(40):
        regions = food_regions(20, seed)
        maps = np.random.default_rng(1000 + seed).random(regions.shape)
        verdicts.append(clears(ratio_interval(share_on_region(maps, regions), area(regions), seed=seed)))
    assert verdicts.count("inconclusive") >= 34


def test_ratio_interval_drops_and_counts_incomplete_pairs():
    interval = ratio_interval([0.6, math.nan, 0.5, 0.7], [0.5, 0.4, math.nan, 0.5])
    assert interval.n == 2 and interval.n_dropped == 2
    assert interval.mean == pytest.approx(1.3)
    single = ratio_interval([0.6], [0.5])
    assert single.n == 1 and math.isnan(single.low) and clears(single) == "inconclusive"
    with pytest.raises(ValueError, match="one pair per image"):
        ratio_interval([1.0, 2.0], [1.0])


def test_clears_needs_the_whole_interval_past_the_value():
    assert clears(Interval(1.2, 1.01, 1.4, 10)) == "above"
    assert clears(Interval(1.05, 0.98, 1.12, 10)) == "inconclusive"
    assert clears(Interval(0.8, 0.7, 0.9, 10)) == "below"
    assert clears(Interval(0.8, 0.7, 0.9, 10), value=0.5) == "above"
    assert clears(Interval(1.3, math.nan, math.nan, 1)) == "inconclusive"


def test_per_class_mean_gives_mean_and_n_and_keeps_classes_without_values():
    values = [1.0, 3.0, math.nan, 5.0, math.nan]
    labels = torch.tensor([0, 0, 1, 2, 3])
    result = per_class_mean(values, labels)
    assert list(result) == [0, 1, 2, 3]
    assert result[0] == (2.0, 2) and result[2] == (5.0, 1)
    assert math.isnan(result[1][0]) and result[1][1] == 0 and result[3][1] == 0
    with pytest.raises(ValueError, match="one label per image"):
        per_class_mean([1.0, 2.0], [0])


def test_no_ratio_interval_and_no_claim_on_too_few_images():
    # every image has twice as much map on food as food area: with 2-4 images a percentile bootstrap
    # is about their range, so no interval is given and nothing is claimed; with 5 the claim can stand
    from helpers.measures.summary import MIN_BOOTSTRAP_IMAGES

    rng = np.random.default_rng(0)
    area_ = rng.uniform(0.2, 0.4, MIN_BOOTSTRAP_IMAGES)
    few = ratio_interval(2 * area_[:MIN_BOOTSTRAP_IMAGES - 1], area_[:MIN_BOOTSTRAP_IMAGES - 1])
    assert few.mean == pytest.approx(2.0) and math.isnan(few.low) and clears(few) == "inconclusive"
    enough = ratio_interval(2 * area_, area_)
    assert clears(enough) == "above"
