"""Activation maximisation: images made by gradient ascent that maximise a conv filter's mean
activation, and a measure of how much of an image's power is high-frequency.

Two methods, chosen by ``method``:

* ``"plain"``, the course's version and the baseline: Adam on the pixels from uniform noise,
  clamped to [0, 1] after every step. On trained CNNs it gives saturated, high-frequency pictures.
* ``"fourier"``, the recipe of Olah et al., "Feature Visualization" (Distill 2017), as in Lucid /
  Lucent: the image is parameterised by its Fourier spectrum scaled by 1/f (so every frequency
  moves at the speed natural images have, instead of the optimiser favouring the many high
  frequencies), in a decorrelated colour space (below), squashed into [0, 1] by a sigmoid; every
  step the network sees a randomly padded, shifted, scaled and rotated copy (transformation
  robustness), so patterns that only work at one exact pixel position are not rewarded.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.fft
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from helpers.device import model_device
from helpers.models.layers import check_filter_index

from .activation_maps import layer_output, resolve_layer_or_module
from .base import check_inputs, frozen_eval, temporary_channels_last

METHODS = ("plain", "fourier")

#: Square root of the colour covariance of ImageNet pixels (from its eigen-decomposition: columns
#: are the principal colour directions, luminance first, then two opponent-colour axes, scaled by
#: the square root of their variance), the values Lucid measured and Lucent reuses. Multiplying
#: independent unit-variance "decorrelated" channels by it gives natural colour correlations.
IMAGENET_COLOR_SQRT_COVARIANCE = torch.tensor([[0.26, 0.09, 0.02],
                                               [0.27, 0.00, -0.05],
                                               [0.27, -0.09, 0.03]])
# Normalised so the largest column has unit norm (as Lucid does): the luminance axis moves the
# sigmoid's input at the same rate as a pixel-space parameter would.
_COLOR_MIX = IMAGENET_COLOR_SQRT_COVARIANCE / IMAGENET_COLOR_SQRT_COVARIANCE.norm(dim=0).max()
# Lucid's constant that brings the 1/f-scaled spectrum's image into the sigmoid's useful range.
_SPECTRUM_GAIN = 4.0
_LOGIT_EPS = 1e-3


@dataclass
class FilterVisualization:
    """Result of activation maximisation for K filters.

    images: (K, 3, H, W) in [0, 1]; history: (steps, K) mean activation of each filter at each
    step (on the image the optimiser saw: transformed for ``method="fourier"``);
    initial_activation / final_activation: (K,) mean activation of the starting and of the final
    image, both as they are (not transformed), so methods and real photos compare directly.
    """

    layer: str
    filter_indices: list[int]
    images: Tensor
    history: Tensor
    initial_activation: Tensor
    final_activation: Tensor
    method: str = "plain"


class _FourierImage:
    """A batch of images parameterised by their 1/f-scaled spectrum in decorrelated colour space."""

    def __init__(self, height: int, width: int, device: torch.device, decay_power: float = 1.0) -> None:
        fy = torch.fft.fftfreq(height, device=device)[:, None]
        fx = torch.fft.rfftfreq(width, device=device)[None, :]
        lowest = 1.0 / max(height, width)
        radius = torch.sqrt(fy ** 2 + fx ** 2).clamp(min=lowest)  # the zero frequency gets the lowest one's factor
        # (1/f)^decay_power, written so the lowest frequency's factor (1/lowest) does not depend on
        # decay_power: the learning rate keeps its meaning for the coarse structure.
        self.scale = (lowest / radius) ** decay_power / lowest
        self.size = (height, width)
        self.mix = _COLOR_MIX.to(device)

    def render(self, spectrum: Tensor) -> Tensor:
        """(K, 3, h, w//2+1, 2) real/imaginary spectrum -> (K, 3, h, w) image in (0, 1)."""
        coefficients = torch.view_as_complex(spectrum) * self.scale
        decorrelated = torch.fft.irfft2(coefficients, s=self.size, norm="ortho") / _SPECTRUM_GAIN
        return torch.sigmoid(torch.einsum("kchw,rc->krhw", decorrelated, self.mix))

    def encode(self, images: Tensor) -> Tensor:
        """The spectrum that renders to ``images`` (pixels clipped to [0.001, 0.999] for the logit)."""
        logits = torch.logit(images.clamp(_LOGIT_EPS, 1 - _LOGIT_EPS))
        decorrelated = torch.einsum("krhw,cr->kchw", logits, torch.linalg.inv(self.mix))
        coefficients = torch.fft.rfft2(decorrelated * _SPECTRUM_GAIN, norm="ortho") / self.scale
        return torch.view_as_real(coefficients).contiguous()

    def random(self, k: int, std: float, generator: torch.Generator, device: torch.device) -> Tensor:
        """Lucid's start: a small random spectrum (an almost uniform grey image)."""
        shape = (k, 3, self.size[0], self.size[1] // 2 + 1, 2)
        return (std * torch.randn(shape, generator=generator)).to(device)


def random_transform(images: Tensor, generator: torch.Generator, pad: int, jitter: int,
                     scale_range: tuple[float, float], max_rotation: float) -> Tensor:
    """Pad with grey, then shift by up to ``jitter`` px, scale and rotate (degrees) by random
    amounts drawn from ``generator`` (one draw for the whole batch). Differentiable in ``images``."""
    if pad > 0:
        images = F.pad(images, (pad, pad, pad, pad), value=0.5)
    n, _, height, width = images.shape
    draws = torch.rand(4, generator=generator).tolist()
    dy, dx = (round((2 * d - 1) * jitter) for d in draws[:2])
    low, high = scale_range
    scale = low + (high - low) * draws[2]
    angle = math.radians((2 * draws[3] - 1) * max_rotation)
    cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
    # affine_grid maps output to input coordinates in [-1, 1] units (2 / size per pixel, so a
    # rotation's off-diagonal terms carry the aspect ratio on non-square images).
    theta = torch.tensor([[cos, -sin * height / width, 2 * dx / width],
                          [sin * width / height, cos, 2 * dy / height]], dtype=images.dtype, device=images.device)
    grid = F.affine_grid(theta.expand(n, 2, 3), list(images.shape), align_corners=False)
    # "border" repeats the grey padding outside the image (no black corners after a rotation).
    border = "border" if pad > 0 else "reflection"
    return F.grid_sample(images, grid, mode="bilinear", padding_mode=border, align_corners=False)


class ActivationMaximization:
    """Gradient ascent on an image to maximise the mean activation of conv filters.

    Same call shape as the other explainers: ``attribute(inputs, target)`` takes starting images
    (K, 3, H, W) in [0, 1] (e.g. ``torch.full((K, 3, 128, 128), 0.5)``, or noise) and the filter
    index per image (an int for all, or a sequence), and returns the optimised images (K, 3, H, W)
    in [0, 1]. ``run(filter_indices)`` starts from the method's own seeded start and returns a
    :class:`FilterVisualization` (images, activation history, initial and final activation).

    Args:
        model: the classifier; layer: name, alias (``conv3``) or module of a convolution.
        steps: Adam iterations (default 100 for "plain", 256 for "fourier").
        lr: Adam learning rate (default 0.1 on pixels for "plain", 0.05 on the spectrum for "fourier").
        method: "plain" (course baseline) or "fourier" (readable patterns); see the module docstring.
        image_size: side of the generated image for ``run`` (default 128, the classic model's input).
        seed: seeds the starting image and the random transforms (a private generator: the same
            seed gives the same images, and the global random state is not touched).
        regularize: older spelling: True = "fourier", False = "plain".
        pad, jitter, scale_range, max_rotation: the "fourier" method's per-step transforms: grey
            border in px, shift in px, scale factor range, rotation in degrees.
        decay_power: the "fourier" method's spectrum scaling (1/f)^decay_power. 1 is the recipe's
            value; larger values give smoother, paler pictures (on EfficientNet-Lite0 at 128 px,
            1.5 cut the high-frequency share from 0.10-0.28 to 0.01-0.05 and kept 78-99 % of the
            activation; 2 left mostly flat grey).
        eval_mode: run the model in eval mode (restored afterwards, like every explainer).
        channels_last: run the convolutions in channels_last memory format (often faster on CPUs;
            the weights are put back exactly afterwards).
    """

    def __init__(self, model: nn.Module, layer: str | nn.Module, steps: int | None = None,
                 lr: float | None = None, method: str = "plain", image_size: int = 128, seed: int = 0,
                 regularize: bool | None = None, pad: int = 8, jitter: int = 8,
                 scale_range: tuple[float, float] = (0.95, 1.05), max_rotation: float = 5.0, decay_power: float = 1.0,
                 eval_mode: bool = True, channels_last: bool = False) -> None:
        if regularize is not None:
            method = "fourier" if regularize else "plain"
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        self.model = model
        self.layer_name, self.layer = resolve_layer_or_module(model, layer)
        self.method = method
        self.steps = int(steps if steps is not None else (100 if method == "plain" else 256))
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        self.lr = float(lr if lr is not None else (0.1 if method == "plain" else 0.05))
        if image_size < 8:
            raise ValueError(f"image_size must be at least 8 px, got {image_size}")
        self.image_size = int(image_size)
        self.seed = int(seed)
        if pad < 0 or jitter < 0 or max_rotation < 0:
            raise ValueError(f"pad, jitter and max_rotation must be >= 0, got {pad}, {jitter}, {max_rotation}")
        low, high = scale_range
        if not 0 < low <= high:
            raise ValueError(f"scale_range must be (low, high) with 0 < low <= high, got {scale_range}")
        self.pad, self.jitter = int(pad), int(jitter)
        self.scale_range = (float(low), float(high))
        self.max_rotation = float(max_rotation)
        if decay_power < 0:
            raise ValueError(f"decay_power must be >= 0 (1 = the 1/f recipe), got {decay_power}")
        self.decay_power = float(decay_power)
        self.eval_mode = eval_mode
        self.channels_last = channels_last

    # -- public ----------------------------------------------------------------------------------
    def attribute(self, inputs: Tensor, target: int | Sequence[int] | Tensor) -> Tensor:
        """Optimised images (K, 3, H, W) in [0, 1], starting from ``inputs``; ``target`` is the
        filter index for every image (int) or per image (sequence / 1-D tensor)."""
        check_inputs(inputs)
        if target is None:
            raise ValueError("target must be the filter index to maximise (an int, or one per image); "
                             "activation maximisation has no predicted class to fall back on")
        if isinstance(target, Tensor):
            target = target.reshape(-1).tolist()
        indices = [target] * inputs.shape[0] if isinstance(target, int) else list(target)
        if len(indices) != inputs.shape[0]:
            raise ValueError(f"target has {len(indices)} filter indices but inputs has {inputs.shape[0]} images")
        return self.run(indices, init=inputs).images

    def run(self, filter_indices: int | Sequence[int], init: Tensor | None = None) -> FilterVisualization:
        """Optimise one image per filter index, all in one batch.

        ``init``: None (the method's seeded start: uniform noise for "plain", a near-grey random
        spectrum for "fourier") or images (3,H,W) / (1,3,H,W) / (K,3,H,W) in [0, 1] to start from.
        """
        indices_list = [filter_indices] if isinstance(filter_indices, int) else list(filter_indices)
        if not indices_list:
            raise ValueError("filter_indices is empty: give at least one filter index")
        for index in indices_list:
            check_filter_index(self.model, self.layer_name, index)
        device = model_device(self.model)
        k = len(indices_list)
        indices = torch.tensor(indices_list, device=device)
        generator = torch.Generator(device="cpu").manual_seed(self.seed)
        start = None if init is None else self._checked_start(init, k).to(device)

        with frozen_eval(self.model, self.eval_mode), temporary_channels_last(self.model, self.channels_last):
            ascent = self._ascent_plain if self.method == "plain" else self._ascent_fourier
            first, image, history = ascent(start, k, indices, generator, device)
            with torch.no_grad():
                initial = self._mean_activation(first, indices)
                final = self._mean_activation(image, indices)
        return FilterVisualization(layer=self.layer_name, filter_indices=indices_list, images=image.cpu(),
                                   history=torch.stack(history).cpu(), initial_activation=initial.cpu(),
                                   final_activation=final.cpu(), method=self.method)

    # -- internals -------------------------------------------------------------------------------
    def _checked_start(self, init: Tensor, k: int) -> Tensor:
        start = init.detach().float()
        if start.dim() == 3:
            start = start.unsqueeze(0)
        check_inputs(start)
        if start.shape[1] != 3:
            raise ValueError(f"starting images must have 3 channels, got shape {tuple(start.shape)}")
        if start.shape[0] == 1:
            start = start.expand(k, -1, -1, -1)
        if start.shape[0] != k:
            raise ValueError(f"init has {start.shape[0]} images for {k} filters")
        return start.clamp(0, 1).clone()

    def _mean_activation(self, image: Tensor, indices: Tensor) -> Tensor:
        if self.channels_last:
            image = image.contiguous(memory_format=torch.channels_last)
        out = layer_output(self.model, self.layer, image, stop_early=True)
        # Image k maximises filter indices[k]: pick that channel's mean for each batch row.
        return out[torch.arange(out.shape[0], device=out.device), indices].mean(dim=(1, 2))

    def _ascent_plain(self, start: Tensor | None, k: int, indices: Tensor, generator: torch.Generator,
                      device: torch.device) -> tuple[Tensor, Tensor, list[Tensor]]:
        """Returns the starting image, the final image and the activation at each step."""
        if start is None:
            size = self.image_size
            start = torch.rand((k, 3, size, size), generator=generator).to(device)
        x = start.clone().requires_grad_(True)
        optimizer = torch.optim.Adam([x], lr=self.lr)
        history = []
        for _ in range(self.steps):
            optimizer.zero_grad(set_to_none=True)
            with torch.enable_grad():
                act = self._mean_activation(x, indices)
                (-act.sum()).backward()  # images are independent in eval mode: sum = per-filter ascent
            optimizer.step()
            with torch.no_grad():
                x.clamp_(0, 1)
            history.append(act.detach())
        return start, x.detach(), history

    def _ascent_fourier(self, start: Tensor | None, k: int, indices: Tensor, generator: torch.Generator,
                        device: torch.device) -> tuple[Tensor, Tensor, list[Tensor]]:
        height, width = (self.image_size,) * 2 if start is None else start.shape[-2:]
        fourier = _FourierImage(height, width, device, self.decay_power)
        spectrum = (fourier.random(k, 0.01, generator, device) if start is None else fourier.encode(start))
        spectrum.requires_grad_(True)
        with torch.no_grad():
            rendered_start = fourier.render(spectrum)
        optimizer = torch.optim.Adam([spectrum], lr=self.lr)
        history = []
        for _ in range(self.steps):
            optimizer.zero_grad(set_to_none=True)
            with torch.enable_grad():
                seen = random_transform(fourier.render(spectrum), generator, self.pad, self.jitter,
                                        self.scale_range, self.max_rotation)
                act = self._mean_activation(seen, indices)
                (-act.sum()).backward()
            optimizer.step()
            history.append(act.detach())
        with torch.no_grad():
            return rendered_start, fourier.render(spectrum), history


def high_frequency_share(images: Tensor) -> Tensor:
    """Share of each image's spectral power above half the Nyquist frequency, (K,) in [0, 1].

    For each channel the mean is removed and the power spectrum taken with the orthonormal type-II
    DCT (the spectrum of the mirror-extended image, so the jump between opposite borders of a
    plain FFT does not count as high-frequency power); DCT index (u, v) is the frequency
    (u / 2H, v / 2W) cycles per pixel, and "high" means a radial frequency above 0.25 cycles per
    pixel (half the Nyquist frequency 0.5). Powers are summed over the channels before the ratio.

    Known values: white noise ~0.80 (the part of the frequency square outside the quarter disc of
    radius half Nyquist, 1 - pi/16), a smooth gradient ~0, a pixel checkerboard 1. An image with
    no variation (constant, or an RMS deviation from its mean below 1e-6) has no power to share
    out: its share is defined as 0.
    """
    if not isinstance(images, Tensor) or images.dim() != 4:
        raise ValueError(f"images must be a tensor (K, C, H, W), got {getattr(images, 'shape', type(images))}")
    array = images.detach().double().cpu().numpy()
    array = array - array.mean(axis=(2, 3), keepdims=True)
    power = scipy.fft.dctn(array, type=2, axes=(2, 3), norm="ortho") ** 2
    height, width = array.shape[-2:]
    fy = np.arange(height)[:, None] / (2 * height)
    fx = np.arange(width)[None, :] / (2 * width)
    high = np.sqrt(fy ** 2 + fx ** 2) > 0.25
    total = power.sum(axis=(1, 2, 3))
    above = (power * high).sum(axis=(1, 2, 3))
    flat = total <= 1e-12 * array[0].size  # RMS deviation below 1e-6: nothing to share out
    share = np.divide(above, total, out=np.zeros_like(total), where=~flat)
    return torch.from_numpy(share).float()
