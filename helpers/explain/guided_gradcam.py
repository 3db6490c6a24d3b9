"""Guided Grad-CAM (Selvaraju et al., 2017): guided backprop's fine detail, gated by Grad-CAM's
class-discriminative coarse map.

    map_c = GuidedBackprop_c(x) * upsample(Grad-CAM_c(x))      (elementwise, per colour channel)

The two factors come from two separate backward passes: Grad-CAM needs the plain gradient
between the layer and the class score, which the guided rule would change.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from .base import Explainer, TargetType
from .gradcam import GradCAM
from .guided_backprop import GuidedBackprop
from .saliency import REDUCTIONS, reduce_gradient

INTERPOLATIONS = ("bilinear", "nearest")


class GuidedGradCAM(Explainer):
    """Guided backprop map times the Grad-CAM map of ``layer`` upsampled to the input.

    Args:
        model: the classifier.
        layer: the Grad-CAM layer, a qualified name or alias (see :class:`GradCAM`).
        reduction: "none" (default: signed, per channel, like Captum's ``GuidedGradCam``),
            "abs" or "max_abs" (max over channels of the product's magnitude, (N,1,H,W)).
        interpolate: how Grad-CAM's map is upsampled: "bilinear" (default, as the paper and
            :class:`GradCAM`) or "nearest" (Captum's default).
    """

    supports_noise = False

    def __init__(self, model: nn.Module, layer: str, reduction: str = "none", interpolate: str = "bilinear",
                 eval_mode: bool = True, channels_last: bool = False) -> None:
        super().__init__(model, eval_mode=eval_mode, channels_last=channels_last)
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        if interpolate not in INTERPOLATIONS:
            raise ValueError(f"interpolate must be one of {INTERPOLATIONS}, got {interpolate!r}")
        self.reduction = reduction
        self.interpolate = interpolate
        self.gradcam = GradCAM(model, layer, upsample=False, eval_mode=eval_mode)
        self.guided = GuidedBackprop(model, reduction="none", eval_mode=eval_mode)
        self.layer_name = self.gradcam.layer_name

    def _attribute_batch(self, x: Tensor, target: TargetType) -> Tensor:
        target = self._resolve(x, target)  # one target for both passes
        cam = self.gradcam.attribute(x, target)
        size = tuple(x.shape[-2:])
        cam = F.interpolate(cam, size=size, mode=self.interpolate,
                            **({"align_corners": False} if self.interpolate == "bilinear" else {}))
        return reduce_gradient(self.guided.attribute(x, target) * cam, self.reduction)
