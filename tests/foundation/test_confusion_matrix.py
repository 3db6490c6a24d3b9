"""The confusion matrix against one computed by hand."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.evaluation.confusion import confusion_report
from helpers.evaluation.predictions import predict_split
from helpers.data.food11 import Food11Split
from helpers.plotting.confusion import confusion_figure


def test_matches_hand_computed_matrix():
    labels = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    predicted = [0, 1, 0, 1, 1, 2, 0, 2, 1]
    report = confusion_report(labels, predicted, ["a", "b", "c", "d"])
    expected = np.array([[2, 1, 0, 0], [0, 2, 0, 0], [1, 1, 2, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(report.counts, expected)
    np.testing.assert_allclose(report.normalized[0], [2 / 3, 1 / 3, 0, 0])
    np.testing.assert_allclose(report.per_class_accuracy[:3], [2 / 3, 1.0, 0.5])
    assert np.isnan(report.per_class_accuracy[3])  # no image of class d: no accuracy, no NaN elsewhere
    assert not np.isnan(report.normalized).any()
    assert report.accuracy == pytest.approx(6 / 9)
    assert [name for name, _, _ in report.ranked_classes()] == ["b", "a", "c", "d"]


def test_bad_inputs():
    with pytest.raises(ValueError, match="equal-length"):
        confusion_report([0, 1], [0], ["a", "b"])
    with pytest.raises(ValueError, match="out of range"):
        confusion_report([0, 3], [0, 1], ["a", "b"])


def test_predictions_and_figure(food11_dir, tmp_path):
    class ColourModel(torch.nn.Module):  # red -> class 0, blue -> class 1
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.tensor(10.0))

        def forward(self, x):
            means = x.mean(dim=(2, 3))
            return self.scale * torch.stack([means[:, 0] - means[:, 2], means[:, 2] - means[:, 0]], 1)

    model = ColourModel().train()
    split = Food11Split(food11_dir, "evaluation", 16)
    predictions = predict_split(model, split, batch_size=3)
    assert model.training  # mode restored
    assert predictions.accuracy == 1.0 and predictions.probabilities.shape == (8, 2)
    report = confusion_report(predictions.labels.numpy(), predictions.predicted.numpy(), split.class_names)
    figure = confusion_figure(report, normalized=True, title="t", save_to=tmp_path / "cm.png")
    assert (tmp_path / "cm.png").stat().st_size > 1000
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert texts.count("1.00") == 2 and texts.count("0.00") == 2
