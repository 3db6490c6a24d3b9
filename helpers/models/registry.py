"""Build the model to explain from report parameters: architecture, checkpoint, channel order.

Every model returned here takes RGB images in [0, 1] at ``input_size`` (a classic model trained on
OpenCV's BGR flips channels inside), so explanations line up with the picture a person sees.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from helpers.data.images import CHANNEL_ORDERS, ResizeMode
from helpers.device import pick_device
from helpers.models.checkpoint import CheckpointError, load_checkpoint, read_state_dict
from helpers.models.classic import CLASSIC_CHANNELS, Food11CNN
from helpers.models.default_model import (DEFAULT_HEAD_PATH, DEFAULT_INPUT_SIZE, DEFAULT_RESIZE_MODE,
                                          default_head_info, load_default_model)

ARCHITECTURES = ("default", "classic")


@dataclass
class LoadedModel:
    """A model ready to explain, with what is needed to feed it."""

    model: nn.Module
    architecture: str
    input_size: int
    resize_mode: ResizeMode
    num_classes: int
    device: torch.device
    checkpoint: Path | None
    class_names: list[str] | None = None
    info: dict = field(default_factory=dict)

    @property
    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def infer_classic_config(state: dict[str, torch.Tensor]) -> dict[str, int | float]:
    """Read num_classes, input size and the Dropout variant off a classic-model state_dict."""
    state = {k.removeprefix("module."): v for k, v in state.items()}
    conv_keys = sorted((int(k.split(".")[1]) for k, v in state.items()
                        if k.startswith("cnn.") and k.endswith(".weight") and v.ndim == 4))
    if len(conv_keys) != len(CLASSIC_CHANNELS):
        raise CheckpointError(f"Expected {len(CLASSIC_CHANNELS)} conv layers (cnn.<i>.weight) in a classic "
                              f"checkpoint, found {len(conv_keys)}: is it really the HW3 model?")
    stride = conv_keys[1] - conv_keys[0]  # 4 modules per block, 5 with Dropout
    linear = sorted((k for k, v in state.items() if k.startswith("fc.") and k.endswith(".weight") and v.ndim == 2),
                    key=lambda k: int(k.split(".")[1]))
    if not linear:
        raise CheckpointError("No fully connected layers (fc.<i>.weight) in the checkpoint.")
    side = round((state[linear[0]].shape[1] / CLASSIC_CHANNELS[-1]) ** 0.5)
    return {"num_classes": int(state[linear[-1]].shape[0]), "input_size": side * 32,
            "dropout": 0.5 if stride == 5 else 0.0}


def load_model(architecture: str = "default", checkpoint: str | Path | None = None,
               channel_order: str = "rgb", input_size: int | None = None, num_classes: int | None = None,
               device: str | torch.device | None = "auto", allow_pickle: bool = False) -> LoadedModel:
    """The model to explain, in eval mode on the chosen device.

    ``architecture="default"``: EfficientNet-Lite0 with the committed head (``checkpoint`` may
    name another head file). ``"classic"``: the HW3 CNN; with a checkpoint its class count, input
    size and Dropout variant are read off the file; without one it has random weights (for tests).
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture {architecture!r}: use one of {ARCHITECTURES}.")
    if channel_order not in CHANNEL_ORDERS:
        raise ValueError(f"channel_order must be one of {CHANNEL_ORDERS}, got {channel_order!r}.")
    target = pick_device(device)
    if architecture == "default":
        if channel_order != "rgb":
            raise ValueError("The default model's ImageNet weights expect RGB: use channel_order='rgb'.")
        if input_size not in (None, DEFAULT_INPUT_SIZE):
            raise ValueError(f"The default model takes {DEFAULT_INPUT_SIZE}x{DEFAULT_INPUT_SIZE} input, "
                             f"not {input_size}.")
        head = Path(checkpoint) if checkpoint else DEFAULT_HEAD_PATH
        model = load_default_model(head_path=head)
        info = default_head_info() if head == DEFAULT_HEAD_PATH else {}
        size, resize = DEFAULT_INPUT_SIZE, DEFAULT_RESIZE_MODE
        names = info.get("class_names")
        classes = model._fc.out_features
    else:
        info = {}
        if checkpoint:
            config = infer_classic_config(read_state_dict(checkpoint, allow_pickle))
            if input_size not in (None, config["input_size"]):
                raise CheckpointError(f"The checkpoint was trained at {config['input_size']}px input, "
                                      f"not input_size={input_size}.")
            if num_classes not in (None, config["num_classes"]):
                raise CheckpointError(f"The checkpoint has {config['num_classes']} classes, not "
                                      f"num_classes={num_classes}.")
            model = Food11CNN(int(config["num_classes"]), float(config["dropout"]), int(config["input_size"]),
                              channel_order)
            load_checkpoint(model, checkpoint, allow_pickle)
        else:
            model = Food11CNN(num_classes or 11, input_size=input_size or 128, channel_order=channel_order)
        size, resize, names, classes = model.input_size, "squash", None, model.num_classes
    model = model.eval().to(target)
    return LoadedModel(model, architecture, size, resize, classes, target,
                       Path(checkpoint) if checkpoint else None, names, info)
