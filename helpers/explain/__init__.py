"""Explanation methods with one call shape: ``Explainer(model, ...).attribute(inputs, target)``.

Inputs are float tensors (N, C, H, W); ``target`` is None (predicted class), an int, or one class
per image. Each method returns raw attributions; plotting lives in :mod:`helpers.plotting`.
"""
from .base import Explainer, check_inputs, resolve_target
from .filters import ActivationMaps, ActivationMaximization, FilterVisualization, activation_maps, \
    mean_activation_by_class
from .gradcam import GradCAM
from .guided_backprop import Deconvnet, GuidedBackprop
from .integrated_gradients import IntegratedGradients
from .lime_explainer import LimeExplainer, LimeResult, make_predict_fn
from .saliency import Saliency
from .smoothgrad import SmoothGrad

__all__ = [
    "ActivationMaps", "ActivationMaximization", "Deconvnet", "Explainer", "FilterVisualization", "GradCAM",
    "GuidedBackprop", "IntegratedGradients", "LimeExplainer", "LimeResult", "Saliency", "SmoothGrad",
    "activation_maps", "check_inputs", "make_predict_fn", "mean_activation_by_class", "resolve_target",
]
