"""Vanilla gradient saliency (Simonyan et al., 2014) and the course's cross-entropy variant."""
from __future__ import annotations

from torch import Tensor, nn

from .base import Explainer, TargetType, input_gradient

REDUCTIONS = ("max_abs", "abs", "none")


def reduce_gradient(grad: Tensor, reduction: str) -> Tensor:
    """"max_abs": max over channels of |grad| -> (N,1,H,W) (Simonyan); "abs": |grad| per channel;
    "none": the signed gradient."""
    if reduction == "max_abs":
        return grad.abs().amax(dim=1, keepdim=True)
    if reduction == "abs":
        return grad.abs()
    if reduction == "none":
        return grad
    raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


class Saliency(Explainer):
    """Gradient of the class score with respect to the input pixels.

    Args:
        model: the classifier (returns logits).
        reduction: "max_abs" (default, Simonyan: max over colour channels of |grad|, shape
            (N,1,H,W)), "abs" (|grad|, same shape as inputs; Captum's ``Saliency(abs=True)``) or
            "none" (signed gradient; Captum's ``abs=False``).
        objective: "score" (default: the target logit) or "cross_entropy": the course reference's
            |d CrossEntropy(logits, label) / dx| with the TRUE labels given as ``target`` (the
            loss is summed over the batch, so maps do not depend on the batch size).
        eval_mode, channels_last: see :class:`~helpers.explain.base.Explainer`.

    Parameters are frozen (requires_grad=False) during the call and restored afterwards: only the
    input gradient is computed, which makes each backward pass cheaper.
    """

    runs_on_copy = True

    def __init__(self, model: nn.Module, reduction: str = "max_abs", objective: str = "score",
                 eval_mode: bool = True, channels_last: bool = False) -> None:
        super().__init__(model, eval_mode=eval_mode, channels_last=channels_last)
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        if objective not in ("score", "cross_entropy"):
            raise ValueError(f"objective must be 'score' or 'cross_entropy', got {objective!r}")
        self.reduction = reduction
        self.objective = objective

    def _attribute_batch(self, x: Tensor, target: TargetType) -> Tensor:
        return reduce_gradient(input_gradient(self.model, x, target, self.objective), self.reduction)
