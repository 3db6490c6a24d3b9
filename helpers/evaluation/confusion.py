"""Confusion matrix, per-class and overall accuracy, computed with scikit-learn."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import confusion_matrix


@dataclass
class ConfusionReport:
    """Counts (rows: true class, columns: predicted), row-normalised rates and accuracies."""

    class_names: list[str]
    counts: np.ndarray
    normalized: np.ndarray
    per_class_accuracy: np.ndarray
    support: np.ndarray
    accuracy: float

    def ranked_classes(self) -> list[tuple[str, float, int]]:
        """(class name, accuracy, support) from best to worst, classes without images last."""
        order = sorted(range(len(self.class_names)),
                       key=lambda k: (self.support[k] == 0, -np.nan_to_num(self.per_class_accuracy[k], nan=-1)))
        return [(self.class_names[k], float(self.per_class_accuracy[k]), int(self.support[k])) for k in order]


def confusion_report(labels: Sequence[int] | np.ndarray, predicted: Sequence[int] | np.ndarray,
                     class_names: Sequence[str]) -> ConfusionReport:
    """Confusion matrix over all ``class_names`` (absent classes give a zero row, accuracy NaN)."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    if labels.shape != predicted.shape or labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels and predictions must be equal-length non-empty 1-D arrays, got shapes "
                         f"{labels.shape} and {predicted.shape}")
    k = len(class_names)
    out_of_range = [int(v) for v in np.concatenate([labels, predicted]) if not 0 <= v < k]
    if out_of_range:
        raise ValueError(f"Class index {out_of_range[0]} is out of range for {k} class names.")
    counts = confusion_matrix(labels, predicted, labels=list(range(k)))
    support = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalized = np.where(support[:, None] > 0, counts / np.maximum(support[:, None], 1), 0.0)
        per_class = np.where(support > 0, np.diag(counts) / np.maximum(support, 1), np.nan)
    return ConfusionReport(list(class_names), counts, normalized, per_class, support,
                           float(np.trace(counts) / counts.sum()))
