"""Guided backpropagation (Springenberg et al., 2015) and the deconvnet rule (Zeiler & Fergus).

Backward rules through a rectifier with input x and incoming gradient g:

* plain gradient:  g * [lo < x < hi]
* guided backprop: max(g, 0) * [lo < x < hi]
* deconvnet:       max(g, 0)               (the forward mask is ignored)

with (lo, hi) = (0, inf) for ``nn.ReLU`` and (0, 6) for ``nn.ReLU6``.

Unlike Captum's ``GuidedBackprop``, which hooks only ``nn.ReLU`` instances and therefore silently
returns the plain gradient for models built from ``nn.ReLU6`` (EfficientNet-Lite, MobileNet),
this implementation applies the rule to ``nn.ReLU6`` as well.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import torch
from torch import Tensor, nn

from .base import Explainer, TargetType, input_gradient
from .saliency import REDUCTIONS, reduce_gradient

RULES = ("guided", "deconvnet")


def rectifiers(model: nn.Module) -> list[nn.Module]:
    """The model's ``nn.ReLU`` / ``nn.ReLU6`` modules, the ones the rules apply to."""
    return [m for m in model.modules() if _bounds(m) is not None]


def _bounds(module: nn.Module) -> tuple[float, float] | None:
    # ReLU6 subclasses Hardtanh, not ReLU: check it explicitly (this is Captum's blind spot).
    if isinstance(module, nn.ReLU6):
        return 0.0, 6.0
    if isinstance(module, nn.ReLU):
        return 0.0, math.inf
    return None


class _RectifierRule(torch.autograd.Function):
    """Forward: clamp(x, lo, hi), i.e. the module's own output. Backward: the chosen rule."""

    @staticmethod
    def forward(ctx, x: Tensor, lo: float, hi: float, guided: bool) -> Tensor:  # type: ignore[override]
        ctx.lo, ctx.hi, ctx.guided = lo, hi, guided
        if guided:
            ctx.save_for_backward(x)
        return x.clamp(min=lo) if math.isinf(hi) else x.clamp(lo, hi)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        positive = grad.clamp(min=0)
        if ctx.guided:
            (x,) = ctx.saved_tensors
            mask = x > ctx.lo
            if not math.isinf(ctx.hi):
                mask &= x < ctx.hi
            positive = positive * mask
        return positive, None, None, None


def _positive_part(grad: Tensor) -> Tensor:
    return grad.clamp(min=0)


def _gate_positive_gradient(module: nn.Module, args: tuple, output: Tensor) -> None:
    """Forward hook: the gradient reaching this rectifier's output keeps only its positive part;
    the rectifier's own backward then applies its mask [lo < x < hi]: together exactly the guided
    rule, at the cost of one clamp per activation.

    A tensor hook rather than an identity autograd function: such a function's output is a view,
    and autograd forbids changing it in place (``h = relu6(x); h.mul_(0.5)``, legal otherwise).
    A tensor hook adds no node and no copy, and one registered before an in-place change still
    receives the gradient of the value the rectifier returned.
    """
    if isinstance(output, Tensor) and output.requires_grad:
        output.register_hook(_positive_part)


class GuidedBackprop(Explainer):
    """Gradient of the class score with the guided-backprop (or deconvnet) rule at every
    ``nn.ReLU`` / ``nn.ReLU6`` module, including in-place ones and modules called several times
    per forward pass.

    Args:
        model: the classifier; its rectifiers must be ``nn.ReLU``/``nn.ReLU6`` modules (a model
            that calls ``F.relu`` has nothing to hook and raises ``ValueError``).
        rule: "guided" (default) or "deconvnet".
        reduction: "none" (default: signed gradient, like Captum), "abs" or "max_abs".

    Mechanism, per call: "guided": a forward hook puts a tensor hook max(g, 0) on each rectifier's
    output; the rectifier's own backward (also for in-place modules, which mask with their result)
    then applies [lo < x < hi]. The model may change that output in place afterwards
    (``h = self.act(z); h.mul_(0.5)``): the hook still sees the gradient of the rectifier's value.
    "deconvnet": a forward pre-hook records the rectifier's input (in-place modules get a copy)
    and a forward hook replaces the output by clamp(x, lo, hi) with backward max(g, 0), which
    bypasses the mask. The user's
    modules are never replaced, and every hook is removed when ``attribute`` returns or raises.
    Captum's GuidedBackprop silently ignores ``nn.ReLU6`` (it is not an ``nn.ReLU`` subclass);
    this one does not.
    """

    def __init__(self, model: nn.Module, rule: str = "guided", reduction: str = "none",
                 eval_mode: bool = True, channels_last: bool = False) -> None:
        super().__init__(model, eval_mode=eval_mode, channels_last=channels_last)
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.rule = rule
        self.reduction = reduction
        self._bind()

    @property
    def runs_on_copy(self) -> bool:  # the copy pools before rectifying: exact for the guided rule only
        return self.rule == "guided"

    def _bind(self) -> None:
        self._rectifiers = rectifiers(self.model)
        if not self._rectifiers:
            raise ValueError(f"{type(self.model).__name__} has no nn.ReLU / nn.ReLU6 modules, so there is nothing to "
                             "apply the guided-backprop rule to (functional F.relu calls cannot be hooked); "
                             "use nn.ReLU modules in the model")

    @contextlib.contextmanager
    def _session(self) -> Iterator[None]:
        handles = []
        guided = self.rule == "guided"
        try:
            for module in self._rectifiers:
                if guided:
                    handles.append(module.register_forward_hook(_gate_positive_gradient))
                    continue
                lo, hi = _bounds(module)  # type: ignore[misc]
                # A stack per module: pre-hook and hook of one call are paired, and a reused module
                # (EfficientNet's `_swish`) is called again only after its previous call returned.
                stack: list[Tensor] = []

                def pre_hook(mod: nn.Module, args: tuple, stack: list = stack):
                    x = args[0]
                    stack.append(x)
                    if getattr(mod, "inplace", False):
                        return (x.clone(),) + tuple(args[1:])  # keep the recorded input untouched
                    return None

                def hook(mod: nn.Module, args: tuple, output: Tensor, stack: list = stack,
                         lo: float = lo, hi: float = hi):
                    return _RectifierRule.apply(stack.pop(), lo, hi, guided)

                handles.append(module.register_forward_pre_hook(pre_hook))
                handles.append(module.register_forward_hook(hook))
            yield
        finally:
            for handle in handles:
                handle.remove()

    def _attribute_batch(self, x: Tensor, target: TargetType) -> Tensor:
        return reduce_gradient(input_gradient(self.model, x, target), self.reduction)


class Deconvnet(GuidedBackprop):
    """The deconvnet rule: ``GuidedBackprop(model, rule="deconvnet")``."""

    def __init__(self, model: nn.Module, reduction: str = "none", eval_mode: bool = True,
                 channels_last: bool = False) -> None:
        super().__init__(model, rule="deconvnet", reduction=reduction, eval_mode=eval_mode,
                         channels_last=channels_last)
