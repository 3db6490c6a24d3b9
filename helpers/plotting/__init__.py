"""Figures for the report: functions take tensors/arrays and return matplotlib Figures (no pyplot
state); nothing here computes explanations, the only computation is normalisation for display.

Every figure is laid out for an A4 page (see :mod:`helpers.plotting.layout`): made at
``PRINT_WIDTH_IN``, at most ``MAX_HEIGHT_IN`` high, every text at least ``MIN_FONT_PT`` as printed.
Image grids put at most ``MAX_PER_ROW`` images in a row and return one figure per block of images.
``text_sizes_pt``, ``printed_scale`` and ``layout_problems`` check a figure against those rules.
"""
from .charts import bar_chart, grouped_bars, interval_chart, line_chart
from .checks import layout_problems, printed_scale, text_sizes_pt
from .confusion import confusion_figure
from .display import blend, normalize_for_display, to_hwc
from .grids import activation_grid, heatmap_overlay, lime_grid, method_grid, overlay_rows, picture_grid
from .layout import MAX_HEIGHT_IN, MAX_PER_ROW, MIN_FONT_PT, PRINT_WIDTH_IN, wrap_text
from .save import save_figure, save_figures

__all__ = ["MAX_HEIGHT_IN", "MAX_PER_ROW", "MIN_FONT_PT", "PRINT_WIDTH_IN", "activation_grid", "bar_chart", "blend",
           "confusion_figure", "grouped_bars", "heatmap_overlay", "interval_chart", "layout_problems", "line_chart",
           "lime_grid", "method_grid", "normalize_for_display", "overlay_rows", "picture_grid", "printed_scale",
           "save_figure", "save_figures", "text_sizes_pt", "to_hwc", "wrap_text"]
