"""Which filters of a layer tell the classes apart (from per-image channel means, e.g.
``predict_split(..., layers=[name]).layer_means[name]``)."""
from __future__ import annotations

import torch
from torch import Tensor


def selective_filters(means: Tensor, labels: Tensor) -> list[int]:
    """Channels from most to least class-selective: the spread (max - min) of the per-class mean
    activations, relative to the channel's standard deviation over images."""
    rows = [means[labels == c].mean(0) for c in torch.unique(labels)]
    per_class = torch.stack(rows)
    spread = (per_class.max(0).values - per_class.min(0).values) / (means.std(0) + 1e-6)
    return [int(i) for i in torch.argsort(spread, descending=True, stable=True)]
