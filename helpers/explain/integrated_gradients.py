"""Integrated gradients (Sundararajan et al., 2017) with Captum's default quadrature."""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from .base import Explainer, TargetType, input_gradient

METHODS = ("gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle")


def quadrature(n_steps: int, method: str) -> tuple[list[float], list[float]]:
    """(step sizes, alphas) on [0, 1], as Captum's approximation_methods computes them."""
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    if method == "gausslegendre":
        points, weights = np.polynomial.legendre.leggauss(n_steps)
        return (0.5 * weights).tolist(), (0.5 * (1 + points)).tolist()
    if method == "riemann_trapezoid":
        if n_steps < 2:
            raise ValueError("riemann_trapezoid needs n_steps >= 2")
        # Captum's convention (step 1/n with halved ends, weights summing to 1 - 1/n), kept so that
        # results compare with Captum; the textbook trapezoid would use 1/(n-1).
        steps = [1 / n_steps] * n_steps
        steps[0] /= 2
        steps[-1] /= 2
        return steps, list(np.linspace(0, 1, n_steps))
    offsets = {"riemann_left": 0.0, "riemann_right": 1.0, "riemann_middle": 0.5}
    if method not in offsets:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return [1 / n_steps] * n_steps, [(i + offsets[method]) / n_steps for i in range(n_steps)]


class IntegratedGradients(Explainer):
    """(x - baseline) * integral over alpha of d score / d x at baseline + alpha (x - baseline).

    Args:
        baseline: float (e.g. 0.0 = black image, default) or a tensor broadcastable to (N,C,H,W).
        n_steps: quadrature points (Captum's default 50).
        method: "gausslegendre" (Captum's default, so outputs compare) or a Riemann rule.
        batch_size: interpolated images per forward/backward pass (default 32).
    Returns attributions with the shape of the inputs.
    """

    runs_on_copy = True

    def __init__(self, model: nn.Module, baseline: float | Tensor = 0.0, n_steps: int = 50,
                 method: str = "gausslegendre", batch_size: int = 32, eval_mode: bool = True,
                 channels_last: bool = False) -> None:
        super().__init__(model, eval_mode=eval_mode, channels_last=channels_last)
        self.step_sizes, self.alphas = quadrature(int(n_steps), method)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.baseline = baseline
        self.n_steps = int(n_steps)
        self.method = method
        self.batch_size = int(batch_size)

    def _attribute_batch(self, x: Tensor, target: TargetType) -> Tensor:
        target = self._resolve(x, target)
        baseline = torch.as_tensor(self.baseline, dtype=x.dtype, device=x.device).expand_as(x)
        delta = x - baseline
        n, steps = x.shape[0], self.n_steps
        alphas = torch.tensor(self.alphas, dtype=x.dtype, device=x.device)
        weights = torch.tensor(self.step_sizes, dtype=x.dtype, device=x.device)
        total = torch.zeros_like(x)
        for start in range(0, n * steps, self.batch_size):
            idx = torch.arange(start, min(start + self.batch_size, n * steps), device=x.device)
            img, step = idx // steps, idx % steps
            points = baseline[img] + alphas[step].view(-1, 1, 1, 1) * delta[img]
            if self.channels_last:
                points = points.contiguous(memory_format=torch.channels_last)
            grad = input_gradient(self.model, points, target[img])
            total.index_add_(0, img, grad * weights[step].view(-1, 1, 1, 1))
        return total * delta
