"""Batched inference of a classifier over a split."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from helpers.data.image_split import ImageSplit
from helpers.device import model_device, progress_enabled
from helpers.explain.base import temporary_channels_last
from helpers.models.layers import resolve_layer


@dataclass
class Predictions:
    """Labels, predicted classes and softmax probabilities of the images that could be read."""

    indices: list[int]
    labels: torch.Tensor
    predicted: torch.Tensor
    probabilities: torch.Tensor
    skipped: dict[Path, str]
    layer_means: dict[str, torch.Tensor] = field(default_factory=dict)  # layer -> (N, C) channel means

    @property
    def num_classes(self) -> int:
        """The model's number of outputs (columns of ``probabilities``)."""
        return int(self.probabilities.shape[1])

    @property
    def accuracy(self) -> float:
        return float((self.labels == self.predicted).float().mean()) if len(self.labels) else float("nan")


def _check_labels_fit(labels: torch.Tensor, num_outputs: int, split: ImageSplit) -> None:
    outside = sorted(set(labels[labels >= num_outputs].tolist()))
    if outside:
        raise ValueError(f"The {split.split} split has label(s) {', '.join(map(str, outside))} but the model has "
                         f"only {num_outputs} outputs (0..{num_outputs - 1}): build the split with "
                         f"open_split(..., num_classes={num_outputs}) so that such files are skipped with their "
                         "reason, or use a checkpoint trained on this data.")


def predict_split(model: nn.Module, split: ImageSplit, batch_size: int = 32,
                  indices: Sequence[int] | None = None, progress: bool | None = None,
                  layers: Sequence[str] = (), channels_last: bool = False) -> Predictions:
    """Run ``model`` over the split (or some of its images) in batches, under inference mode.

    ``layers`` (names or aliases): also record each image's spatial mean of every channel of those
    layers in ``layer_means`` (N, C), from the same forward passes: the filter section ranks
    filters by them, and reading and decoding a large split twice would double the set-up's cost.

    ``channels_last``: run the passes in channels_last memory format (the weights are put back as
    they were); the same values to float32 rounding, and on this project's 2-core CPU the classic
    model's forward costs 14 ms an image at batch 8 instead of 27 ms contiguous at batch 32.

    The model's train/eval mode is left as it was; predictions are made in eval mode.
    ``progress=None`` shows a bar only in an interactive terminal (TQDM_DISABLE=1 wins).
    The class count is the model's: a label it cannot output raises ValueError (build the split
    with ``open_split(..., num_classes=<model outputs>)`` so such files are skipped instead).
    """
    device = model_device(model)
    was_training = model.training
    model.eval()
    kept, labels, probabilities = [], [], []
    means: dict[str, list[torch.Tensor]] = {}
    handles = []
    for name in layers:
        qualified, module = resolve_layer(model, name)
        means[qualified] = []
        handles.append(module.register_forward_hook(
            lambda mod, args, out, store=means[qualified]: store.append(out.float().mean(dim=(2, 3)).cpu())))
    total = -(-(len(split) if indices is None else len(indices)) // batch_size)
    try:
        with torch.inference_mode(), temporary_channels_last(model, channels_last):
            for images, batch_labels, batch_indices in tqdm(split.batches(batch_size, indices), total=total,
                                                            desc=f"predict {split.split}",
                                                            disable=not progress_enabled(progress)):
                images = images.to(device)
                logits = model(images.contiguous(memory_format=torch.channels_last) if channels_last else images)
                _check_labels_fit(batch_labels, logits.shape[1], split)
                if not torch.isfinite(logits).all():
                    raise ValueError("The model produced NaN or infinite logits: check the checkpoint and "
                                     "the input scaling (images are given in [0, 1]).")
                probabilities.append(logits.float().softmax(1).cpu())
                labels.append(batch_labels)
                kept += batch_indices
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    if not kept:
        raise ValueError(f"No image of the {split.split} split could be read ({len(split.skipped)} unreadable).")
    probs = torch.cat(probabilities)
    return Predictions(kept, torch.cat(labels), probs.argmax(1), probs, dict(split.skipped),
                       {name: torch.cat(values) for name, values in means.items()})
