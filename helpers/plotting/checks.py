"""Checks of a figure against the page rules, from the figure object alone (tests and the PDF
test use them): the scale it prints at, every text's size in points at print size, texts that
leave the figure or collide, legends over data."""
from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text

from .layout import GRID_CANVAS, MAX_HEIGHT_IN, MAX_PRINT_WIDTH_IN, MIN_FONT_PT, PRINT_WIDTH_IN


def printed_scale(fig: Figure, max_width_in: float = MAX_PRINT_WIDTH_IN,
                  max_height_in: float = MAX_HEIGHT_IN) -> float:
    """The factor LaTeX scales the figure by when it is saved at its size (see ``save_figure``):
    1 when it fits ``max_width_in`` x ``max_height_in``, less when it has to shrink."""
    width, height = fig.get_size_inches()
    return float(min(1.0, max_width_in / width, max_height_in / height))


def _ticklabels_in_view(axis) -> list[Text]:
    """The tick labels the axis draws: locator positions outside the view limits are skipped."""
    low, high = sorted(axis.get_view_interval())
    slack = 1e-9 * ((high - low) or 1.0)
    labels = []
    for locs, ticks in ((axis.get_majorticklocs(), axis.get_major_ticks),
                        (axis.get_minorticklocs(), axis.get_minor_ticks)):
        for tick, loc in zip(ticks(len(locs)), locs):
            if low - slack <= loc <= high + slack:
                labels += [tick.label1, tick.label2]
    return labels


def _drawn_texts(fig: Figure) -> list[Text]:
    """Every visible, non-empty text the figure draws (tick labels only for ticks in view)."""
    fig.draw_without_rendering()  # runs the layout engine, creates and labels the ticks
    tick_labels: set[int] = set()
    drawn_ticks: list[Text] = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                tick_labels.update((id(tick.label1), id(tick.label2)))
            if ax.get_visible() and ax.axison and axis.get_visible():
                drawn_ticks += _ticklabels_in_view(axis)
    others = [t for t in fig.findobj(Text) if id(t) not in tick_labels]
    return [t for t in others + drawn_ticks if t.get_visible() and t.get_text().strip() and _parents_visible(t)]


def _parents_visible(text: Text) -> bool:
    axes = text.axes
    if axes is not None and not axes.get_visible():
        return False
    if axes is not None and text in (axes.xaxis.label, axes.yaxis.label) and not axes.axison:
        return False
    return True


def text_sizes_pt(fig: Figure) -> list[tuple[str, float]]:
    """(text, font size in points as printed) for every text the figure draws: titles, labels,
    tick labels, legends, colour-bar labels, free texts."""
    scale = printed_scale(fig)
    return [(t.get_text(), float(t.get_fontsize()) * scale) for t in _drawn_texts(fig)]


def _overlap(a, b, tolerance_px: float = 0.5) -> bool:
    return (a.x0 < b.x1 - tolerance_px and b.x0 < a.x1 - tolerance_px
            and a.y0 < b.y1 - tolerance_px and b.y0 < a.y1 - tolerance_px)


def _outline(text: Text, box, renderer) -> np.ndarray:
    """The 4 corners (pixels) of a text's own rectangle: for rotated text the axis-aligned
    window extent is larger than the text and would make rotated neighbours seem to collide."""
    angle = np.deg2rad(text.get_rotation())
    if np.isclose(np.sin(angle) * np.cos(angle), 0.0):
        return np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]])
    probe = Text(text=text.get_text(), fontproperties=text.get_fontproperties(), linespacing=text.get_linespacing())
    probe.set_figure(text.figure)
    size = probe.get_window_extent(renderer)
    half = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [size.width / 2, size.height / 2]
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    # rotation keeps the centre, and the window extent is centred on the rotated rectangle
    return half @ rotation.T + [(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2]


def _polygons_overlap(a: np.ndarray, b: np.ndarray, tolerance_px: float = 0.5) -> bool:
    """Separating-axis test of two convex polygons (corners in order)."""
    for poly in (a, b):
        edges = np.roll(poly, -1, axis=0) - poly
        for normal in np.stack([-edges[:, 1], edges[:, 0]], axis=1):
            length = np.hypot(*normal)
            if length == 0:
                continue
            pa, pb = a @ normal / length, b @ normal / length
            if pa.max() <= pb.min() + tolerance_px or pb.max() <= pa.min() + tolerance_px:
                return False
    return True


def _data_boxes(fig: Figure, renderer) -> list[tuple[Axes | None, str, Any]]:
    """(owner, name, window box) of everything that shows data: each Axes, except colour bars (a
    scale, not data) and an image grid's canvas, whose images count one by one instead (no text
    of the canvas belongs over them: owner None)."""
    boxes = []
    for ax in fig.axes:
        if not ax.get_visible() or hasattr(ax, "_colorbar"):
            continue
        if ax.get_label() == GRID_CANVAS:
            boxes += [(None, "an image cell", im.get_window_extent(renderer)) for im in ax.images]
        else:
            boxes.append((ax, f"axes {ax.get_title()!r}", ax.get_window_extent(renderer)))
    return boxes


def layout_problems(fig: Figure, width_in: float = PRINT_WIDTH_IN, max_height_in: float = MAX_HEIGHT_IN,
                    min_font_pt: float = MIN_FONT_PT) -> list[str]:
    """What breaks the page rules, in words (empty when none): width other than ``width_in``, height
    over ``max_height_in``, a text smaller than ``min_font_pt`` as printed, a text (partly) outside
    the figure, two texts overlapping, a text or legend over the data of axes it does not belong to."""
    problems = []
    width, height = fig.get_size_inches()
    if abs(width - width_in) > 0.01:
        problems.append(f"figure is {width:.2f} in wide, not the print width {width_in} in")
    if height > max_height_in + 0.01:
        problems.append(f"figure is {height:.2f} in high, more than {max_height_in} in")
    texts = _drawn_texts(fig)
    scale = printed_scale(fig)
    renderer = fig._get_renderer()  # noqa: SLF001 - the figure's own renderer, as tight_layout uses
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    frame = fig.bbox
    for text, box in boxes:
        size = float(text.get_fontsize()) * scale
        if size < min_font_pt - 1e-6:
            problems.append(f"text {text.get_text()!r} prints at {size:.1f} pt (< {min_font_pt} pt)")
        if box.x0 < frame.x0 - 1 or box.y0 < frame.y0 - 1 or box.x1 > frame.x1 + 1 or box.y1 > frame.y1 + 1:
            problems.append(f"text {text.get_text()!r} reaches outside the figure")
    outlines = [_outline(t, box, renderer) for t, box in boxes]
    for i, (a, box_a) in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            b, box_b = boxes[j]
            if _overlap(box_a, box_b) and _polygons_overlap(outlines[i], outlines[j]):
                problems.append(f"texts {a.get_text()!r} and {b.get_text()!r} overlap")
    data_boxes = _data_boxes(fig, renderer)
    for text, box in boxes:
        for owner, name, data_box in data_boxes:
            if (owner is None or owner is not text.axes) and _overlap(box, data_box, tolerance_px=1.0):
                problems.append(f"text {text.get_text()!r} lies over the data of {name}")
    legends = [leg for leg in fig.findobj(Legend) if leg.get_visible()]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        for _, name, data_box in data_boxes:
            if _overlap(box, data_box):
                problems.append(f"a legend lies over the data of {name}")
    return problems
