"""Image grids: images are columns (at most 5 a figure), methods/panels rows, blocks as figures."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.plotting import activation_grid, lime_grid, method_grid, picture_grid
from helpers.plotting.layout import GRID_CANVAS
from plotting_testutils import images, lime_results, titles


def _images(fig):
    """The image cells of a grid: the images on its canvas (one Axes for the whole grid)."""
    [canvas] = [ax for ax in fig.axes if ax.get_label() == GRID_CANVAS]
    return list(canvas.images)


def _title(im) -> str:
    """The title over an image cell: the canvas text centred on the cell, on its top edge."""
    left, right, _, top = im.get_extent()
    found = [t.get_text() for t in im.axes.texts
             if np.allclose(t.get_position(), ((left + right) / 2, top)) and t.get_ha() == "center"]
    assert len(found) <= 1
    return found[0] if found else ""


def _columns(fig) -> int:
    return len({round(im.get_extent()[0], 4) for im in _images(fig)})


def _rows(fig) -> int:
    return len({round(im.get_extent()[2], 4) for im in _images(fig)})


def test_method_grid_wraps_twelve_images_into_three_blocks():
    maps = {"saliency": torch.rand(12, 1, 16, 16), "SmoothGrad": torch.rand(12, 16, 16)}
    figs = method_grid(images(12), maps, titles(12), overlay=["SmoothGrad"])
    assert len(figs) == 3
    assert [_columns(f) for f in figs] == [5, 5, 2] and all(_rows(f) == 3 for f in figs)
    assert [len(_images(f)) for f in figs] == [15, 15, 6]
    # column titles are the images' titles, in order; row labels are the method names
    first_row = sorted((im for im in _images(figs[2]) if _title(im)), key=lambda im: im.get_extent()[0])
    assert [_title(im).split("\n")[0] for im in first_row] == ["10_30", "11_33"]
    assert {"image", "saliency", "SmoothGrad"} <= {t.get_text() for t in figs[0].texts}


def test_method_grid_overlays_only_the_named_methods():
    [fig] = method_grid(images(2), {"plain": torch.rand(2, 16, 16), "over": torch.rand(2, 16, 16)}, overlay={"over"},
                        image_label="")
    by_row = sorted(_images(fig), key=lambda im: (-im.get_extent()[2], im.get_extent()[0]))
    arrays = [im.get_array() for im in by_row]
    assert [a.ndim for a in arrays] == [3, 3, 2, 2, 3, 3]  # image row, plain heat maps, overlays (RGB)
    assert not {t.get_text() for t in fig.texts} & {"image"}


def test_grey_images_are_shown_grey():
    grey = images(2)[:, :1]
    [fig] = method_grid(grey, {"m": torch.rand(2, 16, 16)})
    [picture] = [im for im in _images(fig) if im.get_array().ndim == 2 and im.get_cmap().name == "gray"][:1]
    assert np.allclose(picture.get_array(), grey[0, 0].numpy())
    [lime] = lime_grid(grey[:1], lime_results(1), [[(0, "p")]])
    assert len(_images(lime)) == 2


def test_method_grid_constant_maps_give_no_nan():
    [fig] = method_grid(images(2), {"zero": torch.zeros(2, 3, 16, 16), "const": torch.full((2, 16, 16), 5.0)},
                        overlay=["const"])
    for im in _images(fig):
        assert np.isfinite(np.asarray(im.get_array(), dtype=float)).all()


@pytest.mark.parametrize("call, message", [
    (lambda: method_grid(images(2), {"m": torch.rand(1, 1, 16, 16)}), "1 maps for 2 images"),
    (lambda: method_grid(images(2), {"m": torch.rand(2, 16, 16)}, overlay=["x"]), "overlay names"),
    (lambda: method_grid(images(2), {"m": torch.rand(2, 16, 16)}, titles=["a"]), "titles has 1 entries"),
    (lambda: method_grid(images(2), {"m": torch.rand(2, 16, 16)}, per_row=6), "per_row=6"),
    (lambda: method_grid(images(0), {"m": torch.rand(0, 16, 16)}), "no images"),
    (lambda: activation_grid(images(2), torch.rand(2, 1, 4, 4)), "select one filter"),
    (lambda: picture_grid(images(3), ["a", "b", "c"], per_row=2, row_labels=["r"]), "2 rows"),
])
def test_grids_say_what_was_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_activation_grid_one_colour_scale_for_all_blocks():
    maps = torch.rand(7, 4, 4) * torch.arange(1, 8).view(7, 1, 1)  # image 7 reaches the highest values
    figs = activation_grid(images(7), maps, titles(7), colorbar_label="activation")
    assert len(figs) == 2
    limits = {im.get_clim() for f in figs for ax in f.axes for im in ax.images if im.get_array().ndim == 2}
    assert limits == {(float(maps.min()), float(maps.max()))}
    bars = [ax for f in figs for ax in f.axes if hasattr(ax, "_colorbar")]
    assert len(bars) == 2 and all(bar.get_xlabel() == "activation" for bar in bars)


def test_activation_grid_constant_maps():
    [fig] = activation_grid(images(2), torch.full((2, 4, 4), 3.0))
    low, high = next(im.get_clim() for ax in fig.axes for im in ax.images if im.get_array().ndim == 2)
    assert np.isfinite([low, high]).all() and high > low


def test_lime_grid_panels_outline_support_and_opposition():
    results = lime_results(6)
    panels = [[(0, f"pred: class 0 {k}"), (1, "true: class 1")] if k % 2 else [(0, "pred: class 0")]
              for k in range(6)]
    figs = lime_grid(images(6), results, panels, titles(6), top_k=3, panel_labels=["predicted", "other"])
    assert len(figs) == 2 and [_columns(f) for f in figs] == [5, 1]
    assert [len(_images(f)) for f in figs] == [5 + 5 + 2, 1 + 1 + 1]  # images with one panel leave a gap
    panel = next(im for im in _images(figs[0]) if _title(im) == "true: class 1").get_array()
    colors = {tuple(px) for px in np.asarray(panel).reshape(-1, 3).round(3)}
    assert (0.0, 1.0, 0.0) in colors and (1.0, 0.0, 0.0) in colors  # supporting / opposing outlines
    legend = figs[0].legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["supports", "opposes"]
    assert {"superpixels", "predicted", "other"} <= {t.get_text() for t in figs[0].texts}
    assert not lime_grid(images(1), results[:1], panels[:1], support_label=None, oppose_label=None)[0].legends


def test_lime_grid_rejects_segments_of_other_images():
    with pytest.raises(ValueError, match="segments"):
        lime_grid(images(1, size=32), lime_results(1), [[(0, "p")]])


def test_picture_grid_rows_of_at_most_five():
    fig = picture_grid(torch.rand(12, 3, 8, 8), [f"filter {k}" for k in range(12)], suptitle="gradient ascent")
    assert len(_images(fig)) == 12 and _columns(fig) == 5 and _rows(fig) == 3
    assert "gradient ascent" in {t.get_text() for t in fig.texts}
