"""What a convolution filter responds to: its activation maps on real images, and images made
by gradient ascent that maximise its mean activation (activation maximisation)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from helpers.models.layers import check_filter_index, resolve_layer

from helpers.device import model_device

from .base import check_inputs, frozen_eval


class _LayerOutputReached(Exception):
    """Raised by the hook to stop the forward pass once the layer's output is known."""


def _layer_output(model: nn.Module, layer: nn.Module, x: Tensor, stop_early: bool) -> Tensor:
    """The layer's output for x; with ``stop_early`` the rest of the network is not run."""
    outputs: list[Tensor] = []

    def hook(module: nn.Module, args: tuple, output: Tensor) -> None:
        outputs.append(output)
        if stop_early:
            raise _LayerOutputReached

    handle = layer.register_forward_hook(hook)
    try:
        model(x)
    except _LayerOutputReached:
        pass
    finally:
        handle.remove()
    if not outputs:
        raise ValueError("the chosen layer did not run during the forward pass")
    return outputs[0]


@dataclass
class ActivationMaps:
    """Activation maps of one filter: ``maps`` (N, h, w) and ``mean`` (N,) per image."""

    layer: str
    filter_index: int
    maps: Tensor
    mean: Tensor


def activation_maps(model: nn.Module, layer: str, images: Tensor, filter_index: int,
                    batch_size: int = 32, eval_mode: bool = True) -> ActivationMaps:
    """Output channel ``filter_index`` of ``layer`` for each image (forward hook, no gradients).

    The mean activation per image lets the report rank images / classes by how much they
    excite the filter. The forward pass stops at the layer (the rest is not needed).
    """
    check_inputs(images)
    qualified, module = resolve_layer(model, layer)
    check_filter_index(model, layer, filter_index)
    device = model_device(model)
    maps = []
    with frozen_eval(model, eval_mode), torch.inference_mode():
        for start in range(0, images.shape[0], batch_size):
            out = _layer_output(model, module, images[start:start + batch_size].to(device), stop_early=True)
            maps.append(out[:, filter_index].float().cpu())
    maps_t = torch.cat(maps)
    return ActivationMaps(layer=qualified, filter_index=filter_index, maps=maps_t, mean=maps_t.mean(dim=(1, 2)))


def mean_activation_by_class(mean: Tensor, labels: Sequence[int] | Tensor) -> dict[int, float]:
    """Average of per-image mean activations per class label, sorted from highest to lowest."""
    labels_t = torch.as_tensor(labels).reshape(-1)
    if labels_t.numel() != mean.numel():
        raise ValueError(f"{labels_t.numel()} labels for {mean.numel()} images")
    result = {int(c): float(mean[labels_t == c].mean()) for c in labels_t.unique()}
    return dict(sorted(result.items(), key=lambda kv: -kv[1]))


@dataclass
class FilterVisualization:
    """Result of activation maximisation for K filters.

    images: (K, 3, H, W) in [0, 1]; history: (steps, K) mean activation of each filter at each
    step (on the image the optimiser saw, jittered when regularised); initial/final: (K,) mean
    activation of the starting and final (unjittered) images.
    """

    layer: str
    filter_indices: list[int]
    images: Tensor
    history: Tensor
    initial_activation: Tensor
    final_activation: Tensor


def _gaussian_blur(img: Tensor, sigma: float) -> Tensor:
    radius = max(1, int(round(2 * sigma)))
    coords = torch.arange(-radius, radius + 1, dtype=img.dtype, device=img.device)
    kernel = torch.exp(-coords ** 2 / (2 * sigma ** 2))
    kernel = kernel / kernel.sum()
    c = img.shape[1]
    padded = F.pad(img, (radius, radius, radius, radius), mode="reflect")
    out = F.conv2d(padded, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(out, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


class ActivationMaximization:
    """Gradient ascent on the input to maximise the mean activation of conv filters.

    Args:
        model: the classifier; layer: name or alias of a convolution (range-checked filters).
        steps, lr: Adam iterations and learning rate on the pixels (or on the parameterisation).
        regularize: False = the course's plain version (Adam on pixels, clamped to [0, 1] after
            every step: noisy, high-frequency pictures). True = readable pictures: the image is
            sigmoid(p) of a parameter p at ``1/upscale`` resolution (low-frequency), each step
            sees a randomly jittered (+-``jitter`` px) and rescaled (``scale_range``) copy, with a
            total-variation penalty ``tv_weight`` and a Gaussian blur of p every ``blur_every``
            steps.
        image_size: side of the generated image (default: 128, the classic model's input).
        seed: seeds the starting noise and the jitter (private generator).
    """

    def __init__(self, model: nn.Module, layer: str, steps: int = 100, lr: float | None = None,
                 regularize: bool = False, image_size: int = 128, jitter: int = 4,
                 scale_range: tuple[float, float] = (0.95, 1.05), tv_weight: float = 0.05,
                 blur_every: int = 8, blur_sigma: float = 0.5, upscale: int = 2, seed: int = 0,
                 eval_mode: bool = True) -> None:
        self.model = model
        self.layer_name, self.layer = resolve_layer(model, layer)
        self._layer_arg = layer
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        self.steps = int(steps)
        self.regularize = regularize
        self.lr = lr if lr is not None else (0.05 if regularize else 0.1)
        self.image_size = int(image_size)
        self.jitter = int(jitter)
        self.scale_range = scale_range
        self.tv_weight = float(tv_weight)
        self.blur_every = int(blur_every)
        self.blur_sigma = float(blur_sigma)
        self.upscale = max(1, int(upscale))
        self.seed = seed
        self.eval_mode = eval_mode

    def _mean_activation(self, image: Tensor, indices: Tensor, stop_early: bool = True) -> Tensor:
        out = _layer_output(self.model, self.layer, image, stop_early=stop_early)
        # Image k maximises filter indices[k]: pick that channel's mean for each batch row.
        return out[torch.arange(out.shape[0], device=out.device), indices].mean(dim=(1, 2))

    def run(self, filter_indices: int | Sequence[int], init: Tensor | None = None) -> FilterVisualization:
        """Optimise one image per filter index (a batch: the report shows a grid of filters).

        ``init``: None (uniform noise around grey, seeded) or an image (3,H,W)/(1,3,H,W)/(K,3,H,W)
        in [0, 1] to start from.
        """
        single = isinstance(filter_indices, int)
        indices_list = [filter_indices] if single else list(filter_indices)
        if not indices_list:
            raise ValueError("filter_indices is empty")
        for index in indices_list:
            check_filter_index(self.model, self._layer_arg, index)
        device = model_device(self.model)
        k = len(indices_list)
        indices = torch.tensor(indices_list, device=device)
        generator = torch.Generator(device="cpu").manual_seed(int(self.seed))
        size = self.image_size
        if init is None:
            start = 0.5 + 0.1 * (torch.rand((k, 3, size, size), generator=generator) - 0.5)
        else:
            start = init.detach().float()
            if start.dim() == 3:
                start = start.unsqueeze(0)
            check_inputs(start)
            start = start.expand(k, -1, -1, -1).clone() if start.shape[0] == 1 else start.clone()
            if start.shape[0] != k:
                raise ValueError(f"init has {start.shape[0]} images for {k} filters")
            size = start.shape[-1]
        start = start.clamp(0, 1).to(device)

        history = []
        with frozen_eval(self.model, self.eval_mode):
            with torch.no_grad():
                initial = self._mean_activation(start, indices)
            if self.regularize:
                image = self._ascent_regularized(start, indices, generator, history)
            else:
                image = self._ascent_plain(start, indices, history)
            with torch.no_grad():
                final = self._mean_activation(image, indices)
        return FilterVisualization(layer=self.layer_name, filter_indices=indices_list, images=image.detach().cpu(),
                                   history=torch.stack(history).cpu(), initial_activation=initial.cpu(),
                                   final_activation=final.cpu())

    def _ascent_plain(self, start: Tensor, indices: Tensor, history: list[Tensor]) -> Tensor:
        x = start.clone().requires_grad_(True)
        optimizer = torch.optim.Adam([x], lr=self.lr)
        for _ in range(self.steps):
            optimizer.zero_grad(set_to_none=True)
            with torch.enable_grad():
                act = self._mean_activation(x, indices)
                (-act.sum()).backward()  # filters are independent images: sum = per-filter ascent
            optimizer.step()
            with torch.no_grad():
                x.clamp_(0, 1)
            history.append(act.detach())
        return x.detach()

    def _ascent_regularized(self, start: Tensor, indices: Tensor, generator: torch.Generator,
                            history: list[Tensor]) -> Tensor:
        size = start.shape[-1]
        low = max(8, size // self.upscale)
        # Low-resolution logit parameterisation: sigmoid keeps pixels in (0, 1) without clamping,
        # the bilinear upsampling suppresses the high-frequency patterns of plain ascent.
        small = F.interpolate(start, size=(low, low), mode="bilinear", align_corners=False, antialias=True)
        param = torch.logit(small.clamp(1e-3, 1 - 1e-3)).requires_grad_(True)
        optimizer = torch.optim.Adam([param], lr=self.lr)

        def render(p: Tensor) -> Tensor:
            return torch.sigmoid(F.interpolate(p, size=(size, size), mode="bilinear", align_corners=False))

        for step in range(self.steps):
            optimizer.zero_grad(set_to_none=True)
            with torch.enable_grad():
                image = render(param)
                seen = image
                if self.jitter > 0:
                    dy, dx = torch.randint(-self.jitter, self.jitter + 1, (2,), generator=generator).tolist()
                    seen = torch.roll(seen, shifts=(dy, dx), dims=(2, 3))
                lo, hi = self.scale_range
                scale = lo + (hi - lo) * float(torch.rand((), generator=generator))
                if abs(scale - 1) > 1e-3:
                    seen = F.interpolate(seen, scale_factor=scale, mode="bilinear", align_corners=False)
                act = self._mean_activation(seen, indices)
                loss = -act.sum() + self.tv_weight * _total_variation_per_image(image).sum()
                loss.backward()
            optimizer.step()
            if self.blur_every and (step + 1) % self.blur_every == 0:
                with torch.no_grad():
                    param.copy_(_gaussian_blur(param, self.blur_sigma))
            history.append(act.detach())
        with torch.no_grad():
            return render(param)


def _total_variation_per_image(img: Tensor) -> Tensor:
    dy = (img[..., 1:, :] - img[..., :-1, :]).abs().mean(dim=(1, 2, 3))
    dx = (img[..., :, 1:] - img[..., :, :-1]).abs().mean(dim=(1, 2, 3))
    return dy + dx
