"""Draw a confusion matrix with scikit-learn's ConfusionMatrixDisplay, at print width."""
from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

from helpers.evaluation.confusion import ConfusionReport

from .layout import (FONT_PT, MAX_HEIGHT_IN, MIN_FONT_PT, PRINT_WIDTH_IN, TITLE_PT, chart_figure, text_width_in,
                     wrap_text)
from .save import save_figure

_MAX_NAME_IN = 1.5  # class names wrap beyond this width
_CELL_IN = 0.55     # cell size while the width allows
_MIN_SIDE_IN = 2.5


def confusion_figure(report: ConfusionReport, normalized: bool = False, title: str | None = None,
                     xlabel: str = "Predicted label", ylabel: str = "True label",
                     save_to: str | Path | None = None) -> Figure:
    """Counts (``normalized=False``) or row-normalised rates of a :class:`ConfusionReport`.

    The numbers are printed in the cells while they fit at a readable size (up to about 15
    classes); beyond that the colour alone (with a colour bar) carries them."""
    matrix = report.normalized if normalized else report.counts
    names = [wrap_text(str(name), _MAX_NAME_IN, FONT_PT) for name in report.class_names]
    k = len(names)
    name_w = max(text_width_in(name, FONT_PT) for name in names)
    # square cells: the width left after the row names and the axis label; rotated column names
    # (45 degrees) take about 0.71 x their width below the matrix
    side = min(PRINT_WIDTH_IN - name_w - 0.5, MAX_HEIGHT_IN - 0.71 * name_w - 0.9,
               max(_MIN_SIDE_IN, _CELL_IN * k))  # few classes: no page-filling matrix
    value_w = text_width_in("0.00" if normalized else str(int(matrix.max())), MIN_FONT_PT + 0.5)
    include_values = side / k >= value_w + 0.04
    height = side + 0.71 * name_w + 0.55 + (0.25 if title else 0.0)
    fig = chart_figure(height)
    ax = fig.add_subplot()
    display = ConfusionMatrixDisplay(matrix, display_labels=names)
    display.plot(ax=ax, cmap="Blues", colorbar=not include_values, include_values=include_values,
                 values_format=".2f" if normalized else "d", text_kw={"fontsize": MIN_FONT_PT + 0.5})
    ax.set_xticks(ax.get_xticks(), names, rotation=45, ha="right", rotation_mode="anchor")
    ax.tick_params(labelsize=FONT_PT)
    ax.set_xlabel(xlabel, fontsize=FONT_PT)
    ax.set_ylabel(ylabel, fontsize=FONT_PT)
    if display.im_.colorbar is not None:
        display.im_.colorbar.ax.tick_params(labelsize=FONT_PT)
    if title:
        fig.suptitle(wrap_text(title, PRINT_WIDTH_IN - 0.2, TITLE_PT), fontsize=TITLE_PT)
    return save_figure(fig, save_to)
