"""Measured characterisations behind the report's answers: a food/backdrop split that says per
image whether it can be made (:mod:`.regions`), per-image numbers about maps (:mod:`.maps`) and
the intervals and per-class means the sentences rest on (:mod:`.summary`)."""
from helpers.measures.maps import (concentration, edge_alignment, edge_magnitude, lime_positive_share,
                                   magnitude, rank_correlation, share_on_region)
from helpers.measures.regions import RegionSplit, background_split
from helpers.measures.summary import clears, mean_interval, per_class_mean, ratio_interval

__all__ = ["RegionSplit", "background_split", "share_on_region", "concentration", "rank_correlation",
           "edge_alignment", "edge_magnitude", "magnitude", "lime_positive_share", "mean_interval",
           "ratio_interval", "clears", "per_class_mean"]
