"""Report figures whose every title and label comes from the caller (so from the language's
texts). Built on ``matplotlib.figure.Figure`` like :mod:`helpers.plotting.figures`, whose
display helpers are reused."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from skimage.segmentation import mark_boundaries

from helpers.plotting.figures import normalize_for_display, to_hwc


def _blend(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5, cmap: str = "jet") -> np.ndarray:
    colored = colormaps[cmap](heat)[..., :3]
    return (1 - alpha) * image + alpha * colored


def map_grid(images, columns: Sequence[tuple[str, object, bool]], row_titles: Sequence[str],
             image_title: str, cmap: str = "jet") -> Figure:
    """One row per image: the image, then one column per (title, maps (N,...,H,W), overlay?)."""
    n = len(images)
    ncols = len(columns) + 1
    fig = Figure(figsize=(2.3 * ncols, 2.45 * n), layout="constrained")
    axes = np.asarray(fig.subplots(n, ncols, squeeze=False))
    for i in range(n):
        img = to_hwc(images[i])
        axes[i, 0].imshow(img)
        axes[i, 0].set_ylabel(row_titles[i], fontsize=8)
        for j, (title, maps, overlay) in enumerate(columns):
            heat = normalize_for_display(maps[i])
            if overlay:
                axes[i, j + 1].imshow(_blend(img, heat, cmap=cmap))
            else:
                axes[i, j + 1].imshow(heat, cmap=cmap, vmin=0, vmax=1)
            if i == 0:
                axes[i, j + 1].set_title(title, fontsize=9)
    axes[0, 0].set_title(image_title, fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def lime_grid(images, results, rows: Sequence[tuple[str, Sequence[tuple[int, str]]]], image_title: str,
              top_k: int = 5) -> Figure:
    """One row per image: superpixel boundaries, then for each (class, column title) of
    ``rows[i] = (row title, [(class, title), ...])`` the top-k supporting (green outline) and
    opposing (red outline) superpixels of that class; what is not selected is dimmed."""
    n = len(results)
    ncols = 1 + max(len(r[1]) for r in rows)
    fig = Figure(figsize=(3.0 * ncols, 2.6 * n), layout="constrained")
    axes = np.asarray(fig.subplots(n, ncols, squeeze=False))
    for i, (result, (row_title, columns)) in enumerate(zip(results, rows)):
        image = to_hwc(images[i])
        axes[i, 0].imshow(mark_boundaries(image, result.segments, color=(1, 1, 0)))
        axes[i, 0].set_ylabel(row_title, fontsize=8)
        for ax, (label, title) in zip(axes[i, 1:], columns):
            pos = result.mask(label, positive=True, top_k=top_k)
            neg = result.mask(label, positive=False, top_k=top_k)
            shown = image * 0.35 + 0.65 * image * (pos | neg)[..., None]
            shown = mark_boundaries(shown, pos.astype(int), color=(0, 1, 0))
            shown = mark_boundaries(shown, neg.astype(int), color=(1, 0, 0))
            ax.imshow(np.clip(shown, 0, 1))
            ax.set_title(title, fontsize=8)
    axes[0, 0].set_title(image_title, fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    return fig


def picture_grid(images, titles: Sequence[str], ncols: int = 8, suptitle: str | None = None) -> Figure:
    """Grid of pictures (K,3,H,W) in [0,1] with a title each (gradient-ascent results)."""
    k = len(images)
    ncols = max(1, min(ncols, k))
    nrows = -(-k // ncols)
    fig = Figure(figsize=(1.9 * ncols, 2.1 * nrows + (0.3 if suptitle else 0)), layout="constrained")
    axes = np.asarray(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        ax.axis("off")
        if i < k:
            ax.imshow(to_hwc(images[i]))
            ax.set_title(titles[i], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return fig


def activation_figure(images, maps, titles: Sequence[str], colorbar_label: str) -> Figure:
    """Images above the filter's activation maps, one shared colour scale."""
    n = len(images)
    acts = np.asarray(maps)
    vmin, vmax = float(acts.min()), float(acts.max())
    if vmax <= vmin:
        vmax = vmin + 1.0
    fig = Figure(figsize=(2.2 * n + 0.8, 4.8), layout="constrained")
    axes = np.asarray(fig.subplots(2, n, squeeze=False))
    im = None
    for i in range(n):
        axes[0, i].imshow(to_hwc(images[i]))
        axes[0, i].set_title(titles[i], fontsize=8)
        im = axes[1, i].imshow(acts[i], cmap="viridis", vmin=vmin, vmax=vmax)
    for ax in axes.ravel():
        ax.axis("off")
    fig.colorbar(im, ax=list(axes[1]), shrink=0.8, label=colorbar_label)
    return fig


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, xlabel: str,
              highlight: Sequence[bool] | None = None, reference: float | None = None,
              reference_label: str | None = None) -> Figure:
    """Horizontal bars (e.g. mean activation per class), largest on top."""
    fig = Figure(figsize=(6.4, 0.45 * len(labels) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(labels))[::-1]
    colors = ["tab:orange" if (highlight is not None and highlight[i]) else "tab:blue" for i in range(len(labels))]
    ax.barh(y, values, color=colors)
    ax.set_yticks(y, labels)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    if reference is not None:
        ax.axvline(reference, color="grey", linestyle="--", label=reference_label)
        if reference_label:
            ax.legend(loc="lower right", fontsize=8)
    return fig


def grouped_bars(groups: Sequence[str], series: dict[str, Sequence[float]], title: str, ylabel: str) -> Figure:
    """Bars per group (e.g. class) for several series (e.g. saliency on food vs food area)."""
    fig = Figure(figsize=(max(6.0, 1.1 * len(groups) + 2), 3.6), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(series))
    x = np.arange(len(groups))
    for j, (name, values) in enumerate(series.items()):
        ax.bar(x + (j - (len(series) - 1) / 2) * width, values, width, label=name)
    ax.set_xticks(x, groups, rotation=20, ha="right")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def line_chart(series: dict[str, tuple[Sequence[float], Sequence[float]]], title: str, xlabel: str,
               ylabel: str, ylim: tuple[float, float] | None = (-0.2, 1.05)) -> Figure:
    """One line with markers per series name -> (x values, y values)."""
    fig = Figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.add_subplot()
    for name, (x, y) in series.items():
        ax.plot(list(x), list(y), marker="o", label=name)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    ax.set_title(title)
    ax.legend(fontsize=8, loc="best")
    return fig
