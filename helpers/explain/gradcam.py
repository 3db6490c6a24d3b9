"""Grad-CAM (Selvaraju et al., 2017) on any convolution layer chosen by name."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from helpers.models.layers import resolve_layer

from .base import Explainer, TargetType, check_logits, resolve_target


class GradCAM(Explainer):
    """ReLU(sum_k w_k A_k) with w_k the spatial mean of d score / d A_k, A = the layer's output.

    Args:
        model: the classifier.
        layer: qualified module name (``cnn.8``, ``_conv_head``) or alias (``conv5``), see
            :func:`helpers.models.layers.resolve_layer`; unknown names raise and list valid ones.
        upsample: True (default): bilinear upsampling to the input size, shape (N,1,H,W);
            False: the raw map at the layer's resolution (N,1,h,w).
        relu: apply the ReLU of the paper (default True; Captum's LayerGradCam defaults to False).
    """

    supports_noise = False

    def __init__(self, model: nn.Module, layer: str, upsample: bool = True, relu: bool = True,
                 eval_mode: bool = True, channels_last: bool = False) -> None:
        super().__init__(model, eval_mode=eval_mode, channels_last=channels_last)
        self.layer_name, self.layer = resolve_layer(model, layer)
        self.upsample = upsample
        self.relu = relu

    def _attribute_batch(self, x: Tensor, target: TargetType) -> Tensor:
        captured: list[Tensor] = []

        def hook(module: nn.Module, args: tuple, output: Tensor) -> None:
            captured.append(output)

        handle = self.layer.register_forward_hook(hook)
        try:
            # The input needs a graph so that the layer's output does too (parameters are frozen).
            x_req = x.detach().requires_grad_(True)
            with torch.enable_grad():
                logits = self.model(x_req)
        finally:
            handle.remove()
        check_logits(logits, x.shape[0])
        if len(captured) != 1:
            raise ValueError(f"layer {self.layer_name!r} ran {len(captured)} times in one forward pass; "
                             "Grad-CAM needs a layer that runs exactly once")
        activation = captured[0]
        if not isinstance(activation, Tensor) or activation.dim() != 4:
            raise ValueError(f"layer {self.layer_name!r} must output a 4-D feature map, got "
                             f"{getattr(activation, 'shape', type(activation))}")
        target = resolve_target(target, x.shape[0], logits.shape[1], logits.argmax(1)).to(logits.device)
        score = logits.gather(1, target.view(-1, 1)).sum()
        (grad,) = torch.autograd.grad(score, activation)
        weights = grad.mean(dim=(2, 3), keepdim=True)
        cam = (weights * activation.detach()).sum(dim=1, keepdim=True)
        if self.relu:
            cam = F.relu(cam)
        if self.upsample:
            cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)
        return cam
