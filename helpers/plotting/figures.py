"""Matplotlib figures built on ``matplotlib.figure.Figure`` (no pyplot state: works with the Agg
backend, in papermill runs and in Jupyter, and never closes a figure the caller holds)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from skimage.segmentation import mark_boundaries

ArrayLike = Union[np.ndarray, Any]  # numpy array or torch tensor


def _numpy(x: ArrayLike) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().float().numpy()
    return np.asarray(x)


def to_hwc(image: ArrayLike) -> np.ndarray:
    """An image (C,H,W) / (H,W,C) / (H,W) as float (H,W,3) or (H,W) clipped to [0, 1] for imshow."""
    arr = _numpy(image).astype(np.float64)
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
    arr = _numpy(attribution).astype(np.float64)
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


def save_figure(fig: Figure, save_to: str | Path | None, dpi: int = 120) -> Figure:
    """Write ``fig`` as PNG to ``save_to`` (parent folders created) when a path is given."""
    if save_to is not None:
        path = Path(save_to)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png", dpi=dpi, bbox_inches="tight")
    return fig


def _blend(image: np.ndarray, heat: np.ndarray, alpha: float, cmap: str) -> np.ndarray:
    colored = colormaps[cmap](heat)[..., :3]
    base = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
    if base.shape[:2] != heat.shape:
        raise ValueError(f"image {base.shape[:2]} and map {heat.shape} sizes differ")
    return (1 - alpha) * base + alpha * colored


def heatmap_overlay(image: ArrayLike, attribution: ArrayLike, alpha: float = 0.5, cmap: str = "jet",
                    title: str | None = None, save_to: str | Path | None = None) -> Figure:
    """Image, map and map-over-image side by side."""
    img, heat = to_hwc(image), normalize_for_display(attribution)
    fig = Figure(figsize=(9, 3.2))
    axes = fig.subplots(1, 3)
    axes[0].imshow(img)
    axes[0].set_title("image")
    axes[1].imshow(heat, cmap=cmap, vmin=0, vmax=1)
    axes[1].set_title("map")
    axes[2].imshow(_blend(img, heat, alpha, cmap))
    axes[2].set_title("overlay")
    for ax in axes:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    return save_figure(fig, save_to)


def method_grid(images: ArrayLike, maps: Mapping[str, ArrayLike], row_titles: Sequence[str] | None = None,
                overlay: bool = False, alpha: float = 0.5, cmap: str = "jet",
                save_to: str | Path | None = None) -> Figure:
    """Grid: one row per image, first column the image, then one column per method.

    ``maps``: method name -> attributions (N, C, H, W) or (N, H, W), each normalised for
    display per image. ``overlay`` draws maps over the image instead of alone.
    """
    imgs = _numpy(images)
    n = imgs.shape[0]
    names = list(maps)
    fig = Figure(figsize=(2.2 * (len(names) + 1), 2.2 * n))
    axes = np.asarray(fig.subplots(n, len(names) + 1, squeeze=False))
    for i in range(n):
        img = to_hwc(imgs[i])
        axes[i, 0].imshow(img)
        axes[i, 0].set_ylabel(row_titles[i] if row_titles else "")
        for j, name in enumerate(names):
            method_maps = _numpy(maps[name])
            if method_maps.shape[0] != n:
                raise ValueError(f"maps[{name!r}] has {method_maps.shape[0]} maps for {n} images")
            heat = normalize_for_display(method_maps[i])
            axes[i, j + 1].imshow(_blend(img, heat, alpha, cmap) if overlay else heat,
                                  cmap=None if overlay else cmap, vmin=0, vmax=1)
            if i == 0:
                axes[i, j + 1].set_title(name)
    axes[0, 0].set_title("image")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return save_figure(fig, save_to)


def lime_figure(result: Any, labels: Sequence[int] | None = None, class_names: Sequence[str] | None = None,
                top_k: int = 5, save_to: str | Path | None = None) -> Figure:
    """For a :class:`helpers.explain.LimeResult`: the image with superpixel boundaries, then per
    class the top-k positive (green) and negative (red) superpixels outlined on the image."""
    image = to_hwc(result.image)
    labels = [result.predicted] if labels is None else list(labels)
    fig = Figure(figsize=(3 * (len(labels) + 1), 3.2))
    axes = fig.subplots(1, len(labels) + 1, squeeze=False)[0]
    axes[0].imshow(mark_boundaries(image, result.segments, color=(1, 1, 0)))
    axes[0].set_title(f"{int(result.segments.max()) + 1} superpixels")
    for ax, label in zip(axes[1:], labels):
        pos = result.mask(label, positive=True, top_k=top_k)
        neg = result.mask(label, positive=False, top_k=top_k)
        shown = image * 0.35 + 0.65 * image * (pos | neg)[..., None]  # dim what is not selected
        shown = mark_boundaries(shown, pos.astype(int), color=(0, 1, 0))
        shown = mark_boundaries(shown, neg.astype(int), color=(1, 0, 0))
        ax.imshow(np.clip(shown, 0, 1))
        name = class_names[label] if class_names is not None else f"class {label}"
        ax.set_title(f"{name}\np={result.probabilities[label]:.2f}, R2={result.score[label]:.2f}", fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.tight_layout()
    return save_figure(fig, save_to)


def filter_grid(images: ArrayLike, titles: Sequence[str] | None = None, ncols: int = 8,
                save_to: str | Path | None = None) -> Figure:
    """Grid of filter pictures (K, 3, H, W) in [0, 1] (e.g. activation maximisation results)."""
    imgs = _numpy(images)
    k = imgs.shape[0]
    ncols = max(1, min(ncols, k))
    nrows = -(-k // ncols)
    fig = Figure(figsize=(1.8 * ncols, 1.9 * nrows))
    axes = np.asarray(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < k:
            ax.imshow(to_hwc(imgs[i]))
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    fig.tight_layout()
    return save_figure(fig, save_to)


def activation_maps_figure(images: ArrayLike, maps: ArrayLike, titles: Sequence[str] | None = None,
                           cmap: str = "viridis", save_to: str | Path | None = None) -> Figure:
    """Two rows: the images and the filter's activation maps (N, h, w), one shared colour scale
    so that maps of different images compare."""
    imgs, acts = _numpy(images), _numpy(maps)
    n = imgs.shape[0]
    if acts.shape[0] != n:
        raise ValueError(f"{acts.shape[0]} maps for {n} images")
    vmin, vmax = float(acts.min()), float(acts.max())
    if vmax <= vmin:  # constant maps: any non-empty range avoids a division by zero in imshow
        vmax = vmin + 1.0
    fig = Figure(figsize=(2.2 * n, 4.6))
    axes = np.asarray(fig.subplots(2, n, squeeze=False))
    for i in range(n):
        axes[0, i].imshow(to_hwc(imgs[i]))
        if titles is not None:
            axes[0, i].set_title(str(titles[i]), fontsize=9)
        im = axes[1, i].imshow(acts[i], cmap=cmap, vmin=vmin, vmax=vmax)
    for ax in axes.ravel():
        ax.axis("off")
    fig.colorbar(im, ax=list(axes[1]), shrink=0.8)
    return save_figure(fig, save_to)
