"""Deletion and insertion curves (Petsiuk et al., RISE, BMVC 2018).

Pixels are ranked by a map (|map| summed over channels, seeded tie-breaking). Deletion replaces
the top pixels by a substrate in ``n_steps`` equal steps and records the target class's softmax
probability: a faithful map makes it fall fast (LOWER area is better). Insertion starts from a
blurred copy and puts the original pixels back in the same order: the probability should rise
fast (HIGHER area is better). Area = trapezoid rule over the fraction of pixels changed, in
[0, 1] because probabilities are.

Cost: the curves' end points do not depend on the map: the original image (deletion's first
point, insertion's last, and the prediction that picks the target), the substrate (deletion's
last) and the blurred image (insertion's first). They are 3 forward passes per image
(:func:`curve_endpoints`), computed once and shared by every map of the same images; each map
then costs 2 * (n_steps - 1) passes per image for both curves. Step images are built on the fly
and go through the model ``batch_size`` at a time (steps of several images share a batch),
under ``torch.inference_mode`` and eval mode; ``channels_last=True`` runs them with the conv
weights temporarily in channels_last format (about 1.3x cheaper on this CPU for
EfficientNet-Lite0; the weights are put back as they were).
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from helpers.device import model_device
from helpers.explain.base import TargetType, check_inputs, resolve_target, temporary_channels_last

from .maps import eval_mode, pixel_importance, rank_pixels

SUBSTRATES = ("zero", "blur", "mean")
DEFAULT_STEPS = 20
DEFAULT_BLUR_SIGMA = 5.0


def gaussian_blur(images: Tensor, sigma: float = DEFAULT_BLUR_SIGMA) -> Tensor:
    """Separable Gaussian blur (kernel radius 3 sigma) with replicate padding.

    Own conv rather than torchvision's: its reflect padding fails when the kernel is wider than
    the image (sigma 5 -> 31 px kernel on the tiny images of the tests); replicate works at any
    size and keeps the border colours instead of darkening them as zero padding would.
    """
    if sigma <= 0:
        return images.clone()
    radius = max(1, int(math.ceil(3 * sigma)))
    coords = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-0.5 * (coords / sigma) ** 2)
    kernel = kernel / kernel.sum()
    c = images.shape[1]
    x = F.pad(images, (radius, radius, radius, radius), mode="replicate")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def make_substrate(images: Tensor, substrate: str, blur_sigma: float = DEFAULT_BLUR_SIGMA) -> Tensor:
    """What deleted pixels become: "zero" (black, as in RISE), "blur" (a blurred copy: less
    out-of-distribution than black) or "mean" (each image's per-channel mean colour).

    Measured on the default model (10 demo photos, paired differences with the random map): black
    pixels scattered in random order already destroy the prediction, so with "zero" the random
    map's deletion area was as low as any method's and nothing beat it; "blur" removes too little
    (a blurred pixel keeps its colour) and nothing beat random either; with "mean" the maps
    separated from random (guided backprop's interval excluded 0 at 4, 6 and 8 steps).
    """
    if substrate == "zero":
        return torch.zeros_like(images)
    if substrate == "blur":
        return gaussian_blur(images, blur_sigma)
    if substrate == "mean":
        return images.mean(dim=(2, 3), keepdim=True).expand_as(images).clone()
    raise ValueError(f"substrate must be one of {SUBSTRATES}, got {substrate!r}")


def step_fractions(n_steps: int) -> Tensor:
    """(n_steps + 1,) fractions of pixels changed at each recorded point: 0, 1/n, ..., 1."""
    return torch.linspace(0.0, 1.0, n_steps + 1)


def normalised_area(curves: Tensor) -> Tensor:
    """Trapezoid area under curves sampled at equally spaced fractions in [0, 1]: (..., S) -> (...)."""
    s = curves.shape[-1] - 1
    return (curves[..., :-1] + curves[..., 1:]).sum(-1) / (2 * s)


@dataclass
class DeletionInsertionResult:
    """Curves and areas for N images.

    fractions (S,) with S = n_steps + 1; deletion / insertion (N, S) target-class probabilities
    (None for a curve not asked for); deletion_area / insertion_area (N,); target (N,) the class
    whose probability was recorded.
    """

    fractions: Tensor
    target: Tensor
    deletion: Tensor | None = None
    insertion: Tensor | None = None

    @property
    def deletion_area(self) -> Tensor | None:
        return None if self.deletion is None else normalised_area(self.deletion)

    @property
    def insertion_area(self) -> Tensor | None:
        return None if self.insertion is None else normalised_area(self.insertion)


@dataclass
class CurveEndpoints:
    """Target-class probabilities (N,) that every map's curves share, for one set of images:
    ``original`` (deletion's first and insertion's last point), ``substrate`` (deletion's last)
    and ``blurred`` (insertion's first); ``target`` (N,) the class they are recorded for; the
    settings they were made with (checked when reused)."""

    target: Tensor
    original: Tensor
    substrate: Tensor
    blurred: Tensor
    substrate_name: str
    blur_sigma: float
    n_images: int


def _forward_probs(model: nn.Module, batches: Iterator[Tensor], channels_last: bool) -> Tensor:
    """Softmax probabilities of each batch, concatenated (inference and eval mode)."""
    out = []
    device = model_device(model)
    with eval_mode(model), torch.inference_mode(), temporary_channels_last(model, channels_last):
        for batch in batches:
            # the images stay where they are (the CPU in the report); only the forward moves
            x = batch.to(device)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            out.append(torch.softmax(model(x).float(), dim=1).to(batch.device))
    return torch.cat(out)


def _check_settings(substrate: str, n_steps: int | None = None, batch_size: int | None = None) -> None:
    if n_steps is not None and n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if substrate not in SUBSTRATES:
        raise ValueError(f"substrate must be one of {SUBSTRATES}, got {substrate!r}")


def curve_endpoints(model: nn.Module, images: Tensor, target: TargetType = None, *, substrate: str = "zero",
                    blur_sigma: float = DEFAULT_BLUR_SIGMA, batch_size: int = 32,
                    channels_last: bool = False) -> CurveEndpoints:
    """The map-independent points of the curves (3 forward passes per image); pass the result
    to :func:`deletion_insertion` for every map of the same images. ``target``: None = the
    model's prediction on the original image (read off the same pass)."""
    check_inputs(images)
    _check_settings(substrate, batch_size=batch_size)
    images = images.detach()
    n = images.shape[0]
    ends = torch.cat([images, make_substrate(images, substrate, blur_sigma), gaussian_blur(images, blur_sigma)])
    probs = _forward_probs(model, (ends[b:b + batch_size] for b in range(0, 3 * n, batch_size)), channels_last)
    original = probs[:n]
    target_t = resolve_target(target, n, probs.shape[1], original.argmax(1).cpu()).to(probs.device)
    picked = probs.gather(1, target_t.repeat(3).view(-1, 1))[:, 0].cpu()
    return CurveEndpoints(target=target_t.cpu(), original=picked[:n], substrate=picked[n:2 * n],
                          blurred=picked[2 * n:], substrate_name=substrate, blur_sigma=float(blur_sigma), n_images=n)


def _step_jobs(n_images: int, n_steps: int, kinds: tuple[str, ...]) -> Iterator[tuple[str, int, int]]:
    """The steps whose image depends on the map: 1 .. n_steps - 1 (the ends are shared)."""
    for kind in kinds:
        for i in range(n_images):
            for k in range(1, n_steps):
                yield kind, i, k


def deletion_insertion(model: nn.Module, images: Tensor, maps: Tensor, target: TargetType = None, *,
                       n_steps: int = DEFAULT_STEPS, substrate: str = "zero",
                       blur_sigma: float = DEFAULT_BLUR_SIGMA, batch_size: int = 32, seed: int = 0,
                       curves: tuple[str, ...] = ("deletion", "insertion"), endpoints: CurveEndpoints | None = None,
                       channels_last: bool = False) -> DeletionInsertionResult:
    """Deletion and/or insertion curves of ``maps`` (N, C', h, w) for ``images`` (N, C, H, W).

    Args:
        target: class whose probability is recorded; None = the model's prediction on the
            unmodified image (fixed for the whole curve, as in RISE).
        n_steps: the curve has n_steps + 1 points; step k changes round(k * H * W / n_steps)
            pixels (all channels of a pixel together).
        substrate: what deletion replaces pixels with, see :func:`make_substrate`. Insertion
            always starts from a Gaussian blur of sigma ``blur_sigma`` (RISE).
        batch_size: step images per forward pass (results do not depend on it).
        seed: tie-breaking order of equally important pixels, see :func:`rank_pixels`.
        curves: which curves to compute ("deletion", "insertion").
        endpoints: :func:`curve_endpoints` of these images (same substrate, blur and target),
            to share them between maps; None = computed here. Its target is the one used.
        channels_last: see the module docstring.
    """
    check_inputs(images)
    _check_settings(substrate, n_steps, batch_size)
    unknown = set(curves) - {"deletion", "insertion"}
    if unknown or not curves:
        raise ValueError(f"curves must be a non-empty subset of ('deletion', 'insertion'), got {curves!r}")
    if maps.shape[0] != images.shape[0]:
        raise ValueError(f"maps has {maps.shape[0]} entries but images has {images.shape[0]}")
    images = images.detach()
    n, _, h, w = images.shape
    if endpoints is None:
        endpoints = curve_endpoints(model, images, target, substrate=substrate, blur_sigma=blur_sigma,
                                    batch_size=batch_size, channels_last=channels_last)
    elif (endpoints.n_images, endpoints.substrate_name, endpoints.blur_sigma) != (n, substrate, float(blur_sigma)):
        raise ValueError(f"endpoints were made for {endpoints.n_images} images, substrate "
                         f"{endpoints.substrate_name!r}, blur_sigma {endpoints.blur_sigma}; these curves use {n}, "
                         f"{substrate!r}, {float(blur_sigma)}: compute them with curve_endpoints for the same settings")
    order = rank_pixels(pixel_importance(maps.to(images.device), (h, w)), seed)
    # rank[i, p] = position of pixel p in image i's order; step k changes pixels with rank < count_k.
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(h * w, device=order.device).expand(n, -1).contiguous())
    rank = rank.view(n, 1, h, w)
    counts = torch.round(step_fractions(n_steps) * (h * w)).long().tolist()
    target_t = endpoints.target.to(images.device)
    starts = {"deletion": images, "insertion": gaussian_blur(images, blur_sigma)}
    ends = {"deletion": make_substrate(images, substrate, blur_sigma), "insertion": images}
    first = {"deletion": endpoints.original, "insertion": endpoints.blurred}
    last = {"deletion": endpoints.substrate, "insertion": endpoints.original}
    kinds = tuple(k for k in ("deletion", "insertion") if k in curves)
    out = {kind: torch.empty(n, n_steps + 1) for kind in kinds}
    for kind in kinds:
        out[kind][:, 0], out[kind][:, -1] = first[kind], last[kind]
    jobs = list(_step_jobs(n, n_steps, kinds))

    def batches() -> Iterator[Tensor]:
        for b0 in range(0, len(jobs), batch_size):
            # Build only this batch's step images: memory is batch_size images, not n * n_steps.
            yield torch.stack([torch.where(rank[i] < counts[k], ends[kind][i], starts[kind][i])
                               for kind, i, k in jobs[b0:b0 + batch_size]])

    if jobs:
        probs = _forward_probs(model, batches(), channels_last)
        idx = torch.tensor([i for _, i, _ in jobs], device=probs.device)
        picked = probs.gather(1, target_t[idx].view(-1, 1).to(probs.device))[:, 0].cpu()
        for (kind, i, k), p in zip(jobs, picked.tolist()):
            out[kind][i, k] = p
    return DeletionInsertionResult(fractions=step_fractions(n_steps), target=target_t.cpu(),
                                   deletion=out.get("deletion"), insertion=out.get("insertion"))
