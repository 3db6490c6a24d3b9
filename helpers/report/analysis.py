"""Numbers behind the report's answers, computed from the run's results (no prose here).

Food versus background: the demo photos (and many Food-11 photos) show food on a white plate or
background, so near-white, low-saturation pixels (HSV saturation < 0.15 and value > 0.75) serve
as a measurable proxy for "background / plate"; everything else counts as food. It is a proxy:
white food (rice, milk) counts as background and dark backgrounds count as food.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

SATURATION_MAX = 0.15
VALUE_MIN = 0.75


def background_mask(images: Tensor) -> np.ndarray:
    """(N, H, W) bool: near-white, low-saturation pixels of RGB images (N, 3, H, W) in [0, 1]."""
    x = images.detach().cpu().double().clamp(0, 1).numpy()
    value = x.max(axis=1)
    low = x.min(axis=1)
    saturation = np.where(value > 0, (value - low) / np.maximum(value, 1e-12), 0.0)
    return (saturation < SATURATION_MAX) & (value > VALUE_MIN)


def _as_hw(maps: Tensor | np.ndarray) -> np.ndarray:
    arr = maps.detach().cpu().double().numpy() if isinstance(maps, Tensor) else np.asarray(maps, dtype=np.float64)
    if arr.ndim == 4:
        arr = np.abs(arr).max(axis=1)
    return np.abs(arr)


def food_share(maps: Tensor | np.ndarray, background: np.ndarray) -> np.ndarray:
    """Per image: share of the map's total |mass| that falls on food pixels (not background)."""
    arr = _as_hw(maps)
    total = arr.reshape(arr.shape[0], -1).sum(1)
    on_food = (arr * ~background).reshape(arr.shape[0], -1).sum(1)
    return np.where(total > 0, on_food / np.maximum(total, 1e-300), np.nan)


def food_area(background: np.ndarray) -> np.ndarray:
    """Per image: fraction of pixels that are food (what a map spread evenly would put on food)."""
    return (~background).reshape(background.shape[0], -1).mean(1)


def lime_positive_food_share(weights: np.ndarray, segments: np.ndarray, background: np.ndarray) -> float:
    """Share of the positive LIME weight that lands on food: each superpixel's positive weight
    times its food fraction, over the total positive weight (NaN when no weight is positive)."""
    positive = np.clip(np.asarray(weights, dtype=np.float64), 0, None)
    if positive.sum() <= 0:
        return float("nan")
    segments = np.asarray(segments)
    counts = np.bincount(segments.ravel(), minlength=positive.size).astype(np.float64)
    food = np.bincount(segments.ravel(), weights=(~background).ravel().astype(np.float64), minlength=positive.size)
    food_fraction = np.where(counts > 0, food / np.maximum(counts, 1), 0.0)[: positive.size]
    return float((positive * food_fraction).sum() / positive.sum())


def per_class_mean(values: Sequence[float], labels: Sequence[int]) -> dict[int, float]:
    """Mean of ``values`` per label (NaNs ignored; classes without finite values left out)."""
    values, labels = np.asarray(values, dtype=np.float64), np.asarray(labels)
    out = {}
    for c in sorted(set(int(l) for l in labels)):
        chosen = values[(labels == c) & np.isfinite(values)]
        if chosen.size:
            out[c] = float(chosen.mean())
    return out


def concentration(maps: Tensor | np.ndarray, top: float = 0.1) -> np.ndarray:
    """Per image: share of the map's |mass| held by its top ``top`` fraction of pixels (1.0 =
    all in a few pixels, ``top`` = spread evenly)."""
    arr = _as_hw(maps).reshape(len(maps), -1)
    k = max(1, int(round(arr.shape[1] * top)))
    ordered = -np.sort(-arr, axis=1)
    total = arr.sum(1)
    return np.where(total > 0, ordered[:, :k].sum(1) / np.maximum(total, 1e-300), np.nan)


def rank_correlation(a: Tensor | np.ndarray, b: Tensor | np.ndarray) -> np.ndarray:
    """Per image: Spearman rank correlation between two maps' |values|."""
    from scipy.stats import spearmanr

    x, y = _as_hw(a).reshape(len(a), -1), _as_hw(b).reshape(len(b), -1)
    return np.array([spearmanr(x[i], y[i]).statistic if x[i].std() > 0 and y[i].std() > 0 else np.nan
                     for i in range(x.shape[0])])


def class_means(values: Tensor, labels: Tensor, num_classes: int) -> dict[int, float]:
    """Mean of per-image ``values`` (N,) per class, highest first (classes without images left out)."""
    out = {c: float(values[labels == c].mean()) for c in range(num_classes) if bool((labels == c).any())}
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def pct(x: float, digits: int = 1) -> str:
    """0.4567 -> "45.7%" (the same in every language; "n/a" for NaN)."""
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f}%"


def num(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


__all__ = ["background_mask", "food_share", "food_area", "lime_positive_food_share", "per_class_mean",
           "concentration", "rank_correlation", "class_means", "pct", "num", "torch"]
