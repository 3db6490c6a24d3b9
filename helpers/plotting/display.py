"""Display normalisation: the only computation the plotting layer does (images to (H,W,3) in
[0, 1], attribution maps to [0, 1] for a colour map, maps coloured over images)."""
from __future__ import annotations

from typing import Any, Union

import numpy as np
from matplotlib import colormaps

ArrayLike = Union[np.ndarray, Any]  # numpy array or torch tensor


def as_numpy(x: ArrayLike) -> np.ndarray:
    """A numpy view of a tensor (detached, on the CPU, float) or of any array-like."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().float().numpy()
    return np.asarray(x)


def to_hwc(image: ArrayLike) -> np.ndarray:
    """An image (C,H,W) / (H,W,C) / (H,W) as float (H,W,3) or (H,W) clipped to [0, 1] for imshow."""
    arr = as_numpy(image).astype(np.float64)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = arr.transpose(1, 2, 0)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3):
        raise ValueError(f"expected one image (C,H,W) or (H,W,C), got shape {arr.shape}")
    return np.clip(arr, 0.0, 1.0)


def normalize_for_display(attribution: ArrayLike, reduce_channels: str = "max_abs",
                          percentile: float = 99.5, signed: bool = False) -> np.ndarray:
    """An attribution map as (H, W) in [0, 1] (or [-1, 1] with ``signed``) for display only.

    Channels are reduced (max |.| or mean |.|); values are scaled by the given percentile of |map|
    so a few extreme pixels do not wash out the picture. A constant map becomes zeros, never NaN.
    """
    arr = as_numpy(attribution).astype(np.float64)
    while arr.ndim > 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 3:
        axis = 0 if arr.shape[0] in (1, 3) else -1
        if signed:
            arr = arr.sum(axis=axis)
        elif reduce_channels == "mean_abs":
            arr = np.abs(arr).mean(axis=axis)
        else:
            arr = np.abs(arr).max(axis=axis)
    if arr.ndim != 2:
        raise ValueError(f"expected a map (H,W), (1,H,W) or (C,H,W), got shape {arr.shape}")
    arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
    if signed:
        scale = np.percentile(np.abs(arr), percentile)
        return np.clip(arr / scale, -1, 1) if scale > 0 else np.zeros_like(arr)
    low = arr.min()
    scale = np.percentile(arr - low, percentile)
    return np.clip((arr - low) / scale, 0, 1) if scale > 0 else np.zeros_like(arr)


def blend(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5, cmap: str = "jet") -> np.ndarray:
    """``heat`` (H,W) in [0, 1] coloured with ``cmap`` and mixed over ``image`` (H,W,3) or (H,W)."""
    colored = colormaps[cmap](heat)[..., :3]
    base = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
    if base.shape[:2] != heat.shape:
        raise ValueError(f"image {base.shape[:2]} and map {heat.shape} sizes differ: pass maps at the "
                         "image's resolution (upsample coarse maps such as Grad-CAM first)")
    return (1 - alpha) * base + alpha * colored
