"""Mean with a 95 % confidence interval over images.

Default: Student-t interval mean +- t_{0.975, n-1} * s / sqrt(n) (scipy.stats.t). It assumes the
per-image scores are roughly normal or n is moderate; areas in [0, 1] and correlations are
bounded and fine at the report's n of 10-50. ``method="bootstrap"`` gives a seeded percentile
bootstrap instead (no normality assumption, but too narrow for very small n). Both shrink like
1 / sqrt(n). NaNs (e.g. Spearman of a constant map) are dropped and counted in ``n_dropped``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

METHODS = ("t", "bootstrap")


@dataclass(frozen=True)
class Interval:
    """mean, low, high (NaN when undefined: no finite value, or a single one), n finite values
    used, n_dropped NaN/inf values left out, confidence level."""

    mean: float
    low: float
    high: float
    n: int
    n_dropped: int = 0
    confidence: float = 0.95

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def as_dict(self, prefix: str = "") -> dict[str, float | int]:
        return {f"{prefix}mean": self.mean, f"{prefix}low": self.low, f"{prefix}high": self.high,
                f"{prefix}n": self.n}


def mean_ci(values: Sequence[float] | np.ndarray, confidence: float = 0.95, method: str = "t",
            n_boot: int = 2000, seed: int = 0, bounds: tuple[float, float] | None = None) -> Interval:
    """Mean of ``values`` with a ``confidence`` interval ("t" or seeded "bootstrap").

    ``bounds``: the quantity's natural range (areas (0, 1), correlations (-1, 1)); a t-interval
    on few images can reach past it, so its ends are clipped to it.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    arr = np.asarray(values, dtype=np.float64).ravel()
    finite = arr[np.isfinite(arr)]
    dropped = int(arr.size - finite.size)
    n = int(finite.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0, dropped, confidence)
    mean = float(finite.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1, dropped, confidence)
    if method == "t":
        half = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1) * finite.std(ddof=1) / math.sqrt(n))
        low, high = mean - half, mean + half
    else:
        rng = np.random.default_rng(seed)
        means = finite[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
        low, high = (float(q) for q in np.quantile(means, [0.5 - confidence / 2, 0.5 + confidence / 2]))
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return Interval(mean, low, high, n, dropped, confidence)
