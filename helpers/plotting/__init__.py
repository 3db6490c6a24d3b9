"""Figures for the report: functions take tensors/arrays and return matplotlib Figures.

Nothing here computes explanations; the only computation is normalisation for display.
"""
from .figures import activation_maps_figure, filter_grid, heatmap_overlay, lime_figure, method_grid, \
    normalize_for_display, save_figure, to_hwc

__all__ = ["activation_maps_figure", "filter_grid", "heatmap_overlay", "lime_figure", "method_grid",
           "normalize_for_display", "save_figure", "to_hwc"]
