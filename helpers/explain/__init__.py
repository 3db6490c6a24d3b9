"""Explanation methods with one call shape: ``Explainer(model, ...).attribute(inputs, target)``.

Inputs are float tensors (N, C, H, W); ``target`` is None (predicted class), an int, or one class
per image. Each method returns raw attributions; plotting lives in :mod:`helpers.plotting`.
:class:`ActivationMaximization` shares the call shape with a filter index as ``target`` and
starting images as ``inputs``; it returns the optimised images.
"""
from .activation_maps import ActivationMaps, activation_maps, layer_output
from .activation_maximization import ActivationMaximization, FilterVisualization, high_frequency_share
from .base import Explainer, check_inputs, resolve_target
from .gradcam import GradCAM
from .guided_backprop import Deconvnet, GuidedBackprop, rule_coverage
from .guided_gradcam import GuidedGradCAM
from .integrated_gradients import IntegratedGradients
from .lime_explainer import LimeExplainer, LimeResult, make_predict_fn
from .photo import PhotoExplanation, explain_photo, explain_photos
from .rectifier_rules import RuleCoverage
from .saliency import Saliency
from .smoothgrad import SharedPasses, SmoothGrad

__all__ = [
    "ActivationMaps", "ActivationMaximization", "Deconvnet", "Explainer", "FilterVisualization", "GradCAM",
    "GuidedBackprop", "GuidedGradCAM", "IntegratedGradients", "LimeExplainer", "LimeResult", "PhotoExplanation",
    "RuleCoverage", "Saliency", "SharedPasses", "SmoothGrad", "activation_maps", "check_inputs", "explain_photo",
    "explain_photos", "high_frequency_share", "layer_output", "make_predict_fn", "resolve_target", "rule_coverage",
]
