"""Summaries over images that the report's sentences may rest on: a mean with its interval, a
ratio of means with its interval, whether an interval clears a reference value, and the project's
one per-class mean.

Intervals are :class:`helpers.trust.intervals.Interval` (mean, low, high, n, n_dropped): NaN
values (an invalid region split, a constant map) are left out and counted, never dropped silently.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from torch import Tensor

from helpers.trust.intervals import Interval, mean_ci

Verdict = Literal["above", "below", "inconclusive"]


def _as_array(values: Sequence[float] | np.ndarray | Tensor) -> np.ndarray:
    if isinstance(values, Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=np.float64).ravel()


def mean_interval(values: Sequence[float] | np.ndarray | Tensor, confidence: float = 0.95,
                  method: str = "bootstrap", seed: int = 0, n_boot: int = 2000,
                  bounds: tuple[float, float] | None = None) -> Interval:
    """Mean over images with a ``confidence`` interval: seeded percentile "bootstrap" over images
    (default) or Student "t". NaNs are dropped and counted in ``n_dropped``; with fewer than two
    finite values low and high are NaN. ``bounds`` clips the ends to the quantity's range."""
    return mean_ci(_as_array(values), confidence=confidence, method=method, n_boot=n_boot, seed=seed,
                   bounds=bounds)


# Fewest images a percentile bootstrap interval is computed over (below: no interval, no claim).
MIN_BOOTSTRAP_IMAGES = 5


def ratio_interval(numerators: Sequence[float] | np.ndarray | Tensor,
                   denominators: Sequence[float] | np.ndarray | Tensor, confidence: float = 0.95,
                   seed: int = 0, n_boot: int = 2000) -> Interval:
    """mean(numerators) / mean(denominators) over images, with a seeded percentile bootstrap
    interval that resamples images (each image's pair stays together).

    E.g. the share of map mass on food over the food's area share: 1 is what a map spread evenly
    gives, so call the maps "concentrated on the food" only when ``clears(interval) == "above"``.
    Images where either value is NaN are dropped and counted in ``n_dropped``. The ratio is NaN
    when fewer than one image remains or the denominators' mean is 0; low/high are NaN with fewer
    than ``MIN_BOOTSTRAP_IMAGES`` images (a percentile bootstrap over 2-4 images is little more than
    their range and covers far less than it claims), so ``clears`` says "inconclusive" there.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    num, den = _as_array(numerators), _as_array(denominators)
    if num.size != den.size:
        raise ValueError(f"{num.size} numerators but {den.size} denominators: pass one pair per image")
    keep = np.isfinite(num) & np.isfinite(den)
    num, den, n, dropped = num[keep], den[keep], int(keep.sum()), int((~keep).sum())
    if n == 0 or den.mean() == 0:
        return Interval(math.nan, math.nan, math.nan, n, dropped, confidence)
    ratio = float(num.mean() / den.mean())
    if n < MIN_BOOTSTRAP_IMAGES:
        return Interval(ratio, math.nan, math.nan, n, dropped, confidence)
    picks = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    den_means = den[picks].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = num[picks].mean(axis=1) / den_means
    ratios = ratios[np.isfinite(ratios)]  # resamples whose denominators all are 0
    low, high = (float(q) for q in np.quantile(ratios, [0.5 - confidence / 2, 0.5 + confidence / 2]))
    return Interval(ratio, low, high, n, dropped, confidence)


def clears(interval: Interval, value: float = 1.0) -> Verdict:
    """"above" when the whole interval lies above ``value``, "below" when it lies below, else
    "inconclusive" (also when the interval is undefined: fewer than two images)."""
    if not (math.isfinite(interval.low) and math.isfinite(interval.high)):
        return "inconclusive"
    if interval.low > value:
        return "above"
    if interval.high < value:
        return "below"
    return "inconclusive"


def per_class_mean(values: Sequence[float] | np.ndarray | Tensor,
                   labels: Sequence[int] | np.ndarray | Tensor) -> dict[int, tuple[float, int]]:
    """{class: (mean, n)} over the classes in ``labels``, in class order; NaN values are ignored,
    so n counts the finite values and a class without any has (nan, 0). Rank classes only where
    n allows it: with n = 1 a class's mean is one image's value."""
    vals = _as_array(values)
    labs = labels.detach().cpu().numpy() if isinstance(labels, Tensor) else np.asarray(labels)
    labs = labs.ravel()
    if labs.size != vals.size:
        raise ValueError(f"{labs.size} labels for {vals.size} values: pass one label per image")
    out: dict[int, tuple[float, int]] = {}
    for c in sorted({int(label) for label in labs}):
        chosen = vals[(labs == c) & np.isfinite(vals)]
        out[c] = (float(chosen.mean()), int(chosen.size)) if chosen.size else (math.nan, 0)
    return out
