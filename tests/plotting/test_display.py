"""Display normalisation and saving: ranges, constant maps, image layouts, PNGs at figure size."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image

from helpers.plotting import PRINT_WIDTH_IN, blend, heatmap_overlay, normalize_for_display, save_figure, \
    save_figures, to_hwc


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


def test_blend_mixes_and_checks_sizes():
    image = np.zeros((4, 4, 3))
    mixed = blend(image, np.ones((4, 4)), alpha=0.5, cmap="gray")
    assert np.allclose(mixed, 0.5)
    with pytest.raises(ValueError, match="upsample"):
        blend(image, np.ones((2, 2)))


def test_saved_png_keeps_the_print_size(tmp_path):
    fig = heatmap_overlay(torch.rand(3, 16, 16), torch.rand(1, 16, 16), save_to=tmp_path / "a" / "overlay.png")
    assert isinstance(fig, Figure) and _is_png(tmp_path / "a" / "overlay.png")
    save_figure(fig, tmp_path / "b.png", dpi=100)
    with Image.open(tmp_path / "b.png") as png:  # not cropped: LaTeX prints it at the laid-out size
        assert png.size == tuple(round(v * 100) for v in fig.get_size_inches())
        assert png.size[0] == round(PRINT_WIDTH_IN * 100)
        assert round(png.info["dpi"][0]) == 100
    assert heatmap_overlay(torch.rand(3, 16, 16), torch.rand(16, 16)).axes  # no save_to: still a Figure


def test_save_figures_names_blocks_and_drops_stale_ones(tmp_path):
    figs = [heatmap_overlay(torch.rand(3, 8, 8), torch.rand(8, 8)) for _ in range(3)]
    paths = save_figures(figs, tmp_path, "q1")
    assert [p.name for p in paths] == ["q1_1.png", "q1_2.png", "q1_3.png"] and all(_is_png(p) for p in paths)
    (tmp_path / "q1_notes.png").write_bytes(b"x")  # not one of ours: kept
    assert [p.name for p in save_figures(figs[:2], tmp_path, "q1")] == ["q1_1.png", "q1_2.png"]
    assert not (tmp_path / "q1_3.png").exists() and (tmp_path / "q1_notes.png").exists()
    assert [p.name for p in save_figures(figs[0], tmp_path, "q1")] == ["q1.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q1.png", "q1_notes.png"]
    with pytest.raises(ValueError, match="no figure"):
        save_figures([], tmp_path, "q1")
