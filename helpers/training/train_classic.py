"""Train the classic Food-11 CNN, for users who have the data but no checkpoint.

The usual HW3 recipe: Adam (lr 1e-3), batch 128, random horizontal flips and rotations up to 15
degrees; the checkpoint with the best validation accuracy is kept. Resumable: ``last.pt`` holds
the optimiser, epoch, best accuracy and RNG states, and ``--resume`` carries on from it.

    python -m helpers.training.train_classic --data PATH/food-11 --out model/classic [--epochs 30]

Writes ``<out>/best.pt`` (a plain state_dict, loadable with weights_only=True: pass it as the
report's ``checkpoint`` with ``model_arch="classic"``) and ``<out>/last.pt``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from torchvision.transforms import v2 as T
from tqdm import tqdm

from helpers.data.default_dataset import resolve_data_dir
from helpers.data.layout import open_split
from helpers.device import pick_device
from helpers.evaluation.predictions import predict_split
from helpers.device import progress_enabled
from helpers.models.classic import Food11CNN


@dataclass
class TrainConfig:
    data: str
    out: str
    epochs: int = 30
    batch_size: int = 128
    lr: float = 1e-3
    input_size: int = 128
    channel_order: str = "rgb"
    seed: int = 0
    device: str = "auto"


def _atomic_save(obj: object, path: Path) -> None:
    # A crash mid-write must not destroy the previous checkpoint.
    temporary = path.with_name(f".{path.name}.part")
    torch.save(obj, temporary)
    os.replace(temporary, path)


def _augment() -> T.Transform:
    return T.Compose([T.RandomHorizontalFlip(), T.RandomRotation(15)])


def train_classic(config: TrainConfig, resume: bool = False, progress: bool | None = None) -> dict:
    """Train, keep the best-on-validation state_dict; return the history."""
    if config.epochs < 1 or config.batch_size < 1 or config.lr <= 0:
        raise ValueError("epochs and batch_size must be >= 1 and lr > 0")
    device = pick_device(config.device)
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    root = resolve_data_dir(config.data)
    train = open_split(root, "training", config.input_size, "squash")
    # The model has the training split's classes: a validation file with another label is skipped
    # (and named by the split), not scored against an output that does not exist.
    validation = open_split(root, "validation", config.input_size, "squash", num_classes=train.num_classes)
    torch.manual_seed(config.seed)  # before building the model: its initial weights come from it
    model = Food11CNN(train.num_classes, input_size=config.input_size,
                      channel_order=config.channel_order).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(config.seed)
    state = {"epoch": 0, "best_accuracy": -1.0, "history": []}
    last = out / "last.pt"
    if resume and last.is_file():
        saved = torch.load(last, map_location="cpu", weights_only=True)
        if saved["config"] != asdict(config) | {"epochs": saved["config"]["epochs"]}:
            raise ValueError(f"{last} was written with other settings ({saved['config']}); "
                             "use another --out or the same settings (only --epochs may change).")
        model.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimizer"])
        generator.set_state(saved["generator"])
        torch.set_rng_state(saved["torch_rng"])
        state = {k: saved[k] for k in ("epoch", "best_accuracy", "history")}
    augment = _augment()
    loss_fn = nn.CrossEntropyLoss()
    show = progress_enabled(progress)
    for epoch in range(state["epoch"], config.epochs):
        model.train()
        order = torch.randperm(len(train), generator=generator).tolist()
        total_loss, seen = 0.0, 0
        bar = tqdm(train.batches(config.batch_size, order), total=-(-len(order) // config.batch_size),
                   desc=f"epoch {epoch + 1}/{config.epochs}", disable=not show)
        for images, labels, _ in bar:
            images = torch.stack([augment(image) for image in images]).to(device)
            labels = labels.to(device)
            optimiser.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimiser.step()
            total_loss += loss.item() * len(labels)
            seen += len(labels)
            bar.set_postfix(loss=f"{total_loss / seen:.3f}")
        accuracy = predict_split(model, validation, config.batch_size, progress=False).accuracy
        state["history"].append({"epoch": epoch + 1, "loss": total_loss / max(seen, 1),
                                 "validation_accuracy": accuracy})
        if accuracy > state["best_accuracy"]:
            state["best_accuracy"] = accuracy
            _atomic_save({k: v.detach().cpu() for k, v in model.state_dict().items()}, out / "best.pt")
        state["epoch"] = epoch + 1
        _atomic_save({"model": model.state_dict(), "optimizer": optimiser.state_dict(),
                      "generator": generator.get_state(), "torch_rng": torch.get_rng_state(),
                      "config": asdict(config), **state}, last)
        print(f"epoch {epoch + 1}: loss {total_loss / max(seen, 1):.4f}, validation accuracy {accuracy:.4f}",
              flush=True)
    (out / "history.json").write_text(json.dumps(state, indent=1))
    return state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train the classic Food-11 CNN (HW3 recipe).")
    parser.add_argument("--data", required=True, help='data folder (Food-11 or ImageFolder layout), or "default" for the demo data')
    parser.add_argument("--out", default="model/classic", help="folder for best.pt / last.pt")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--input-size", type=int, default=128)
    parser.add_argument("--channel-order", default="rgb", choices=("rgb", "bgr"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--resume", action="store_true", help="continue from <out>/last.pt")
    args = parser.parse_args(argv)
    config = TrainConfig(args.data, args.out, args.epochs, args.batch_size, args.lr, args.input_size,
                         args.channel_order, args.seed, args.device)
    try:
        state = train_classic(config, resume=args.resume)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"best validation accuracy {state['best_accuracy']:.4f}; checkpoint {Path(args.out) / 'best.pt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
