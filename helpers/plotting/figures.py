"""Former single module of the plotting layer, kept so old imports keep working
(``from helpers.plotting.figures import save_figure``); import from :mod:`helpers.plotting`."""
from .display import normalize_for_display, to_hwc
from .grids import heatmap_overlay, method_grid
from .save import save_figure

__all__ = ["heatmap_overlay", "method_grid", "normalize_for_display", "save_figure", "to_hwc"]
