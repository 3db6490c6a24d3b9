"""Draw a confusion matrix with scikit-learn's ConfusionMatrixDisplay."""
from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

from helpers.evaluation.confusion import ConfusionReport
from helpers.plotting.figures import save_figure


def confusion_figure(report: ConfusionReport, normalized: bool = False, title: str | None = None,
                     xlabel: str = "Predicted label", ylabel: str = "True label",
                     save_to: str | Path | None = None) -> Figure:
    """Counts (``normalized=False``) or row-normalised rates of a :class:`ConfusionReport`."""
    matrix = report.normalized if normalized else report.counts
    k = len(report.class_names)
    fig = Figure(figsize=(1.2 + 0.75 * k, 0.9 + 0.7 * k), layout="constrained")
    ax = fig.add_subplot()
    display = ConfusionMatrixDisplay(matrix, display_labels=report.class_names)
    display.plot(ax=ax, cmap="Blues", colorbar=False, values_format=".2f" if normalized else "d",
                 xticks_rotation=45)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return save_figure(fig, save_to)
