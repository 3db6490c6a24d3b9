"""Shared test helpers (tiny models, comparisons) for tests/explain."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class TinyNet(nn.Module):
    """conv-BN-act-conv-act-pool-linear on 16x16 images, 4 classes; activation modules configurable."""

    def __init__(self, act: type[nn.Module] = nn.ReLU, inplace: bool = False, num_classes: int = 4) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.act1 = act(inplace=inplace)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.act2 = act(inplace=inplace)
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(8 * 8 * 8, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.pool(self.act2(self.conv2(x)))
        return self.fc(self.drop(x.flatten(1)))


class FunctionalReLUNet(nn.Module):
    """Same shape as TinyNet but rectifies with F.relu: nothing for guided backprop to hook."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 16 * 16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(F.relu(self.conv1(x)).flatten(1))


def make_tiny(act: type[nn.Module] = nn.ReLU, inplace: bool = False, seed: int = 0) -> TinyNet:
    torch.manual_seed(seed)
    model = TinyNet(act=act, inplace=inplace)
    with torch.no_grad():  # non-trivial BN statistics so eval mode differs from train mode
        model.bn1.running_mean.uniform_(-0.2, 0.2)
        model.bn1.running_var.uniform_(0.5, 1.5)
    return model.eval()


def assert_close_rel(ours: torch.Tensor, ref: torch.Tensor, rel: float = 1e-5) -> None:
    """max |ours - ref| <= rel * max |ref| (and the reference is not all zeros)."""
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    scale = ref.abs().max().item()
    assert scale > 0, "reference map is all zeros: the comparison would be meaningless"
    diff = (ours - ref).abs().max().item()
    assert diff <= rel * scale, f"max abs diff {diff:.3g} > {rel} * {scale:.3g}"


def all_hooks(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._backward_hooks) + len(m._forward_pre_hooks)
               + len(getattr(m, "_backward_pre_hooks", {})) for m in model.modules())


class TwoLayerReLU6(nn.Module):
    """flatten -> Linear -> ReLU6 -> Linear -> ReLU6 -> Linear, with ONE ReLU6 instance used twice
    (as EfficientNet-Lite's blocks reuse `_swish`)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.l1 = nn.Linear(3 * 4 * 4, 10)
        self.l2 = nn.Linear(10, 7)
        self.l3 = nn.Linear(7, 3)
        with torch.no_grad():  # large weights: some units saturate above 6, some are negative
            self.l1.weight.mul_(8)
            self.l2.weight.mul_(4)
        self.act = nn.ReLU6(inplace=inplace)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.l3(self.act(self.l2(self.act(self.l1(x.flatten(1))))))
