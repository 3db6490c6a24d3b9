"""Paired comparisons of methods scored on the SAME images.

Per-method intervals over a handful of images overlap almost always (with 3 images most were
[0, 1]), because most of their width is the variation BETWEEN images (an easy photo is easy for
every method). The difference of two methods on the same image removes that shared part, so its
interval is far narrower. Here a method is compared with a baseline (or another method) by the
mean of its per-image differences, signed so that POSITIVE = BETTER (method minus baseline when
higher is better, baseline minus method when lower is better, e.g. deletion area), with a
Student-t or seeded bootstrap interval (:func:`~.intervals.mean_ci` on the differences).

The verdict is "better" / "worse" only when the interval excludes 0, else "inconclusive";
``images_needed`` says roughly how many images would make the interval exclude 0 if the observed
mean difference and spread stayed as they are: the smallest n with
``t_{(1+confidence)/2, n-1} * sd / sqrt(n) < |mean|`` (a planning figure, not a promise).

Several comparisons at 95 % each: "beats random" for 7 methods is 7 tests, so about one false
"better" in 3 reports when nothing differs; pass a higher ``confidence`` (e.g. 1 - 0.05 / 7)
for a family-wise 95 %. :func:`winner` needs no correction: it names a method only when ALL its
comparisons conclude (an intersection-union test keeps the level of each single one).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats
from torch import Tensor

from .intervals import METHODS, mean_ci

VERDICTS = ("better", "worse", "inconclusive")
ScoreLike = Tensor | np.ndarray | Sequence[float]


@dataclass(frozen=True)
class PairedDifference:
    """``method`` compared with ``baseline`` on the same images.

    mean, low, high: mean per-image difference and its interval, signed so that positive means
    ``method`` is better; n: images with a finite score for both; n_dropped: images left out
    because either score was NaN/inf (e.g. Spearman of a constant map), never silently: it is
    here; sd: standard deviation of the differences; images_needed: see :func:`images_needed`
    (None when the mean difference is 0, more than 100,000 images would be needed, or fewer
    than 2 images have both scores).
    """

    method: str
    baseline: str
    mean: float
    low: float
    high: float
    n: int
    n_dropped: int
    sd: float
    confidence: float
    higher_is_better: bool
    interval: str
    images_needed: int | None

    @property
    def verdict(self) -> str:
        """"better" / "worse" when the interval excludes 0, else "inconclusive" (also when the
        interval is undefined: fewer than 2 images)."""
        if self.low > 0:
            return "better"
        if self.high < 0:
            return "worse"
        return "inconclusive"  # NaN bounds fail both comparisons

    @property
    def conclusive(self) -> bool:
        return self.verdict != "inconclusive"

    def as_dict(self) -> dict[str, object]:
        return {"method": self.method, "baseline": self.baseline, "mean": self.mean, "low": self.low,
                "high": self.high, "n": self.n, "n_dropped": self.n_dropped, "sd": self.sd,
                "confidence": self.confidence, "higher_is_better": self.higher_is_better, "interval": self.interval,
                "verdict": self.verdict, "images_needed": self.images_needed}


def images_needed(mean: float, sd: float, confidence: float = 0.95, max_images: int = 100_000) -> int | None:
    """Smallest n >= 2 with ``t_{(1+confidence)/2, n-1} * sd / sqrt(n) < |mean|``, i.e. how many
    images would give a t-interval excluding 0 at this mean difference and spread. None when no
    practical number would do: ``mean`` is 0 (or float noise around it, e.g. 1e-17 from
    symmetric differences), not finite, or more than ``max_images`` images would be needed."""
    if not (math.isfinite(mean) and math.isfinite(sd)) or mean == 0:
        return None
    q = 0.5 + confidence / 2

    def enough(n: int) -> bool:
        return float(stats.t.ppf(q, df=n - 1)) * sd / math.sqrt(n) < abs(mean)

    if not enough(max_images):
        return None
    low, high = 1, 2  # enough(1) is False (no interval from one image); half-width falls with n
    while not enough(high):
        low, high = high, min(high * 2, max_images)
    while high - low > 1:  # bisect: enough(high), not enough(low)
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return high


def detectable_difference(n: int, power: float = 0.8, confidence: float = 0.95) -> float:
    """The mean paired difference, in standard deviations of the per-image differences, that a
    two-sided t interval on ``n`` images excludes 0 for with probability ``power`` (noncentral t).
    What a fixed sample size can decide, stated before any map is measured: at n = 50 about 0.40,
    at n = 10 about 1.0. NaN for fewer than 2 images."""
    if not 0 < power < 1 or not 0 < confidence < 1:
        raise ValueError(f"power and confidence must be in (0, 1), got {power}, {confidence}")
    if n < 2:
        return math.nan
    critical = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1))

    def power_at(d: float) -> float:  # probability that |t| exceeds the critical value at effect d
        shift = d * math.sqrt(n)
        return float(stats.nct.sf(critical, n - 1, shift) + stats.nct.cdf(-critical, n - 1, shift))

    low, high = 0.0, 1.0
    while power_at(high) < power:
        low, high = high, 2 * high
    for _ in range(60):  # bisection: power grows with the effect
        middle = (low + high) / 2
        low, high = (middle, high) if power_at(middle) < power else (low, middle)
    return high


def _as_array(name: str, values: ScoreLike) -> np.ndarray:
    if isinstance(values, Tensor):
        values = values.detach().cpu().double().numpy()
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"scores[{name!r}] must be one score per image, shape (N,), got shape {arr.shape}")
    return arr


def _checked(scores: Mapping[str, ScoreLike]) -> dict[str, np.ndarray]:
    arrays = {name: _as_array(name, values) for name, values in scores.items()}
    sizes = {name: arr.shape[0] for name, arr in arrays.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"paired comparisons need every method scored on the same images; got sizes {sizes}")
    return arrays


def compare(method_scores: ScoreLike, baseline_scores: ScoreLike, higher_is_better: bool, *, name: str = "method",
            baseline: str = "baseline", confidence: float = 0.95, method: str = "t",
            seed: int = 0) -> PairedDifference:
    """One paired comparison of ``method_scores`` with ``baseline_scores`` (N,) on the same
    images; ``name`` / ``baseline`` only label the result. ``method``: "t" or "bootstrap"."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} (the kind of interval), got {method!r}")
    if name == baseline:
        raise ValueError(f"a comparison needs two different names, got {name!r} twice")
    arrays = _checked({name: method_scores, baseline: baseline_scores})
    a, b = arrays[name], arrays[baseline]
    diff = (a - b) if higher_is_better else (b - a)
    ci = mean_ci(diff, confidence, method, seed=seed)  # NaN pairs dropped and counted there
    finite = diff[np.isfinite(diff)]
    sd = float(finite.std(ddof=1)) if finite.size > 1 else math.nan
    needed = images_needed(ci.mean, sd, confidence) if finite.size > 1 else None
    return PairedDifference(method=name, baseline=baseline, mean=ci.mean, low=ci.low, high=ci.high, n=ci.n,
                            n_dropped=ci.n_dropped, sd=sd, confidence=confidence,
                            higher_is_better=higher_is_better, interval=method, images_needed=needed)


def paired_differences(scores: Mapping[str, ScoreLike], baseline: str, higher_is_better: bool,
                       confidence: float = 0.95, method: str = "t", seed: int = 0) -> dict[str, PairedDifference]:
    """Every other entry of ``scores`` (name -> (N,) per-image scores) against ``baseline``.

    Args:
        baseline: the name in ``scores`` to compare with ("random" for "does it beat a random
            map", or a method's name for method-vs-method).
        higher_is_better: True for insertion area, False for deletion area or for similarity
            after randomisation; differences are signed so that positive = better either way.
        method: "t" (Student-t; the default because a percentile bootstrap is too narrow at the
            report's 8-12 images) or "bootstrap" (seeded percentile bootstrap over images).
    Returns: name -> :class:`PairedDifference`, in the order of ``scores``.
    """
    if baseline not in scores:
        raise KeyError(f"baseline {baseline!r} is not among the scored methods {list(scores)}")
    arrays = _checked(scores)
    return {name: compare(arr, arrays[baseline], higher_is_better, name=name, baseline=baseline,
                          confidence=confidence, method=method, seed=seed)
            for name, arr in arrays.items() if name != baseline}


def pairwise_differences(scores: Mapping[str, ScoreLike], higher_is_better: bool, confidence: float = 0.95,
                         method: str = "t", seed: int = 0) -> dict[tuple[str, str], PairedDifference]:
    """Every ordered pair (a, b), a != b: a compared with b (positive = a better). Both
    directions are kept so that ``result[a, b]`` can be looked up either way round."""
    arrays = _checked(scores)
    return {(a, b): compare(arrays[a], arrays[b], higher_is_better, name=a, baseline=b, confidence=confidence,
                            method=method, seed=seed)
            for a in arrays for b in arrays if a != b}


def winner(scores: Mapping[str, ScoreLike], higher_is_better: bool, *, candidates: Sequence[str] | None = None,
           confidence: float = 0.95, method: str = "t", seed: int = 0) -> str | None:
    """The entry of ``scores`` that is "better" than EVERY other entry in paired comparisons,
    or None when no entry is (the ranking is then inconclusive and no best method may be named).

    ``candidates``: names allowed to win (e.g. the methods, not the baselines); every entry of
    ``scores`` still has to be beaten, baselines included. At most one name can win.
    """
    arrays = _checked(scores)
    names = list(arrays) if candidates is None else list(candidates)
    unknown = [name for name in names if name not in arrays]
    if unknown:
        raise KeyError(f"candidates {unknown} are not among the scored methods {list(arrays)}")
    if len(arrays) < 2:
        return None  # nothing to beat: nothing measured says it is best
    for name in names:
        if all(compare(arrays[name], arrays[other], higher_is_better, name=name, baseline=other,
                       confidence=confidence, method=method, seed=seed).verdict == "better"
               for other in arrays if other != name):
            return name
    return None
