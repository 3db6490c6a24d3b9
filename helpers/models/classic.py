"""The classic Food-11 classifier ("HW3 model").

Five blocks of Conv3x3 -> BatchNorm -> ReLU -> MaxPool(2) with 64-128-256-512-512 channels take a
128x128 image to 512x4x4, then three fully connected layers. The attribute names (`cnn`, `fc`) and
the `nn.Sequential` indices match the course code, so users' checkpoints load unchanged; readable
names such as ``conv3`` come from :func:`helpers.models.layers.layer_aliases`, never from indices
typed by hand.
"""
from __future__ import annotations

import torch
from torch import nn

from helpers.data.images import CHANNEL_ORDERS, apply_channel_order

CLASSIC_CHANNELS = (64, 128, 256, 512, 512)
CLASSIC_INPUT_SIZE = 128


def _block(in_channels: int, out_channels: int, dropout: float) -> list[nn.Module]:
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=1, padding=1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
        nn.MaxPool2d(2, 2, 0),
    ]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    return layers


class Food11CNN(nn.Module):
    """The HW3 CNN. Input: a batch of images in [0, 1], shape (N, 3, 128, 128). Output: logits.

    ``dropout > 0`` builds the common variant with a Dropout after every block (its checkpoint
    keys differ: ``cnn.5`` is the second conv instead of ``cnn.4``). ``channel_order="bgr"`` is for
    weights trained on OpenCV images: the input stays RGB and is flipped inside, so attributions
    come back in RGB order.
    """

    def __init__(self, num_classes: int = 11, dropout: float = 0.0,
                 input_size: int = CLASSIC_INPUT_SIZE, channel_order: str = "rgb") -> None:
        super().__init__()
        if channel_order not in CHANNEL_ORDERS:
            raise ValueError(f"channel_order must be one of {CHANNEL_ORDERS}, got {channel_order!r}")
        if num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes}")
        if input_size % 32 != 0:
            raise ValueError(f"input_size must be a multiple of 32 (five 2x2 poolings), got {input_size}")
        layers: list[nn.Module] = []
        in_channels = 3
        for out_channels in CLASSIC_CHANNELS:
            layers += _block(in_channels, out_channels, dropout)
            in_channels = out_channels
        self.cnn = nn.Sequential(*layers)
        side = input_size // 32
        self.fc = nn.Sequential(
            nn.Linear(in_channels * side * side, 1024),
            nn.ReLU(),
            nn.Linear(1024, 512),
            nn.ReLU(),
            nn.Linear(512, num_classes),
        )
        self.num_classes = num_classes
        self.input_size = input_size
        self.channel_order = channel_order

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.cnn(apply_channel_order(x, self.channel_order))
        return self.fc(features.flatten(1))
