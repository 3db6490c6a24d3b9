"""How far to trust a map: faithfulness (deletion / insertion, Petsiuk et al. 2018), sanity
(cascading model-parameter randomisation, Adebayo et al. 2018), LIME stability, 95 % intervals
over images, paired comparisons of methods on the same images (the only way to rank methods
on a handful of images), and timing. Functions return numbers (tensors, arrays, dataclasses); the report
formats and draws them. Every function is seeded and batched, works on any classifier that maps
(N, C, H, W) images to logits, and leaves the user's model as it found it.
"""
from .deletion import (DEFAULT_BLUR_SIGMA, DEFAULT_STEPS, SUBSTRATES, CurveEndpoints, DeletionInsertionResult,
                       curve_endpoints, deletion_insertion, gaussian_blur, make_substrate, normalised_area,
                       step_fractions)
from .evaluate import CENTRE_PRIOR, HIGHER_IS_BETTER, RANDOM, Evaluation, MethodRow, evaluate_methods
from .intervals import Interval, mean_ci
from .lime_stability import LimeStabilityResult, jaccard, lime_stability, top_superpixels
from .maps import MethodLike, attribute_fn, centre_prior_map, pixel_importance, random_map, rank_pixels
from .paired import (VERDICTS, PairedDifference, compare, detectable_difference, images_needed, paired_differences, pairwise_differences,
                     winner)
from .randomisation import (ExplainerFactory, RandomisationResult, cascade_layers, cascading_randomisation,
                            checkpoint_steps, constant_maps, factory_from, parameter_layers, randomised_copies, rebind,
                            reinitialise)
from .similarity import spearman, spearman_rows, ssim
from .timing import time_per_image, timed

__all__ = [
    "CENTRE_PRIOR", "CurveEndpoints", "DEFAULT_BLUR_SIGMA", "DEFAULT_STEPS", "DeletionInsertionResult", "Evaluation",
    "ExplainerFactory", "HIGHER_IS_BETTER", "Interval", "LimeStabilityResult", "MethodLike", "MethodRow",
    "PairedDifference", "RANDOM", "RandomisationResult", "SUBSTRATES", "VERDICTS", "attribute_fn", "cascade_layers",
    "cascading_randomisation", "centre_prior_map", "checkpoint_steps", "compare", "constant_maps", "curve_endpoints",
    "detectable_difference",
    "deletion_insertion", "evaluate_methods", "factory_from", "gaussian_blur", "images_needed", "jaccard",
    "lime_stability", "make_substrate", "mean_ci", "normalised_area", "paired_differences", "pairwise_differences",
    "parameter_layers", "pixel_importance", "random_map", "randomised_copies", "rank_pixels", "rebind",
    "reinitialise", "spearman", "spearman_rows", "ssim", "step_fractions", "time_per_image", "timed",
    "top_superpixels", "winner"
]
