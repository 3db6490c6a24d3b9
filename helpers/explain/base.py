"""Shared machinery of the explainers: input checks, target resolution, and a session that
puts the model in eval mode with frozen parameters and restores everything afterwards.

Every explainer follows Captum's call shape: ``Explainer(model, ...).attribute(inputs, target)``
with ``inputs`` a float tensor (N, C, H, W) and ``target`` None (the predicted class of each
image), an int (that class for all images) or a sequence / 1-D tensor (one class per image).
"""
from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator, Sequence
from typing import Union

import torch
from torch import Tensor, nn

from helpers.device import model_device

TargetType = Union[None, int, Sequence[int], Tensor]


def check_inputs(inputs: Tensor) -> None:
    """Reject what would give silently wrong maps: wrong rank, non-float, NaN or inf."""
    if not isinstance(inputs, Tensor):
        raise TypeError(f"inputs must be a torch.Tensor of shape (N, C, H, W), got {type(inputs).__name__}")
    if inputs.dim() != 4:
        raise ValueError(f"inputs must be 4-D (N, C, H, W), got shape {tuple(inputs.shape)}; "
                         "add a batch dimension with inputs.unsqueeze(0)")
    if not inputs.is_floating_point():
        raise ValueError(f"inputs must be a floating-point tensor (images in [0, 1]), got {inputs.dtype}")
    if inputs.shape[0] == 0:
        raise ValueError("inputs is an empty batch")
    if not torch.isfinite(inputs).all():
        raise ValueError("inputs contain NaN or inf values")


def resolve_target(target: TargetType, n: int, num_classes: int,
                   predicted: Tensor | None = None) -> Tensor:
    """Return a long tensor (n,) of class indices; ``predicted`` is used when target is None."""
    if target is None:
        if predicted is None:
            raise ValueError("target=None needs the model's predictions")
        return predicted.detach().long().reshape(n)
    if isinstance(target, bool):
        raise ValueError(f"target must be an int class index, got {target!r}")
    if isinstance(target, int):
        resolved = torch.full((n,), target, dtype=torch.long)
    else:
        resolved = torch.as_tensor(target)
        if resolved.is_floating_point() or resolved.dtype == torch.bool:
            raise ValueError(f"target must hold integer class indices, got dtype {resolved.dtype}")
        resolved = resolved.long().reshape(-1)
        if resolved.numel() == 1 and n > 1:
            resolved = resolved.expand(n)
        if resolved.numel() != n:
            raise ValueError(f"target has {resolved.numel()} entries but inputs has {n} images")
    bad = (resolved < 0) | (resolved >= num_classes)
    if bad.any():
        raise ValueError(f"target {resolved[bad].tolist()} out of range: the model has {num_classes} classes "
                         f"(valid: 0..{num_classes - 1})")
    return resolved


@contextlib.contextmanager
def frozen_eval(model: nn.Module, eval_mode: bool = True) -> Iterator[None]:
    """Eval mode and ``requires_grad=False`` on every parameter for the duration of a call.

    Gradients are only needed with respect to the input; not computing parameter gradients makes
    each backward pass cheaper. Per-module training flags and per-parameter requires_grad are
    saved and restored exactly, also when the call raises.
    """
    modes = [(module, module.training) for module in model.modules()]
    grads = [(param, param.requires_grad) for param in model.parameters()]
    try:
        if eval_mode:
            model.eval()
        for param, _ in grads:
            param.requires_grad_(False)
        yield
    finally:
        for param, flag in grads:
            param.requires_grad_(flag)
        for module, flag in modes:
            module.training = flag


@contextlib.contextmanager
def temporary_channels_last(model: nn.Module, enabled: bool) -> Iterator[None]:
    """Run with 4-D weights in channels_last memory format (faster convolutions on many CPUs),
    then put back the very same weight tensors: values, strides and identities are unchanged."""
    if not enabled:
        yield
        return
    saved = [(param, param.data) for param in model.parameters() if param.dim() == 4]
    try:
        for param, data in saved:
            param.data = data.contiguous(memory_format=torch.channels_last)
        yield
    finally:
        for param, data in saved:
            param.data = data


class Explainer:
    """Base class: holds the model and options shared by all methods.

    Subclasses implement ``_session()`` (a context manager for hooks etc., entered once per
    ``attribute`` call inside the frozen-eval context) and ``_attribute_batch(x, target)`` which
    maps a checked batch on the model's device and a resolved target tensor to raw attributions.
    """

    #: whether SmoothGrad may wrap this explainer (it needs gradients of the input)
    supports_noise: bool = True
    #: whether the method may run on a faster copy of its model (:meth:`on_model`): it only calls
    #: the model and hooks its rectifiers, holding no other reference into the model
    runs_on_copy: bool = False

    def __init__(self, model: nn.Module, eval_mode: bool = True, channels_last: bool = False) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        self.model = model
        self.eval_mode = eval_mode
        self.channels_last = channels_last

    # -- pieces used by subclasses and by SmoothGrad ------------------------------------------
    def on_model(self, model: nn.Module) -> Explainer:
        """This explainer with the same settings, bound to ``model`` (e.g. a faster copy of its
        own, see :mod:`helpers.models.fast_copy`); subclasses refresh per-model state in
        ``_bind``."""
        bound = copy.copy(self)
        bound.model = model
        bound._bind()
        return bound

    def _bind(self) -> None:
        """Recompute whatever the explainer derives from ``self.model`` (nothing here)."""

    def _to_device(self, inputs: Tensor) -> Tensor:
        x = inputs.detach().to(model_device(self.model))
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    @contextlib.contextmanager
    def _call_context(self) -> Iterator[None]:
        with frozen_eval(self.model, self.eval_mode), \
                temporary_channels_last(self.model, self.channels_last), self._session():
            yield

    @contextlib.contextmanager
    def _session(self) -> Iterator[None]:
        yield

    def _predict(self, x: Tensor) -> Tensor:
        """Logits without building a graph (used for target=None and the number of classes)."""
        with torch.no_grad():
            return self.model(x)

    def _resolve(self, x: Tensor, target: TargetType) -> Tensor:
        if isinstance(target, Tensor) and target.dtype == torch.long and target.shape == (x.shape[0],):
            return target.to(x.device)  # already resolved (e.g. by a wrapper such as SmoothGrad)
        logits = self._predict(x)
        check_logits(logits, x.shape[0])
        return resolve_target(target, x.shape[0], logits.shape[1], logits.argmax(1)).to(x.device)

    def _attribute_batch(self, x: Tensor, target: TargetType) -> Tensor:  # pragma: no cover - abstract
        """``target`` may still be unresolved (None/int/sequence): methods that run a forward
        pass anyway resolve it from those logits instead of paying for an extra forward."""
        raise NotImplementedError

    # -- public --------------------------------------------------------------------------------
    def attribute(self, inputs: Tensor, target: TargetType = None) -> Tensor:
        """Raw attributions for a batch (N, C, H, W); see the class docstring for the shape."""
        check_inputs(inputs)
        x = self._to_device(inputs)
        with self._call_context():
            # back where the inputs were (as Captum): callers mix maps with their own CPU tensors
            return self._attribute_batch(x, target).detach().to(inputs.device)


def class_scores(logits: Tensor, target: Tensor) -> Tensor:
    """Sum over the batch of each image's target logit: its gradient gives per-image gradients
    (images do not interact in eval mode), so results do not depend on the batch size."""
    return logits.gather(1, target.reshape(-1, 1)).sum()


def check_logits(logits: Tensor, n: int) -> None:
    if logits.dim() != 2 or logits.shape[0] != n:
        raise ValueError(f"the model must return logits of shape (N={n}, classes), got {tuple(logits.shape)}")


def input_gradient(model: nn.Module, x: Tensor, target: TargetType, objective: str = "score") -> Tensor:
    """d objective / d x for a batch. ``objective``: "score" (target logit, as Captum) or
    "cross_entropy" (the course variant: loss of the given true labels, summed over the batch).
    ``target`` is resolved from this forward pass's logits when it is not a tensor yet."""
    if objective not in ("score", "cross_entropy"):
        raise ValueError(f"objective must be 'score' or 'cross_entropy', got {objective!r}")
    if objective == "cross_entropy" and target is None:
        raise ValueError("objective='cross_entropy' needs the true labels as target (got None)")
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = model(x)
        check_logits(logits, x.shape[0])
        target = resolve_target(target, x.shape[0], logits.shape[1], logits.argmax(1)).to(logits.device)
        if objective == "score":
            loss = class_scores(logits, target)
        elif objective == "cross_entropy":
            loss = nn.functional.cross_entropy(logits, target, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
    return grad
