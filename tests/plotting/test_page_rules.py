"""Every figure function obeys the A4 rules: print width, height cap, every text >= 7 pt as printed,
no text outside the figure or over another text, legends off the data; Chinese labels render."""
from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from helpers.evaluation.confusion import confusion_report
from helpers.plotting import (MAX_HEIGHT_IN, MIN_FONT_PT, PRINT_WIDTH_IN, activation_grid, bar_chart,
                              confusion_figure, grouped_bars, heatmap_overlay, interval_chart, layout_problems,
                              line_chart, lime_grid, method_grid, overlay_rows, picture_grid, printed_scale,
                              text_sizes_pt, wrap_text)
from helpers.plotting.layout import image_grid, text_width_in
from plotting_testutils import CLASSES, images, lime_results, titles

METHODS = ["saliency", "SmoothGrad", "guided backprop", "SmoothGrad x guided backprop"]


def _lime_panels(n: int) -> list[list[tuple[int, str]]]:
    return [[(0, f"pred: {CLASSES[k % 11]}\np=0.41, R²=0.52"), (1, f"true: {CLASSES[(k + 6) % 11]}\np=0.12")]
            for k in range(n)]


FIGURES = {
    "method_grid": lambda: method_grid(images(7), {m: torch.rand(7, 16, 16) for m in METHODS}, titles(7),
                                       overlay=["SmoothGrad"]),
    "method_grid_few_images": lambda: method_grid(images(2), {m: torch.rand(2, 16, 16) for m in METHODS}, titles(2)),
    "lime_grid": lambda: lime_grid(images(6), lime_results(6), _lime_panels(6), titles(6)),
    "picture_grid": lambda: picture_grid(torch.rand(12, 3, 8, 8), [f"regularised filter {k}" for k in range(12)],
                                         suptitle="Filter pictures of _blocks.10._project_conv by gradient ascent"),
    "activation_grid": lambda: activation_grid(images(6), torch.rand(6, 4, 4), titles(6),
                                               colorbar_label="activation of filter 17 (one scale for all images)"),
    "heatmap_overlay": lambda: heatmap_overlay(images(1)[0], torch.rand(16, 16), title="saliency"),
    "overlay_rows": lambda: overlay_rows(images(1)[0], {m: torch.rand(16, 16) for m in METHODS},
                                         title="0_0.jpeg, Grains & legumes (p = 0.875, predicted)"),
    "bar_chart": lambda: bar_chart(CLASSES, np.linspace(1, 0, 11), "Mean activation of filter 17 per class",
                                   "mean activation", highlight=[k == 0 for k in range(11)], reference=0.5,
                                   reference_label="all images", counts=list(range(1, 12))),
    "grouped_bars": lambda: grouped_bars(CLASSES, {"saliency on food": np.full(11, 0.6), "food area": np.full(11, 0.4)},
                                         "Share of saliency on food per class", "share",
                                         errors={"food area": (np.full(11, 0.2), np.full(11, 0.7))}, ylim=(0, 1)),
    "line_chart": lambda: line_chart({m: (["none", "fc", "conv5", "conv4", "conv3", "all"], np.linspace(1, 0, 6))
                                      for m in METHODS + ["Grad-CAM", "LIME"]},
                                     "Rank correlation with the original map as layers are randomised",
                                     "layers randomised (from the top)", "Spearman rank correlation"),
    "interval_chart": lambda: interval_chart([f"{m} minus random" for m in METHODS], [0.1, -0.1, 0.0, 0.2],
                                             [0.0, -0.3, -0.1, 0.1], [0.2, 0.1, 0.1, 0.3],
                                             "Deletion score: method minus random map (paired, 95 % interval, "
                                             "n = 12 images)", "difference in deletion AUC (lower is better)",
                                             reference_label="no difference"),
    "confusion_figure": lambda: confusion_figure(
        confusion_report(np.arange(110) % 11, (np.arange(110) * 7) % 11, CLASSES), normalized=True,
        title="Confusion matrix (row-normalised), validation split"),
}


def _figures(name: str) -> list[Figure]:
    made = FIGURES[name]()
    return made if isinstance(made, list) else [made]


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_fits_the_page_with_readable_text(name):
    for fig in _figures(name):
        width, height = fig.get_size_inches()
        assert width == pytest.approx(PRINT_WIDTH_IN) and height <= MAX_HEIGHT_IN
        assert printed_scale(fig) == 1.0
        sizes = text_sizes_pt(fig)
        assert len(sizes) >= 3, f"{name}: expected titles and labels, found {sizes}"
        small = [(text, size) for text, size in sizes if size < MIN_FONT_PT]
        assert not small, f"{name}: texts under {MIN_FONT_PT} pt at print size: {small}"
        assert layout_problems(fig) == [], name


def test_tall_grids_shrink_their_cells_instead_of_passing_the_cap():
    maps = {f"method {k}": torch.rand(5, 16, 16) for k in range(8)}
    [fig] = method_grid(images(5), maps, titles(5))
    assert fig.get_size_inches()[1] <= MAX_HEIGHT_IN and layout_problems(fig) == []


def test_checks_notice_broken_figures():
    wide = Figure(figsize=(11.2, 3))
    wide.add_subplot().set_title("title", fontsize=10)
    assert printed_scale(wide) == pytest.approx(0.9 * 6.3 / 11.2)
    assert ("title", pytest.approx(10 * 0.9 * 6.3 / 11.2)) in text_sizes_pt(wide)
    assert any("wide" in p for p in layout_problems(wide)) and any("prints at" in p for p in layout_problems(wide))

    crowded = Figure(figsize=(PRINT_WIDTH_IN, 3))
    ax = crowded.add_subplot()
    ax.plot([0, 1], [0, 1], label="data")
    ax.legend(loc="center", fontsize=8)
    crowded.text(0.5, 0.95, "one label", fontsize=8, ha="center")
    crowded.text(0.5, 0.95, "another label", fontsize=8, ha="center")
    crowded.text(0.99, 0.5, "runs off the page", fontsize=8)
    problems = layout_problems(crowded)
    assert any("legend" in p for p in problems)
    assert any("overlap" in p and "one label" in p for p in problems)
    assert any("outside" in p and "runs off" in p for p in problems)


def test_checks_see_each_image_of_a_grid_canvas():
    # a grid's images share one Axes: a text over any of them is a problem, titles above them are not
    grid = image_grid(2, [1.0], {(0, 0): "left title", (0, 1): "right title"}, row_labels=["row"])
    for cell in grid.cells.values():
        cell.imshow(np.zeros((4, 4, 3)))
    assert layout_problems(grid.fig) == []
    right = grid.cells[(0, 1)]
    assert right.get_position().x0 == pytest.approx(right.left / PRINT_WIDTH_IN)
    right.canvas.text(right.left + right.width / 2, right.bottom + right.height / 2, "over the image", fontsize=8)
    assert any("'over the image' lies over the data of an image cell" in p for p in layout_problems(grid.fig))


def test_rotated_neighbours_are_not_taken_for_collisions():
    fig = Figure(figsize=(PRINT_WIDTH_IN, 3), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xticks(range(11), CLASSES, rotation=45, ha="right", rotation_mode="anchor", fontsize=8)
    assert layout_problems(fig) == []
    ax.set_xticks(range(11), CLASSES, rotation=45, ha="right", rotation_mode="anchor", fontsize=30)
    assert any("overlap" in p for p in layout_problems(fig))


def test_wrap_text_breaks_latin_words_and_cjk_characters():
    wrapped = wrap_text("pred: Noodles/Pasta and more words", 0.8, 8)
    assert "\n" in wrapped and all(text_width_in(line, 8) <= 0.8 for line in wrapped.split("\n"))
    assert wrapped.replace("\n", " ").replace("/ ", "/").split() == "pred: Noodles/Pasta and more words".split()
    assert wrap_text("short", 2.0, 8) == "short"
    cjk = wrap_text("預測：蔬菜水果與其他食物的類別", 0.5, 8)
    assert len(cjk.split("\n")) > 1 and cjk.replace("\n", "") == "預測：蔬菜水果與其他食物的類別"


def test_wrap_text_keeps_an_equation_on_one_line():
    label = "SmoothGrad x guided backprop (n = 50)"
    for width in (1.2, 1.6, 2.0, 2.2):
        lines = wrap_text(label, width, 8).split("\n")
        assert any("(n = 50)" in line for line in lines), lines
        assert " ".join(lines) == label
    assert wrap_text("a = b", 0.01, 8).replace("\n", "") == "a = b"  # too narrow: split, nothing lost
    cjk = wrap_text("SmoothGrad × 導引反向傳播（n = 50）", 1.0, 8).split("\n")
    assert any("n = 50" in line for line in cjk), cjk


def test_chinese_labels_render(tmp_path):
    from helpers.plotting.fonts import use_cjk_font

    with matplotlib.rc_context():
        if not use_cjk_font():
            pytest.skip("no Noto Sans CJK font installed (Debian: fonts-noto-cjk)")
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="Glyph .* missing")
            figs = method_grid(images(2), {"顯著圖": torch.rand(2, 16, 16)}, ["真實：麵包\n預測：蔬菜水果", "真實：湯"],
                               image_label="影像")
            figs.append(bar_chart(["麵包", "乳製品"], [1.0, 0.5], "各類別的平均激活值", "平均激活值", counts=[3, 4]))
            for k, fig in enumerate(figs):
                fig.savefig(tmp_path / f"zh{k}.png")
                assert layout_problems(fig) == []
        assert "\u986f\u8457\u5716" in {t.get_text() for t in figs[0].texts}
