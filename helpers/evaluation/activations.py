"""How strongly each filter of a layer responds over a split, and which filters tell classes apart."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from helpers.data.food11 import Food11Split
from helpers.device import model_device
from helpers.explain.base import frozen_eval
from helpers.explain.filters import layer_output


def channel_means(model: nn.Module, layer: str, split: Food11Split, indices: Sequence[int] | None = None,
                  batch_size: int = 32) -> Tensor:
    """(N, C) spatial mean of every channel of ``layer`` for the split's images ``indices`` (all
    readable images when None), in eval mode; the forward pass stops at the layer."""
    out = []
    device = model_device(model)
    with frozen_eval(model), torch.inference_mode():
        for images, _, _ in split.batches(batch_size, indices):
            out.append(layer_output(model, layer, images.to(device)).float().mean(dim=(2, 3)).cpu())
    return torch.cat(out)


def selective_filters(means: Tensor, labels: Tensor) -> list[int]:
    """Channels from most to least class-selective: the spread (max - min) of the per-class mean
    activations, relative to the channel's standard deviation over images."""
    rows = [means[labels == c].mean(0) for c in torch.unique(labels)]
    per_class = torch.stack(rows)
    spread = (per_class.max(0).values - per_class.min(0).values) / (means.std(0) + 1e-6)
    return [int(i) for i in torch.argsort(spread, descending=True, stable=True)]
