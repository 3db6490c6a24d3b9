"""Image grids laid out for an A4 page: the images are the columns (at most ``MAX_PER_ROW``), the
methods/panels the rows, labelled on the left; more images wrap into further figures (blocks), so
a grid returns a list of figures, each at print width and never taller than the page allows."""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from skimage.segmentation import mark_boundaries

from .display import ArrayLike, as_numpy, blend, normalize_for_display, to_hwc
from .layout import (FONT_PT, PRINT_WIDTH_IN, GridCell, check_per_row, image_blocks, image_grid, text_height_in,
                     wrap_text)
from .save import save_figure

_LEGEND_IN = 0.28                 # a one-line legend strip under a grid
_COLORBAR_IN = 0.09               # thickness of a horizontal colour bar


def _aspect(image: np.ndarray) -> float:
    return image.shape[0] / image.shape[1]


def _show(cell: GridCell, picture: np.ndarray) -> None:
    """An image (H,W,3) or a grey one (H,W) filling its cell."""
    cell.imshow(picture, cmap="gray" if picture.ndim == 2 else None, vmin=0, vmax=1, aspect="auto")


def _rgb(picture: np.ndarray) -> np.ndarray:
    return np.repeat(picture[..., None], 3, axis=2) if picture.ndim == 2 else picture


def _check_images(imgs: np.ndarray) -> int:
    if len(imgs) == 0:
        raise ValueError("no images to show: pass a batch (N,C,H,W) with N >= 1")
    return len(imgs)


def _check_count(what: str, values: Sequence | np.ndarray | None, n: int) -> None:
    if values is not None and len(values) != n:
        raise ValueError(f"{what} has {len(values)} entries for {n} images: give one per image")


def method_grid(images: ArrayLike, maps: Mapping[str, ArrayLike], titles: Sequence[str] | None = None,
                overlay: Collection[str] = (), image_label: str = "image", per_row: int = 5,
                alpha: float = 0.5, cmap: str = "jet", reduce_channels: str = "max_abs") -> list[Figure]:
    """Per image a column: the image, then one row per method (row label = method name).

    ``maps``: method name -> attributions (N,C,H,W) or (N,H,W) at the images' resolution, each
    normalised per image for display (see :func:`normalize_for_display`); methods named in
    ``overlay`` are drawn over the image. ``titles`` (one per image) go above the columns.
    Returns one figure per block of at most ``per_row`` images.
    """
    imgs = as_numpy(images)
    n, names = _check_images(imgs), list(maps)
    check_per_row(per_row)
    unknown = sorted(set(overlay) - set(names))
    if unknown:
        raise ValueError(f"overlay names {unknown} are not among the maps {names}")
    arrays = {name: as_numpy(maps[name]) for name in names}
    for name, arr in arrays.items():
        if len(arr) != n:
            raise ValueError(f"maps[{name!r}] has {len(arr)} maps for {n} images")
    _check_count("titles", titles, n)
    cols = min(per_row, n)
    figures = []
    for block in image_blocks(n, per_row):
        pictures = [to_hwc(imgs[i]) for i in block]
        aspect = _aspect(pictures[0])
        cells = {(0, c): (titles[i] if titles is not None else None) for c, i in enumerate(block)}
        cells.update({(r + 1, c): None for r in range(len(names)) for c in range(len(block))})
        grid = image_grid(cols, [aspect] * (len(names) + 1), cells, row_labels=[image_label, *names])
        for c, (i, picture) in enumerate(zip(block, pictures)):
            _show(grid.cells[(0, c)], picture)
            for r, name in enumerate(names, start=1):
                heat = normalize_for_display(arrays[name][i], reduce_channels=reduce_channels)
                if name in overlay:
                    grid.cells[(r, c)].imshow(blend(picture, heat, alpha, cmap), aspect="auto")
                else:
                    grid.cells[(r, c)].imshow(heat, cmap=cmap, vmin=0, vmax=1, aspect="auto")
        figures.append(grid.fig)
    return figures


def _lime_panel(image: np.ndarray, result: Any, label: int, top_k: int) -> np.ndarray:
    pos = result.mask(label, positive=True, top_k=top_k)
    neg = result.mask(label, positive=False, top_k=top_k)
    shown = image * 0.35 + 0.65 * image * (pos | neg)[..., None]  # dim what is not selected
    shown = mark_boundaries(shown, pos.astype(int), color=(0, 1, 0), mode="thick")
    shown = mark_boundaries(shown, neg.astype(int), color=(1, 0, 0), mode="thick")
    return np.clip(shown, 0, 1)


def lime_grid(images: ArrayLike, results: Sequence[Any], panels: Sequence[Sequence[tuple[int, str]]],
              titles: Sequence[str] | None = None, image_label: str = "superpixels", top_k: int = 5,
              per_row: int = 5, panel_labels: Sequence[str] | None = None, support_label: str | None = "supports",
              oppose_label: str | None = "opposes") -> list[Figure]:
    """Per image a column: its superpixels, then one row per panel ``(class index, panel title)`` of
    ``panels[i]`` with the ``top_k`` superpixels supporting (green outline) and opposing (red
    outline) that class in the LIME surrogate (``results[i]``, a :class:`LimeResult`); what is not
    selected is dimmed. Panel titles sit above their panel; ``panel_labels`` (one per panel row)
    on the left; a legend for the outline colours under the grid (None labels: no legend).
    Images with fewer panels leave their lower cells empty. One figure per block of images.
    """
    imgs = as_numpy(images)
    n = _check_images(imgs)
    check_per_row(per_row)
    _check_count("results", results, n)
    _check_count("panels", panels, n)
    _check_count("titles", titles, n)
    n_panels = max((len(p) for p in panels), default=0)
    if panel_labels is not None and len(panel_labels) != n_panels:
        raise ValueError(f"panel_labels has {len(panel_labels)} entries for {n_panels} panel rows")
    legend = [(label, color) for label, color in ((support_label, "#00c000"), (oppose_label, "#e00000")) if label]
    cols = min(per_row, n)
    figures = []
    for block in image_blocks(n, per_row):
        pictures = [_rgb(to_hwc(imgs[i])) for i in block]
        for i, picture in zip(block, pictures):
            if results[i].segments.shape != picture.shape[:2]:
                raise ValueError(f"image {i} is {picture.shape[:2]} but its LIME segments are "
                                 f"{results[i].segments.shape}: pass the images LIME explained")
        cells = {(0, c): (titles[i] if titles is not None else None) for c, i in enumerate(block)}
        cells.update({(j + 1, c): title for c, i in enumerate(block) for j, (_, title) in enumerate(panels[i])})
        grid = image_grid(cols, [_aspect(pictures[0])] * (n_panels + 1), cells,
                          row_labels=[image_label, *(panel_labels or [None] * n_panels)],
                          bottom_in=_LEGEND_IN if legend else 0.0)
        for c, (i, picture) in enumerate(zip(block, pictures)):
            grid.cells[(0, c)].imshow(mark_boundaries(picture, results[i].segments, color=(1, 1, 0)), aspect="auto")
            for j, (label, _) in enumerate(panels[i]):
                grid.cells[(j + 1, c)].imshow(_lime_panel(picture, results[i], int(label), top_k), aspect="auto")
        if legend:
            handles = [Patch(facecolor="none", edgecolor=color, linewidth=2, label=label) for label, color in legend]
            height = grid.fig.get_size_inches()[1]
            grid.fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.02 / height),
                            ncols=len(handles), fontsize=FONT_PT, frameon=False, borderaxespad=0.0,
                            handlelength=1.2, borderpad=0.1)
        figures.append(grid.fig)
    return figures


def picture_grid(images: ArrayLike, titles: Sequence[str] | None, per_row: int = 5, suptitle: str | None = None,
                 row_labels: Sequence[str] | None = None) -> Figure:
    """Pictures (K,3,H,W) in [0, 1] (e.g. gradient-ascent results), ``per_row`` a row with a title
    each, in one figure (pictures shrink to keep it within the page); ``row_labels`` name the rows."""
    imgs = as_numpy(images)
    k = _check_images(imgs)
    _check_count("titles", titles, k)
    blocks = image_blocks(k, per_row)
    if row_labels is not None and len(row_labels) != len(blocks):
        raise ValueError(f"row_labels has {len(row_labels)} entries for {len(blocks)} rows of {per_row}")
    pictures = [to_hwc(img) for img in imgs]
    cells = {(r, c): (titles[i] if titles is not None else None)
             for r, block in enumerate(blocks) for c, i in enumerate(block)}
    grid = image_grid(min(per_row, k), [_aspect(pictures[0])] * len(blocks), cells, row_labels=row_labels,
                      suptitle=suptitle)
    for r, block in enumerate(blocks):
        for c, i in enumerate(block):
            _show(grid.cells[(r, c)], pictures[i])
    return grid.fig


def activation_grid(images: ArrayLike, maps: ArrayLike, titles: Sequence[str] | None = None,
                    colorbar_label: str = "activation", per_row: int = 5, cmap: str = "viridis",
                    row_labels: Sequence[str] | None = None) -> list[Figure]:
    """Images above a filter's activation maps (N,h,w), with ONE colour scale shared by every image
    of every block (so maps of different images compare), shown as a colour bar under each block.
    ``row_labels``: optional (image row, map row) labels. One figure per block of images."""
    imgs, acts = as_numpy(images), as_numpy(maps).astype(np.float64)
    n = _check_images(imgs)
    check_per_row(per_row)
    if acts.ndim != 3:
        raise ValueError(f"expected activation maps (N,h,w), got shape {acts.shape}: select one filter's channel")
    _check_count("maps", acts, n)
    _check_count("titles", titles, n)
    if row_labels is not None and len(row_labels) != 2:
        raise ValueError(f"row_labels needs 2 entries (image row, map row), got {len(row_labels)}")
    finite = acts[np.isfinite(acts)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if vmax <= vmin:  # constant maps: any non-empty range avoids a division by zero
        vmax = vmin + 1.0
    label = wrap_text(colorbar_label, PRINT_WIDTH_IN * 0.8, FONT_PT) if colorbar_label else ""
    bottom = 0.12 + _COLORBAR_IN + text_height_in("0", FONT_PT) + text_height_in(label, FONT_PT)
    cols = min(per_row, n)
    figures = []
    for block in image_blocks(n, per_row):
        pictures = [to_hwc(imgs[i]) for i in block]
        cells = {(r, c): (titles[i] if titles is not None and r == 0 else None)
                 for r in range(2) for c, i in enumerate(block)}
        grid = image_grid(cols, [_aspect(pictures[0])] * 2, cells, row_labels=row_labels, bottom_in=bottom)
        mappable = None
        for c, (i, picture) in enumerate(zip(block, pictures)):
            _show(grid.cells[(0, c)], picture)
            mappable = grid.cells[(1, c)].imshow(acts[i], cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto",
                                                interpolation="nearest")
        fig = grid.fig
        height = fig.get_size_inches()[1]
        left = grid.cells[(1, 0)].get_position().x0
        right = grid.right
        y = (bottom - 0.06 - _COLORBAR_IN) / height
        cax = fig.add_axes((left + 0.1 * (right - left), y, 0.8 * (right - left), _COLORBAR_IN / height))
        bar = fig.colorbar(mappable, cax=cax, orientation="horizontal")
        bar.ax.tick_params(labelsize=FONT_PT, length=2, pad=1)
        if label:
            bar.set_label(label, fontsize=FONT_PT, labelpad=1)
        figures.append(fig)
    return figures


def heatmap_overlay(image: ArrayLike, attribution: ArrayLike, alpha: float = 0.5, cmap: str = "jet",
                    title: str | None = None, save_to: str | Path | None = None,
                    labels: Sequence[str] = ("image", "map", "overlay")) -> Figure:
    """One image, its map and the map over the image side by side (``labels`` above them)."""
    return save_figure(overlay_rows(image, {"": attribution}, alpha, cmap, title, labels), save_to)


def overlay_rows(image: ArrayLike, maps: Mapping[str, ArrayLike], alpha: float = 0.5, cmap: str = "jet",
                 title: str | None = None, labels: Sequence[str] = ("image", "map", "overlay")) -> Figure:
    """One image and several of its maps: a row per map (row label = its name; an empty name
    gives no label), each row the image, the map and the map over the image (``labels`` above
    the first row). Maps are normalised for display one by one (:func:`normalize_for_display`)."""
    if not maps:
        raise ValueError("no maps to show: pass at least one {name: map}")
    img = to_hwc(image)
    names = list(maps)
    cells = {(r, c): (labels[c] if r == 0 else None) for r in range(len(names)) for c in range(3)}
    grid = image_grid(3, [_aspect(img)] * len(names), cells, row_labels=[n or None for n in names], suptitle=title)
    for r, name in enumerate(names):
        heat = normalize_for_display(maps[name])
        _show(grid.cells[(r, 0)], img)
        grid.cells[(r, 1)].imshow(heat, cmap=cmap, vmin=0, vmax=1, aspect="auto")
        grid.cells[(r, 2)].imshow(blend(img, heat, alpha, cmap), aspect="auto")
    return grid.fig
