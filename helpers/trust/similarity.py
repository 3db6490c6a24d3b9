"""Similarity of two maps of the same image, as in Adebayo et al. (2018): Spearman rank
correlation of |map| and SSIM of the maps normalised to [0, 1]."""
from __future__ import annotations

import numpy as np
import torch
from scipy.stats import rankdata
from skimage.metrics import structural_similarity
from torch import Tensor

from .maps import pixel_importance


def _as_importance(maps: Tensor, absolute: bool) -> Tensor:
    """(N, H, W): |map| summed over channels (absolute=True) or the signed channel sum."""
    if maps.dim() == 3:
        maps = maps.unsqueeze(1)
    if absolute:
        return pixel_importance(maps)
    return maps.detach().float().sum(dim=1)


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(N,) Spearman rank correlation of each row of ``x`` with the same row of ``y`` ((N, P)
    arrays): ranks with ties averaged (scipy's rankdata, all rows in one call), then Pearson on
    the ranks. NaN where either row is constant: it has no ranking, and a made-up 0 would bias
    a mean (callers count and drop NaNs, as :func:`helpers.trust.intervals.mean_ci` does)."""
    if x.ndim != 2 or x.shape != y.shape:
        raise ValueError(f"spearman_rows needs two (N, P) arrays of the same shape, got {x.shape} and {y.shape}")
    rx, ry = rankdata(x, axis=1), rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    denom = np.sqrt((rx * rx).sum(axis=1) * (ry * ry).sum(axis=1))
    return np.where(denom > 0, (rx * ry).sum(axis=1) / np.where(denom > 0, denom, 1.0), np.nan)


def spearman(a: Tensor, b: Tensor, absolute: bool = True) -> Tensor:
    """(N,) Spearman rank correlation between maps ``a`` and ``b`` (N, C, H, W) image by image
    (:func:`spearman_rows` over pixels; NaN for a constant map). ``absolute=False`` compares
    signed maps (Adebayo report both; |map| summed over channels is the default).
    """
    if a.shape[0] != b.shape[0] or a.shape[-2:] != b.shape[-2:]:
        raise ValueError(f"maps must have the same batch and spatial size, got {tuple(a.shape)} and {tuple(b.shape)}")
    xa = _as_importance(a, absolute).reshape(a.shape[0], -1).cpu().double().numpy()
    xb = _as_importance(b, absolute).reshape(b.shape[0], -1).cpu().double().numpy()
    return torch.from_numpy(spearman_rows(xa, xb))


def normalise01(x: np.ndarray) -> np.ndarray:
    """Min-max to [0, 1]; a constant map becomes all zeros (not NaN from 0/0)."""
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


def ssim(a: Tensor, b: Tensor, absolute: bool = True) -> Tensor:
    """(N,) SSIM (scikit-image, data_range 1) between maps normalised to [0, 1], image by image.

    The window is 7 pixels (skimage's default) or the largest odd size that fits a small map.
    Two constant maps are both all zeros after normalisation and so get SSIM 1.
    """
    if a.shape[0] != b.shape[0] or a.shape[-2:] != b.shape[-2:]:
        raise ValueError(f"maps must have the same batch and spatial size, got {tuple(a.shape)} and {tuple(b.shape)}")
    xa = _as_importance(a, absolute).cpu().double().numpy()
    xb = _as_importance(b, absolute).cpu().double().numpy()
    side = min(xa.shape[-2:])
    win = min(7, side if side % 2 == 1 else side - 1)
    if win < 3:
        raise ValueError(f"maps of size {tuple(xa.shape[-2:])} are too small for SSIM (need at least 3x3)")
    return torch.tensor([structural_similarity(normalise01(p), normalise01(q), data_range=1.0, win_size=win)
                         for p, q in zip(xa, xb)], dtype=torch.float64)
