"""Charts: what each one draws, legends under the data, counts in labels, intervals and markers."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.legend import Legend

from helpers.evaluation.confusion import confusion_report
from helpers.plotting import bar_chart, confusion_figure, grouped_bars, interval_chart, line_chart
from plotting_testutils import CLASSES


def _legend_outside_axes(fig) -> bool:
    fig.draw_without_rendering()
    [ax] = [a for a in fig.axes if not hasattr(a, "_colorbar")]
    legends = fig.findobj(Legend)
    box = ax.get_window_extent()
    return bool(legends) and all(not leg.get_window_extent().overlaps(box) for leg in legends)


def test_bar_chart_counts_highlight_and_reference():
    fig = bar_chart(CLASSES[:3], [3.0, 2.0, 1.0], "Mean activation", "activation", highlight=[True, False, False],
                    reference=1.5, reference_label="all images", counts=[12, 1, 4])
    ax = fig.axes[0]
    fig.draw_without_rendering()
    top_down = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in top_down] == ["Bread (n=12)", "Dairy product (n=1)", "Dessert (n=4)"]
    bars = sorted(ax.patches, key=lambda p: -p.get_y())  # first value on top
    assert [b.get_width() for b in bars] == [3.0, 2.0, 1.0]
    assert bars[0].get_facecolor() != bars[1].get_facecolor() == bars[2].get_facecolor()
    assert any(np.allclose(line.get_xdata(), 1.5) for line in ax.lines)
    assert _legend_outside_axes(fig)
    with pytest.raises(ValueError, match="counts has 2 entries"):
        bar_chart(CLASSES[:3], [1.0, 2.0, 3.0], "t", "x", counts=[1, 2])


def test_grouped_bars_intervals_are_bounds():
    fig = grouped_bars(["a", "b"], {"share": [0.5, 0.6], "area": [0.4, 0.3]}, "Share", "share",
                       errors={"share": ([0.2, 0.5], [0.9, 0.7])}, ylim=(0, 1))
    ax = fig.axes[0]
    assert len(ax.patches) == 4 and ax.get_ylim() == (0.0, 1.0)
    segments = [seg for c in ax.collections for seg in c.get_segments()]
    assert sorted((round(s[0][1], 6), round(s[1][1], 6)) for s in segments) == [(0.2, 0.9), (0.5, 0.7)]
    assert _legend_outside_axes(fig)
    with pytest.raises(ValueError, match="not series"):
        grouped_bars(["a"], {"s": [1.0]}, "t", "y", errors={"x": ([0.0], [1.0])})


def test_line_chart_marks_every_point_and_keeps_legend_off_data():
    series = {"saliency": (["none", "fc", "conv5", "all"], [1.0, 0.6, 0.2, 0.0]),
              "guided": (["none", "fc", "conv5", "all"], [1.0, 0.9, 0.95, 0.9])}
    fig = line_chart(series, "Randomisation", "layers randomised", "Spearman")
    lines = [line for line in fig.axes[0].lines if line.get_label() in series]
    assert len(lines) == 2 and all(line.get_marker() not in (None, "None", "") for line in lines)
    assert len({line.get_marker() for line in lines}) == 2  # shapes differ, also in greyscale print
    assert [len(line.get_xdata()) for line in lines] == [4, 4]
    assert _legend_outside_axes(fig)


def test_interval_chart_reference_and_filled_dots_for_clear_intervals():
    fig = interval_chart(["A - random", "B - random"], [0.3, 0.1], [0.1, -0.2], [0.5, 0.4], "Deletion", "difference",
                         reference=0.0, reference_label="no difference")
    ax = fig.axes[0]
    assert any(np.allclose(line.get_xdata(), 0.0) for line in ax.lines)
    [ranges] = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert sorted((s[0][0], s[1][0]) for s in ranges.get_segments()) == [(-0.2, 0.4), (0.1, 0.5)]
    filled, hollow = [c for c in ax.collections if c is not ranges]
    assert filled.get_offsets().tolist() == [[0.3, 1.0]] and hollow.get_offsets().tolist() == [[0.1, 0.0]]
    assert _legend_outside_axes(fig)


def test_confusion_figure_values_while_they_fit():
    report = confusion_report([0, 1, 2, 2], [0, 1, 2, 1], CLASSES[:3])
    fig = confusion_figure(report, normalized=True, title="Confusion")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("1.00") == 2 and texts.count("0.50") == 2
    many = confusion_report(list(range(30)), list(range(30)), [f"class {k}" for k in range(30)])
    crowded = confusion_figure(many, normalized=True)  # "0.00" does not fit 30 cells a row
    assert not crowded.axes[0].texts and any(hasattr(ax, "_colorbar") for ax in crowded.axes)
