"""Paired comparisons: known answers for shifts, noise, sign conventions and the winner rule."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from helpers.trust import compare, images_needed, paired_differences, pairwise_differences, winner

BASE = np.array([0.31, 0.52, 0.12, 0.77, 0.45, 0.26, 0.68, 0.39])  # per-image scores that vary a lot


@pytest.mark.parametrize("method", ["t", "bootstrap"])
def test_constant_shift_is_conclusive_although_per_method_intervals_overlap(method):
    # Each method's own interval is wide (images differ by 0.65), the paired one has zero width.
    scores = {"random": BASE, "good": BASE + 0.05, "bad": BASE - 0.05}
    out = paired_differences(scores, "random", higher_is_better=True, method=method)
    assert list(out) == ["good", "bad"]
    good, bad = out["good"], out["bad"]
    assert good.mean == pytest.approx(0.05) and good.low == pytest.approx(0.05) and good.high == pytest.approx(0.05)
    assert good.verdict == "better" and good.conclusive and bad.verdict == "worse"
    assert good.n == 8 and good.n_dropped == 0 and good.images_needed == 2
    record = good.as_dict()
    assert record["verdict"] == "better" and record["baseline"] == "random" and record["interval"] == method


@pytest.mark.parametrize("method", ["t", "bootstrap"])
def test_symmetric_noise_around_zero_is_inconclusive(method):
    noise = np.array([0.1, -0.1, 0.2, -0.2, 0.05, -0.05, 0.3, -0.3])
    out = paired_differences({"random": BASE, "m": BASE + noise}, "random", True, method=method)["m"]
    assert out.mean == pytest.approx(0.0, abs=1e-12)
    assert out.low < 0 < out.high and out.verdict == "inconclusive"
    assert out.images_needed is None  # no number of images separates a zero difference from 0


def test_sign_convention_when_lower_is_better():
    # Deletion area: the method's area is LOWER than random's, so it is better: positive difference.
    deletion = {"random": BASE, "faithful": BASE - 0.1}
    out = paired_differences(deletion, "random", higher_is_better=False)["faithful"]
    assert out.mean == pytest.approx(0.1) and out.verdict == "better" and not out.higher_is_better
    flipped = paired_differences(deletion, "random", higher_is_better=True)["faithful"]
    assert flipped.mean == pytest.approx(-0.1) and flipped.verdict == "worse"


def test_t_interval_matches_scipy_and_images_needed_is_the_smallest_sufficient_n():
    rng = np.random.default_rng(3)
    diff = 0.03 + 0.1 * rng.standard_normal(10)
    out = compare(BASE.tolist() + [0.5, 0.6], (np.array(BASE.tolist() + [0.5, 0.6]) - diff), True)
    low, high = stats.t.interval(0.95, df=9, loc=diff.mean(), scale=stats.sem(diff))
    assert out.low == pytest.approx(low) and out.high == pytest.approx(high)
    assert out.verdict == "inconclusive"  # 10 images are too few for this mean / spread
    needed, sd = out.images_needed, diff.std(ddof=1)
    half = lambda n: stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)  # noqa: E731
    assert needed > 10 and half(needed) < abs(diff.mean()) <= half(needed - 1)
    # a larger spread needs more images; a larger mean fewer
    assert images_needed(0.03, 2 * sd) > needed > images_needed(0.06, sd)
    assert images_needed(0.0, sd) is None and images_needed(0.1, 0.0) == 2
    assert images_needed(1e-6, 1.0) is None  # more than any report could use (10^12 images)


def test_nan_scores_are_dropped_and_counted_not_silently():
    a = torch.tensor([0.2, float("nan"), 0.4, 0.5])
    b = torch.tensor([0.1, 0.2, float("nan"), 0.3])
    out = compare(a, b, True, name="a", baseline="b")
    assert out.n == 2 and out.n_dropped == 2 and out.mean == pytest.approx(0.15)
    single = compare([0.5, float("nan")], [0.1, 0.2], True)
    assert single.n == 1 and math.isnan(single.low) and single.verdict == "inconclusive"
    assert single.images_needed is None


def test_pairwise_and_winner():
    scores = {"a": BASE + 0.2, "b": BASE + 0.1, "random": BASE}
    pairs = pairwise_differences(scores, higher_is_better=True)
    assert len(pairs) == 6 and pairs["a", "b"].mean == pytest.approx(0.1) and pairs["b", "a"].verdict == "worse"
    assert winner(scores, True) == "a"
    assert winner(scores, False) == "random"  # lower is better: the lowest everywhere wins
    assert winner(scores, False, candidates=["a", "b"]) is None  # a method must also beat the baselines
    tied = {"a": BASE + 0.2, "b": BASE + 0.2 + np.array([0.1, -0.1] * 4), "random": BASE}
    assert winner(tied, True) is None  # a beats random, but not b: no winner is named
    assert winner({"only": BASE}, True) is None


def test_input_errors_say_what_is_wrong():
    with pytest.raises(ValueError, match="same images"):
        paired_differences({"random": BASE, "m": BASE[:5]}, "random", True)
    with pytest.raises(KeyError, match="baseline 'rand'"):
        paired_differences({"random": BASE, "m": BASE}, "rand", True)
    with pytest.raises(ValueError, match="shape"):
        paired_differences({"random": BASE, "m": np.ones((8, 2))}, "random", True)
    with pytest.raises(ValueError, match="method must be one of"):
        paired_differences({"random": BASE, "m": BASE}, "random", True, method="z")
    with pytest.raises(KeyError, match="candidates"):
        winner({"a": BASE, "b": BASE}, True, candidates=["c"])
