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


def spearman(a: Tensor, b: Tensor, absolute: bool = True) -> Tensor:
    """(N,) Spearman rank correlation between maps ``a`` and ``b`` (N, C, H, W) image by image.

    Ranks with ties averaged (scipy's rankdata), then Pearson on the ranks. A constant map has no
    ranking, so its correlation is NaN (not 0): callers count and drop NaNs explicitly
    (:func:`helpers.trust.intervals.mean_ci` does) instead of averaging a made-up number.
    ``absolute=False`` compares signed maps (Adebayo report both; |map| is the default).
    """
    if a.shape[0] != b.shape[0] or a.shape[-2:] != b.shape[-2:]:
        raise ValueError(f"maps must have the same batch and spatial size, got {tuple(a.shape)} and {tuple(b.shape)}")
    xa = _as_importance(a, absolute).reshape(a.shape[0], -1).cpu().double().numpy()
    xb = _as_importance(b, absolute).reshape(b.shape[0], -1).cpu().double().numpy()
    out = np.full(xa.shape[0], np.nan)
    for i in range(xa.shape[0]):
        ra, rb = rankdata(xa[i]), rankdata(xb[i])
        ra, rb = ra - ra.mean(), rb - rb.mean()
        denom = np.sqrt((ra * ra).sum() * (rb * rb).sum())
        if denom > 0:
            out[i] = float((ra * rb).sum() / denom)
    return torch.from_numpy(out)


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
