"""Intervals over images: coverage-free checks with known answers."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from helpers.trust import mean_ci


@pytest.mark.parametrize("method", ["t", "bootstrap"])
def test_interval_shrinks_with_more_images(method):
    rng = np.random.default_rng(0)
    population = rng.normal(0.4, 0.1, size=50)
    small, large = mean_ci(population[:5], method=method), mean_ci(population, method=method)
    assert large.half_width < small.half_width
    assert small.low <= small.mean <= small.high and large.low <= large.mean <= large.high
    assert large.n == 50 and small.n == 5


def test_t_interval_matches_the_formula():
    values = np.array([0.1, 0.4, 0.35, 0.2, 0.5])
    ci = mean_ci(values)
    half = stats.t.ppf(0.975, 4) * values.std(ddof=1) / math.sqrt(5)
    assert ci.mean == pytest.approx(values.mean())
    assert (ci.low, ci.high) == pytest.approx((values.mean() - half, values.mean() + half))
    assert mean_ci(values, confidence=0.8).half_width < ci.half_width


# Nine small areas and one large: skewed, so the percentile bootstrap interval is lopsided (it
# cannot reach below the smallest value) while the t interval is symmetric and goes negative.
SKEWED = np.array([0.01, 0.02, 0.02, 0.03, 0.04, 0.05, 0.07, 0.10, 0.15, 0.90])


def test_bootstrap_matches_scipy_and_not_the_t_interval_on_a_skewed_sample():
    boot = mean_ci(SKEWED, method="bootstrap", n_boot=20000, seed=0)
    oracle = stats.bootstrap((SKEWED,), np.mean, confidence_level=0.95, n_resamples=20000,
                             method="percentile", random_state=0).confidence_interval
    assert (boot.low, boot.high) == pytest.approx((oracle.low, oracle.high), abs=0.01)  # Monte Carlo error ~0.002
    t = mean_ci(SKEWED, method="t")
    assert boot.mean == t.mean == pytest.approx(SKEWED.mean())
    assert boot.low - t.low > 0.05  # here 0.036 vs -0.055
    assert SKEWED.min() <= boot.low and boot.high - boot.mean > 1.5 * (boot.mean - boot.low)
    default = mean_ci(SKEWED, method="bootstrap")  # the report's n_boot
    assert (default.low, default.high) == pytest.approx((oracle.low, oracle.high), abs=0.02)


def test_bootstrap_is_seeded():
    values = np.arange(12.0)
    assert mean_ci(values, method="bootstrap", seed=1) == mean_ci(values, method="bootstrap", seed=1)


def test_nan_dropped_and_counted_single_value_and_bounds():
    ci = mean_ci([0.2, float("nan"), 0.4])
    assert ci.n == 2 and ci.n_dropped == 1 and ci.mean == pytest.approx(0.3)
    one = mean_ci([0.7])
    assert one.mean == 0.7 and math.isnan(one.low) and math.isnan(one.high)
    assert math.isnan(mean_ci([float("nan")]).mean)
    clipped = mean_ci([0.0, 1.0, 0.5], bounds=(0.0, 1.0))
    assert clipped.low == 0.0 and clipped.high == 1.0
    with pytest.raises(ValueError):
        mean_ci([1.0, 2.0], method="normal")
