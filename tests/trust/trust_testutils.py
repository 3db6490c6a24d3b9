"""Constructed models and images with known answers for the tests of helpers.trust."""
from __future__ import annotations

import torch
from torch import nn


class RegionModel(nn.Module):
    """Two classes; logit 0 = scale * (mean of the top-left quadrant - offset), logit 1 = 0.

    Only the top-left quadrant matters, so a map concentrated there is the right answer. The
    per-channel weights make it a parameterised (and so randomisable) layer."""

    def __init__(self, scale: float = 40.0, offset: float = 0.8) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(3))
        self.scale, self.offset = scale, offset

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        region = x[:, :, : h // 2, : w // 2].mean(dim=(2, 3))  # (N, C)
        logit = self.scale * ((region * self.weight).sum(1) / self.weight.sum() - self.offset)
        return torch.stack([logit, torch.zeros_like(logit)], dim=1)


def region_images(n: int = 4, size: int = 32, seed: int = 0) -> torch.Tensor:
    """Bright top-left quadrant (0.8..1), dark elsewhere (0..0.3): the model says class 0."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g) * 0.3
    x[:, :, : size // 2, : size // 2] = 0.8 + 0.2 * torch.rand(n, 3, size // 2, size // 2, generator=g)
    return x


def quadrant_map(n: int, size: int, where: str) -> torch.Tensor:
    """(N, 1, S, S): ones on one quadrant ("top_left" = the model's region, "bottom_right" =
    elsewhere), plus a small ramp so pixels inside are not all tied."""
    m = torch.zeros(n, 1, size, size)
    half = size // 2
    ramp = torch.linspace(1.0, 0.9, half * half).reshape(half, half)
    if where == "top_left":
        m[:, 0, :half, :half] = ramp
    elif where == "bottom_right":
        m[:, 0, half:, half:] = ramp
    else:
        raise ValueError(where)
    return m


class SmallConvNet(nn.Module):
    """conv-BN-ReLU-conv-ReLU-pool-linear on 16x16 images, 4 classes (registration = forward order)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.act1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.act2 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 8 * 8, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.pool(self.act2(self.conv2(x)))
        return self.fc(x.flatten(1))


def make_small(seed: int = 0) -> SmallConvNet:
    torch.manual_seed(seed)
    model = SmallConvNet()
    with torch.no_grad():  # non-trivial BN statistics and affine parameters
        model.bn1.running_mean.uniform_(-0.2, 0.2)
        model.bn1.running_var.uniform_(0.5, 1.5)
        model.bn1.weight.uniform_(0.5, 1.5)
    return model.eval()


def small_images(n: int = 3, seed: int = 1) -> torch.Tensor:
    return torch.rand(n, 3, 16, 16, generator=torch.Generator().manual_seed(seed))
