"""Plotting: Figures returned, PNGs written, display normalisation safe on constant maps."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from helpers.plotting import (activation_maps_figure, filter_grid, heatmap_overlay, lime_figure, method_grid,
                              normalize_for_display, to_hwc)


def _is_png(path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_normalize_for_display_ranges_and_constant_maps():
    m = torch.randn(3, 8, 8)
    out = normalize_for_display(m)
    assert out.shape == (8, 8) and out.min() >= 0 and out.max() == 1
    assert np.array_equal(normalize_for_display(torch.zeros(1, 8, 8)), np.zeros((8, 8)))
    const = normalize_for_display(np.full((8, 8), 3.0))
    assert not np.isnan(const).any() and np.array_equal(const, np.zeros((8, 8)))
    signed = normalize_for_display(torch.randn(1, 8, 8), signed=True)
    assert signed.min() >= -1 and signed.max() <= 1 and signed.min() < 0


def test_to_hwc_accepts_chw_and_hwc():
    assert to_hwc(torch.rand(3, 5, 7)).shape == (5, 7, 3)
    assert to_hwc(np.random.rand(5, 7, 3)).shape == (5, 7, 3)
    with pytest.raises(ValueError):
        to_hwc(np.zeros((2, 3, 4, 5)))


def test_figures_are_returned_and_saved(tmp_path):
    images = torch.rand(2, 3, 16, 16)
    fig = heatmap_overlay(images[0], torch.rand(1, 16, 16), save_to=tmp_path / "a" / "overlay.png")
    assert isinstance(fig, Figure) and _is_png(tmp_path / "a" / "overlay.png")
    fig = method_grid(images, {"saliency": torch.rand(2, 1, 16, 16), "constant": torch.zeros(2, 3, 16, 16)},
                      row_titles=["x", "y"], overlay=True, save_to=tmp_path / "grid.png")
    assert isinstance(fig, Figure) and len(fig.axes) == 6 and _is_png(tmp_path / "grid.png")
    fig = filter_grid(torch.rand(5, 3, 16, 16), titles=list("abcde"), ncols=3, save_to=tmp_path / "filters.png")
    assert len([ax for ax in fig.axes if ax.images]) == 5 and _is_png(tmp_path / "filters.png")
    fig = activation_maps_figure(images, torch.zeros(2, 4, 4), titles=["p", "q"], save_to=tmp_path / "maps.png")
    assert isinstance(fig, Figure) and _is_png(tmp_path / "maps.png")
    assert heatmap_overlay(images[0], torch.rand(16, 16)).axes  # no save_to: nothing written, still a Figure


def test_method_grid_checks_counts():
    with pytest.raises(ValueError, match="1 maps for 2 images"):
        method_grid(torch.rand(2, 3, 8, 8), {"m": torch.rand(1, 1, 8, 8)})


def test_lime_figure(tmp_path, coffee_128):
    from helpers.explain import LimeExplainer
    from explain_testutils import make_tiny

    model = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(16), make_tiny())
    [result] = LimeExplainer(model, num_samples=20, n_segments=12).explain(coffee_128)
    fig = lime_figure(result, labels=[0, 1], class_names=["a", "b", "c", "d"], save_to=tmp_path / "lime.png")
    assert isinstance(fig, Figure) and len(fig.axes) == 3 and _is_png(tmp_path / "lime.png")
