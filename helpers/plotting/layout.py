"""Page geometry for figures printed on A4 by nbconvert's LaTeX route.

nbconvert prints an image at most 0.9 x the text width (about 6.3 in on A4) and the report's PDF
route caps it at about 0.8 x the text height; a figure larger than that is scaled down, and its
labels with it (10-row grids came out a third of the page wide with 3 pt labels). So every
figure here is made at its print width, never taller than the cap, with every text at least
``MIN_FONT_PT`` at that size: printed as saved, nothing shrinks.
"""
from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.image import AxesImage
from matplotlib.textpath import text_to_path
from matplotlib.transforms import Bbox, offset_copy

TEXT_WIDTH_IN = 6.3            # A4 text width of nbconvert's article template
MAX_PRINT_WIDTH_IN = 0.9 * TEXT_WIDTH_IN  # nbconvert: \adjustimage{max size={0.9\linewidth}...}
PRINT_WIDTH_IN = 5.6           # every figure's width: below the cap, so printed at 100 %
MAX_HEIGHT_IN = 7.5            # the PDF route's height cap (about 0.8 x the text height)
MIN_FONT_PT = 7.0              # smallest readable text at print size
FONT_PT = 8.0                  # labels, ticks, legends
SMALL_PT = 7.5                 # titles and labels of image cells in grids (narrow columns)
TITLE_PT = 9.0                 # figure and axes titles
MAX_PER_ROW = 5                # images per row of a grid at readable size
MAX_CELL_IN = 1.5              # grids of few images: cells no wider, so a grid never fills a page
LINE_SPACING = 1.2             # matplotlib's default multi-line spacing

_MARGIN_IN = 0.04
_GAP_IN = 0.06
_TITLE_PAD_PT = 2.0
_LABEL_MAX_IN = 1.0            # row labels wrap to at most this width
_MATH = re.compile(r"(?<!\\)\$.+(?<!\\)\$")
# A Latin word (ending after a '/' so "Noodles/Pasta" can break), one wide (CJK) character, or spaces.
_TOKEN = re.compile(r"\s+|[^\s/]+/?|/")


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def text_width_in(text: str, size_pt: float) -> float:
    """Width in inches of the widest line of ``text`` at ``size_pt`` (measured with the current
    matplotlib font settings, CJK fallback fonts included)."""
    prop = FontProperties(size=size_pt)
    widest = 0.0
    with warnings.catch_warnings():  # a missing glyph is reported when the figure is drawn
        warnings.simplefilter("ignore", UserWarning)
        for line in text.split("\n"):
            if line:
                width, _, _ = text_to_path.get_text_width_height_descent(line, prop, ismath=bool(_MATH.search(line)))
                widest = max(widest, float(width))
    return widest / 72.0


def text_height_in(text: str, size_pt: float) -> float:
    """Height in inches that ``text`` (one or more lines) takes at ``size_pt``."""
    lines = text.count("\n") + 1 if text else 0
    return lines * size_pt * LINE_SPACING / 72.0


def _tokens(line: str) -> list[str]:
    out: list[str] = []
    for token in _TOKEN.findall(line):
        if not token.isspace() and any(_is_wide(c) for c in token):
            out.extend(token)  # CJK text may break between any two characters
        else:
            out.append(token)
    return _glue_equals(out)


def _glue_equals(tokens: list[str]) -> list[str]:
    """One token for "n = 50": a line never ends or starts at an equals sign ("(n =" / "50)")."""
    glued: list[str] = []
    for token in tokens:
        previous = glued[-1] if glued else ""
        if token.startswith("=") and previous:
            if previous.isspace() and len(glued) > 1:
                glued[-2:] = [glued[-2] + previous + token]
            else:
                glued[-1] += token
        elif previous.rstrip().endswith("=") and not previous.isspace():
            glued[-1] += token  # the space after "=", then the value
        else:
            glued.append(token)
    return glued


def _split_long(token: str, width_in: float, size_pt: float) -> list[str]:
    pieces, current = [], ""
    for char in token:
        if current and text_width_in(current + char, size_pt) > width_in:
            pieces.append(current)
            current = ""
        current += char
    return pieces + [current] if current else pieces


def wrap_text(text: str, width_in: float, size_pt: float) -> str:
    """``text`` with line breaks so that no line is wider than ``width_in`` at ``size_pt``: breaks at
    spaces, after '/', between CJK characters, and inside a word only when it alone is too wide.
    Existing line breaks are kept; text with math ($...$) is left as it is."""
    out_lines: list[str] = []
    for line in text.split("\n"):
        if _MATH.search(line) or text_width_in(line, size_pt) <= width_in:
            out_lines.append(line)
            continue
        current = ""
        for token in _tokens(line):
            candidate = current + token
            if not current or text_width_in(candidate.rstrip(), size_pt) <= width_in:
                current = candidate
                continue
            out_lines.append(current.rstrip())
            current = "" if token.isspace() else token
        if current.strip():
            out_lines.append(current.rstrip())
    wrapped: list[str] = []
    for line in out_lines:
        wrapped.extend(_split_long(line, width_in, size_pt) if text_width_in(line, size_pt) > width_in else [line])
    return "\n".join(wrapped)


def image_blocks(n: int, per_row: int) -> list[range]:
    """Indices of ``n`` images in blocks of at most ``per_row`` (one block per figure)."""
    check_per_row(per_row)
    return [range(start, min(start + per_row, n)) for start in range(0, n, per_row)]


def check_per_row(per_row: int) -> None:
    if isinstance(per_row, bool) or not isinstance(per_row, int) or not 1 <= per_row <= MAX_PER_ROW:
        raise ValueError(f"per_row={per_row!r}: use 1 to {MAX_PER_ROW} images per row (more do not fit an A4 "
                         "page at readable size); further images wrap into more blocks/rows")


def chart_figure(height_in: float) -> Figure:
    """A figure for one chart at print width, ``height_in`` tall (capped), laid out by matplotlib's
    constrained layout so labels and outside legends get their room inside the figure."""
    fig = Figure(figsize=(PRINT_WIDTH_IN, min(MAX_HEIGHT_IN, height_in)), layout="constrained")
    fig.get_layout_engine().set(w_pad=0.03, h_pad=0.03)
    return fig


# The label of the one Axes that holds a grid's images (see :func:`image_grid`).
GRID_CANVAS = "image grid"


@dataclass
class GridCell:
    """One image cell of an :class:`ImageGrid`: a rectangle on the grid's canvas, in inches from
    the figure's lower left corner (``left``, ``bottom``, ``width``, ``height``)."""

    canvas: Axes
    left: float
    bottom: float
    width: float
    height: float

    def imshow(self, picture: Any, **kwargs: Any) -> AxesImage:
        """Draw ``picture`` filling the cell (``kwargs`` as for matplotlib's ``imshow``)."""
        kwargs.setdefault("aspect", "auto")
        extent = (self.left, self.left + self.width, self.bottom, self.bottom + self.height)
        return self.canvas.imshow(picture, extent=extent, **kwargs)

    def get_position(self) -> Bbox:
        """The cell in figure fractions (as ``Axes.get_position``)."""
        fig_w, fig_h = self.canvas.figure.get_size_inches()
        return Bbox.from_bounds(self.left / fig_w, self.bottom / fig_h, self.width / fig_w, self.height / fig_h)


@dataclass
class ImageGrid:
    """A figure of image cells laid out by :func:`image_grid`: ``cells[(row, col)]`` (a
    :class:`GridCell`, drawn with ``imshow`` like an Axes) and ``right``, the x (figure fraction)
    where the cells end."""

    fig: Figure
    cells: dict[tuple[int, int], GridCell]
    right: float


def image_grid(n_cols: int, row_aspects: Sequence[float], cells: dict[tuple[int, int], str | None],
               row_labels: Sequence[str | None] | None = None, suptitle: str | None = None,
               bottom_in: float = 0.0) -> ImageGrid:
    """A print-width figure of image cells: ``row_aspects[r]`` = height/width of row r's images,
    ``cells[(r, c)]`` = the title above that cell (or None) for every cell to draw. Row labels sit
    on the left (wrapped), the title on top; ``bottom_in`` inches are kept free at the bottom (a
    legend or colour bar). Cell titles are wrapped to the cell width;
    cells shrink (keeping their aspect) when the figure would otherwise pass ``MAX_HEIGHT_IN``.

    All cells are rectangles on ONE Axes spanning the figure (labelled :data:`GRID_CANVAS`, in
    inch coordinates, axis off): an Axes per cell cost about 20 ms each to make and draw, most of
    a warm report's plotting time (144 cells)."""
    n_rows = len(row_aspects)
    labels = [wrap_text(lab, _LABEL_MAX_IN, SMALL_PT) if lab else "" for lab in (row_labels or [None] * n_rows)]
    label_w = max((text_width_in(lab, SMALL_PT) for lab in labels), default=0.0)
    label_w = label_w + _GAP_IN if label_w > 0 else 0.0
    title = wrap_text(suptitle, PRINT_WIDTH_IN - 2 * _MARGIN_IN, TITLE_PT) if suptitle else ""
    title_h = text_height_in(title, TITLE_PT) + _GAP_IN if title else 0.0
    fixed_w = 2 * _MARGIN_IN + label_w + (n_cols - 1) * _GAP_IN

    def titles_for(cell_w: float) -> tuple[dict[tuple[int, int], str], list[float]]:
        wrapped = {rc: wrap_text(t, cell_w + 0.7 * _GAP_IN, SMALL_PT) if t else "" for rc, t in cells.items()}
        heights = [max((text_height_in(t, SMALL_PT) for (r, _), t in wrapped.items() if r == row and t),
                       default=0.0) for row in range(n_rows)]
        return wrapped, [h + _TITLE_PAD_PT / 72 + 0.02 if h else 0.0 for h in heights]

    cell_w = min(MAX_CELL_IN, (PRINT_WIDTH_IN - fixed_w) / n_cols)
    while True:  # shrink until the height fits (titles re-wrap at the narrower width: more lines)
        wrapped, title_rows = titles_for(cell_w)
        fixed_h = 2 * _MARGIN_IN + title_h + bottom_in + sum(title_rows) + (n_rows - 1) * _GAP_IN
        fitting = (MAX_HEIGHT_IN - fixed_h) / sum(row_aspects)
        if fitting >= cell_w - 1e-9 or fitting <= 0.05:
            break
        cell_w = 0.99 * fitting
    if fitting <= 0.05:
        raise ValueError(f"{n_rows} rows of images do not fit a {MAX_HEIGHT_IN} in high figure: "
                         "show fewer rows (methods/panels) per figure")
    height = fixed_h + cell_w * sum(row_aspects)
    fig = Figure(figsize=(PRINT_WIDTH_IN, height))
    canvas = fig.add_axes((0, 0, 1, 1), label=GRID_CANVAS)
    canvas.set_axis_off()
    canvas.set_xlim(0, PRINT_WIDTH_IN)
    canvas.set_ylim(0, height)
    canvas.set_autoscale_on(False)  # imshow must not move the limits to its extent
    above = offset_copy(canvas.transData, fig=fig, y=_TITLE_PAD_PT, units="points")
    content_w = label_w + n_cols * cell_w + (n_cols - 1) * _GAP_IN
    x0 = (PRINT_WIDTH_IN - content_w) / 2 + label_w  # centred when height made the cells smaller
    if title:
        fig.text(0.5, 1 - _MARGIN_IN / height, title, ha="center", va="top", fontsize=TITLE_PT)
    grid_cells: dict[tuple[int, int], GridCell] = {}
    top = height - _MARGIN_IN - title_h
    for row in range(n_rows):
        top -= title_rows[row]
        cell_h = cell_w * row_aspects[row]
        bottom = top - cell_h
        if labels[row]:
            fig.text((x0 - _GAP_IN) / PRINT_WIDTH_IN, (bottom + cell_h / 2) / height, labels[row], ha="right",
                     va="center", fontsize=SMALL_PT)
        for col in range(n_cols):
            if (row, col) not in cells:
                continue
            left = x0 + col * (cell_w + _GAP_IN)
            if wrapped[(row, col)]:
                canvas.text(left + cell_w / 2, top, wrapped[(row, col)], ha="center", va="bottom",
                            fontsize=SMALL_PT, transform=above)
            grid_cells[(row, col)] = GridCell(canvas, left, bottom, cell_w, cell_h)
        top = bottom - _GAP_IN
    right = (x0 + n_cols * cell_w + (n_cols - 1) * _GAP_IN) / PRINT_WIDTH_IN
    return ImageGrid(fig, grid_cells, right)
