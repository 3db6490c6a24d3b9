"""Turning any method's output into per-pixel importance, ranking pixels, and the two baselines.

Every metric in this package works on maps of shape (N, C', h, w) as returned by the explainers
(C' may be 1 or the image's channels; h, w may be smaller, e.g. a raw Grad-CAM map). They are
reduced to one importance value per pixel with ``|map|`` summed over channels, because deletion /
insertion and the randomisation test (Adebayo et al.) rank pixels by magnitude, not by sign.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Protocol, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from helpers.device import model_device
from helpers.explain.base import TargetType


class HasAttribute(Protocol):
    def attribute(self, inputs: Tensor, target: TargetType = None) -> Tensor: ...


#: An explainer of helpers.explain (anything with ``.attribute(inputs, target)``) or a plain
#: callable ``(inputs, target) -> map``.
MethodLike = Union[HasAttribute, Callable[[Tensor, Tensor], Tensor]]


def attribute_fn(method: MethodLike) -> Callable[[Tensor, Tensor], Tensor]:
    """One call shape for explainers and plain callables: ``fn(inputs, target) -> map``."""
    if hasattr(method, "attribute"):
        return method.attribute  # type: ignore[union-attr]
    if callable(method):
        return method  # type: ignore[return-value]
    raise TypeError(f"a method must have .attribute(inputs, target) or be callable, got {type(method).__name__}")


def pixel_importance(maps: Tensor, size: tuple[int, int] | None = None) -> Tensor:
    """(N, H, W) float: |map| summed over channels, bilinearly resized to ``size`` if it differs.

    Resizing lets coarse maps (raw Grad-CAM at 7x7) rank the image's pixels; taking |map| first
    and resizing afterwards keeps positive and negative evidence from cancelling out.
    """
    if maps.dim() == 3:
        maps = maps.unsqueeze(1)
    if maps.dim() != 4:
        raise ValueError(f"maps must be (N, C, H, W) or (N, H, W), got shape {tuple(maps.shape)}")
    importance = maps.detach().float().abs().sum(dim=1, keepdim=True)
    if size is not None and tuple(importance.shape[-2:]) != tuple(size):
        importance = F.interpolate(importance, size=size, mode="bilinear", align_corners=False)
    if not torch.isfinite(importance).all():
        raise ValueError("maps contain NaN or inf values")
    return importance[:, 0]


def rank_pixels(importance: Tensor, seed: int = 0) -> Tensor:
    """(N, H*W) long: pixel indices from most to least important, per image.

    Ties (flat regions of a map, a constant map, superpixel maps where whole segments share a
    value) are broken by ONE seeded random permutation of the pixels, the same for every image:
    a plain sort would break them by raster order (top rows first), which is itself a spatial
    prior and would bias the curves. Being image-independent, the order of an image does not
    depend on the other images of the batch.
    """
    n = importance.shape[0]
    flat = importance.reshape(n, -1)
    generator = torch.Generator().manual_seed(int(seed))
    perm = torch.randperm(flat.shape[1], generator=generator).to(flat.device)
    order = torch.argsort(flat[:, perm], dim=1, descending=True, stable=True)
    return perm[order]


def random_map(images: Tensor, seed: int = 0) -> Tensor:
    """(N, 1, H, W) uniform noise: the baseline every method must beat. Image i uses seed + i,
    so a map does not depend on the number of images evaluated with it."""
    n, _, h, w = images.shape
    maps = [torch.rand(1, h, w, generator=torch.Generator().manual_seed(int(seed) + i)) for i in range(n)]
    return torch.stack(maps).to(images.device)


def centre_prior_map(images: Tensor, sigma: float = 0.25) -> Tensor:
    """(N, 1, H, W) isotropic Gaussian centred on the image, ``sigma`` as a fraction of the
    shorter side. Photos of food are usually centred, so "the middle matters" is a strong,
    model-free baseline: a map that does not beat it says little about the model."""
    n, _, h, w = images.shape
    ys = (torch.arange(h, dtype=torch.float32) - (h - 1) / 2) / (sigma * min(h, w))
    xs = (torch.arange(w, dtype=torch.float32) - (w - 1) / 2) / (sigma * min(h, w))
    prior = torch.exp(-0.5 * (ys[:, None] ** 2 + xs[None, :] ** 2))
    return prior.expand(n, 1, h, w).clone().to(images.device)


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode for the call; every module's own training flag is restored afterwards (also on
    errors), so the caller's model is left as it was found."""
    modes = [(module, module.training) for module in model.modules()]
    try:
        model.eval()
        yield
    finally:
        for module, flag in modes:
            module.training = flag


@contextlib.contextmanager
def preserved_flags(model: nn.Module) -> Iterator[None]:
    """Restore every module's training flag and every parameter's requires_grad after the call.

    The metrics call arbitrary explainers and user callables on the user's model (which may
    switch modes or freeze parameters); they must hand the model back as they found it.
    """
    modes = [(module, module.training) for module in model.modules()]
    grads = [(param, param.requires_grad) for param in model.parameters()]
    try:
        yield
    finally:
        for module, flag in modes:
            module.training = flag
        for param, flag in grads:
            param.requires_grad_(flag)


def predict_proba(model: nn.Module, images: Tensor, batch_size: int = 32) -> Tensor:
    """(N, K) softmax probabilities in bounded batches under inference mode and eval mode."""
    out = []
    with eval_mode(model), torch.inference_mode():
        for start in range(0, images.shape[0], batch_size):
            batch = images[start:start + batch_size]
            out.append(torch.softmax(model(batch.to(model_device(model))).float(), dim=1).to(images.device))
    return torch.cat(out)


def resolve_targets(model: nn.Module, images: Tensor, target: TargetType, batch_size: int = 32) -> Tensor:
    """(N,) long: the given class(es), or the model's predicted class of each image."""
    from helpers.explain.base import resolve_target

    probs = predict_proba(model, images, batch_size)
    return resolve_target(target, images.shape[0], probs.shape[1], probs.argmax(1)).to(images.device)

