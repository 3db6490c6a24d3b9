"""Train the default model's classifier head on the demo data, reproducibly from a seed.

The EfficientNet-Lite0 backbone stays frozen: its pooled 1280-d features are computed once (and
cached under ``.cache/features``), then a linear head is fitted with Adam and L2 regularisation
chosen on the validation split. Training features include horizontally flipped copies. Images are squashed to 224x224
(the whole photo), see DEFAULT_RESIZE_MODE.
Writes ``model/default_head.pt`` (the Linear layer's state_dict, ~26 KB) and
``model/default_head.json`` (classes, seed, settings and accuracy on each split).

    python -m helpers.training.default_head [--seed 0]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import torch
from torch import nn
from tqdm import tqdm

from helpers.data.default_dataset import CACHE_DIR, default_data_dir
from helpers.data.image_split import SPLITS
from helpers.data.layout import open_split
from helpers.models.default_model import (DEFAULT_HEAD_INFO, DEFAULT_HEAD_PATH, DEFAULT_INPUT_SIZE,
                                          DEFAULT_RESIZE_MODE, FEATURE_DIM, backbone_weights_path, build_efficientnet_lite0)

WEIGHT_DECAYS = (1e-4, 1e-3, 3e-3, 1e-2, 3e-2)
EPOCHS = 300


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def extract_features(data_dir: Path, batch_size: int = 32) -> dict[str, dict[str, torch.Tensor]]:
    """Pooled backbone features per split (``plain`` and ``flipped``) with labels; cached on disk."""
    manifest = json.loads((data_dir / "manifest.json").read_text())["fingerprint"]
    key = hashlib.sha256(f"{manifest}-{_file_digest(backbone_weights_path())}-{DEFAULT_RESIZE_MODE}-v1".encode()).hexdigest()[:16]
    cache = CACHE_DIR / "features" / f"efficientnet_lite0-{key}.pt"
    if cache.is_file():
        return torch.load(cache, weights_only=True)
    backbone = build_efficientnet_lite0(num_classes=2).eval()
    result: dict[str, dict[str, torch.Tensor]] = {}
    for split in SPLITS:
        dataset = open_split(data_dir, split, DEFAULT_INPUT_SIZE, DEFAULT_RESIZE_MODE)
        plain, flipped, labels = [], [], []
        with torch.inference_mode():
            for images, batch_labels, _ in tqdm(dataset.batches(batch_size), desc=f"features {split}",
                                                total=-(-len(dataset) // batch_size)):
                plain.append(backbone.features(images))
                flipped.append(backbone.features(images.flip(-1)))
                labels.append(batch_labels)
        result[split] = {"plain": torch.cat(plain), "flipped": torch.cat(flipped), "labels": torch.cat(labels)}
    cache.parent.mkdir(parents=True, exist_ok=True)
    torch.save(result, cache)
    return result


def fit_head(features: torch.Tensor, labels: torch.Tensor, num_classes: int, weight_decay: float,
             seed: int, epochs: int = EPOCHS) -> nn.Linear:
    """Full-batch Adam on a linear layer (deterministic for a seed)."""
    generator = torch.Generator().manual_seed(seed)
    head = nn.Linear(FEATURE_DIM, num_classes)
    with torch.no_grad():
        head.weight.normal_(0.0, 0.01, generator=generator)
        head.bias.zero_()
    optimiser = torch.optim.Adam(head.parameters(), lr=1e-2, weight_decay=weight_decay)
    for _ in range(epochs):
        optimiser.zero_grad()
        nn.functional.cross_entropy(head(features), labels).backward()
        optimiser.step()
    return head


def accuracy(head: nn.Linear, features: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return (head(features).argmax(1) == labels).float().mean().item()


def train_default_head(seed: int = 0) -> dict:
    """Choose the L2 strength on validation, fit the head, write it and its info under model/."""
    torch.manual_seed(seed)
    data_dir = default_data_dir()
    features = extract_features(data_dir)
    train = features["training"]
    x_train = torch.cat([train["plain"], train["flipped"]])
    y_train = torch.cat([train["labels"], train["labels"]])
    class_names = json.loads((data_dir / "classes.json").read_text(encoding="utf-8"))
    num_classes = len(class_names["names"])
    scores = {}
    for weight_decay in WEIGHT_DECAYS:
        head = fit_head(x_train, y_train, num_classes, weight_decay, seed)
        scores[weight_decay] = accuracy(head, features["validation"]["plain"], features["validation"]["labels"])
    best = max(WEIGHT_DECAYS, key=lambda wd: (scores[wd], wd))  # ties -> stronger regularisation
    head = fit_head(x_train, y_train, num_classes, best, seed)
    accuracies = {s: round(accuracy(head, features[s]["plain"], features[s]["labels"]), 4) for s in SPLITS}
    DEFAULT_HEAD_PATH.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.detach().clone() for k, v in head.state_dict().items()}, DEFAULT_HEAD_PATH)
    info = {
        "architecture": "efficientnet-lite0 (ImageNet backbone from PyPI, frozen) + Linear(1280, K)",
        "class_names": class_names["names"],
        "class_names_zh-TW": class_names.get("names_zh-TW"),
        "input_size": DEFAULT_INPUT_SIZE,
        "resize_mode": DEFAULT_RESIZE_MODE,
        "seed": seed,
        "weight_decay": best,
        "validation_accuracy_by_weight_decay": {str(k): round(v, 4) for k, v in scores.items()},
        "accuracy": accuracies,
        "command": f"python -m helpers.training.default_head --seed {seed}",
    }
    DEFAULT_HEAD_INFO.write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the default model's head on the demo data.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    info = train_default_head(args.seed)
    print(json.dumps({k: info[k] for k in ("weight_decay", "validation_accuracy_by_weight_decay", "accuracy")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
