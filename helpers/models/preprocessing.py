"""The wrapper that gives any classifier the report's input: RGB images in [0, 1].

A user's model was trained on its own preprocessing (BGR from OpenCV, ImageNet mean/std, ...).
:class:`Preprocessed` applies the channel order and the normalisation *inside* the model, so every
map, LIME segment and ascent picture stays in the photo's pixel space. The resize is the data
loader's job (``resize_mode``); it is recorded here so that the cache key and section 0 see it.

Layer names stay the user's own: :mod:`helpers.models.layers` lists and resolves names inside
:attr:`Preprocessed.net` without the wrapper's prefix (``layer4.1.conv2``, not ``net.layer4.1.conv2``).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import torch
from torch import Tensor, nn

from helpers.data.images import apply_channel_order

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Normalization:
    """``(x - mean) / std`` per channel, in the order of the channels the model receives."""

    name: str  # "none", "imagenet", "custom", or an architecture's own (e.g. "(x - 0.5) / 0.5")
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    @property
    def is_identity(self) -> bool:
        return self.mean is None


NO_NORMALIZATION = Normalization("none")


class NormalizationError(ValueError):
    """A ``normalize`` value that is not "none", "imagenet" or ``{"mean": [...], "std": [...]}``."""


def _channel_values(values: object, what: str) -> tuple[float, ...]:
    if (not isinstance(values, Sequence) or isinstance(values, str) or len(values) not in (1, 3)
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)):
        raise NormalizationError(f"normalize[{what!r}] must be a list of 3 numbers (one per channel) or 1, "
                                 f"got {values!r}")
    return tuple(float(v) for v in values) * (3 if len(values) == 1 else 1)


def parse_normalization(value: str | dict | None, default: Normalization = NO_NORMALIZATION) -> Normalization:
    """``None`` (the architecture's own: ``default``), ``"none"``, ``"imagenet"`` or
    ``{"mean": [...], "std": [...]}`` as a :class:`Normalization`."""
    if value is None:
        return default
    if value == "none":
        return NO_NORMALIZATION
    if value == "imagenet":
        return Normalization("imagenet", IMAGENET_MEAN, IMAGENET_STD)
    if isinstance(value, dict) and set(value) == {"mean", "std"}:
        mean, std = _channel_values(value["mean"], "mean"), _channel_values(value["std"], "std")
        if not all(s > 0 for s in std):
            raise NormalizationError(f"normalize['std'] must be > 0 for every channel, got {list(std)}")
        if (mean, std) == (IMAGENET_MEAN, IMAGENET_STD):
            return Normalization("imagenet", mean, std)
        return Normalization("custom", mean, std)
    raise NormalizationError(f"normalize = {value!r}: use None (the architecture's own), 'none', 'imagenet', or "
                             "{'mean': [r, g, b], 'std': [r, g, b]} with values for images in [0, 1]")


@dataclass(frozen=True)
class ModelSource:
    """Where a wrapped model comes from, for section 0 and the result cache's key."""

    architecture: str                     # the model_arch parameter as given
    class_name: str                       # the user's class (``ResNet`` for torchvision:resnet18)
    model_file: str | None = None         # the user's model file, resolved
    source_sha256: str | None = None      # its source (and of the local modules it imports)
    model_kwargs: dict = field(default_factory=dict)


class Preprocessed(nn.Module):
    """``net`` fed with RGB images in [0, 1]: channel order, then normalisation, then ``net``."""

    def __init__(self, net: nn.Module, normalization: Normalization = NO_NORMALIZATION, channel_order: str = "rgb",
                 resize_mode: str = "squash", input_size: int | None = None,
                 source: ModelSource | None = None) -> None:
        super().__init__()
        self.net = net
        self.normalization = normalization
        self.channel_order = channel_order  # read by the cache's model fingerprint, like the classic model's
        self.resize_mode = resize_mode
        self.input_size = input_size
        self.source = source
        if not normalization.is_identity:
            # buffers: they move with .to(device) and are part of the state_dict (so of the fingerprint)
            self.register_buffer("mean", torch.tensor(normalization.mean).view(1, -1, 1, 1), persistent=True)
            self.register_buffer("std", torch.tensor(normalization.std).view(1, -1, 1, 1), persistent=True)

    def forward(self, x: Tensor) -> Tensor:
        x = apply_channel_order(x, self.channel_order)
        if not self.normalization.is_identity:
            x = (x - self.mean) / self.std
        return self.net(x)

    def cache_identity(self) -> str:
        """What the weights alone do not say: the source code, constructor arguments and preprocessing."""
        return json.dumps({"source": asdict(self.source) if self.source else None,
                           "normalization": asdict(self.normalization), "channel_order": self.channel_order,
                           "resize_mode": self.resize_mode, "input_size": self.input_size},
                          sort_keys=True, default=repr)


def unwrap(model: nn.Module) -> nn.Module:
    """The user's own network inside a :class:`Preprocessed` wrapper (else ``model`` itself)."""
    return model.net if isinstance(model, Preprocessed) else model
