"""Users' own models for the tests (issue 20), small enough for tiny report runs.

Each builder writes its files into a folder and returns a :class:`UserModel`: the files and the
report parameters that load it (``model_arch``, ``checkpoint``, ``model_kwargs``, ``normalize``,
``input_size``...), ready for ``tiny_kit.params(work, **user_model.params)``.

* :func:`student_state_dict`: a student-style model file (the course's five blocks with other
  widths, Dropout, ``F.relu`` in ``forward``) trained briefly with ImageNet normalisation, saved as
  a state_dict;
* :func:`student_pickled`: a whole pickled model of the same class (``torch.save(model)``), made as
  a student does, from a module the report's kernel cannot import (it needs
  ``checkpoint_allow_pickle=True``);
* :func:`torchvision_resnet18`: a ``torchvision:resnet18`` state_dict with an 11-way ``fc``;
* :func:`torchvision_mobilenet_v3_small`: ``torchvision:mobilenet_v3_small`` (Hardswish) with a
  small head.
* :func:`torchvision_efficientnet_b0`: ``torchvision:efficientnet_b0`` (SiLU only: no rectifier).
"""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch

STUDENT_CLASS = "StudentNet"
# Five blocks like the course's model, other widths; nn.ReLU only in the classifier, F.relu in forward.
STUDENT_SOURCE = '''"""A student's Food-11 CNN: the course's five blocks with other widths, Dropout, F.relu in forward."""
import torch
import torch.nn.functional as F
from torch import nn


class StudentNet(nn.Module):
    def __init__(self, widths=(32, 64, 128, 256, 256), num_classes=11, input_size=128, dropout=0.3):
        super().__init__()
        channels = [3, *widths]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1) for a, b in zip(channels, channels[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm2d(b) for b in widths)
        self.drop = nn.Dropout(dropout)
        side = input_size // 2 ** len(widths)
        self.fc = nn.Sequential(nn.Linear(widths[-1] * side * side, 64), nn.ReLU(), nn.Dropout(dropout),
                                nn.Linear(64, num_classes))

    def forward(self, x):
        for conv, norm in zip(self.convs, self.norms):
            x = self.drop(F.max_pool2d(F.relu(norm(conv(x))), 2))
        return self.fc(torch.flatten(x, 1))
'''
# Tiny: 32 px input (five poolings to 1x1), narrow layers; the last conv's output is 2x2.
STUDENT_KWARGS = {"widths": [8, 16, 16, 32, 32], "num_classes": 3, "input_size": 32, "dropout": 0.2}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class UserModel:
    """Files of one user model and the report parameters that load it."""

    checkpoint: Path
    params: dict = field(default_factory=dict)
    model_file: Path | None = None


def write_student_file(folder: Path, name: str = "student_model.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(STUDENT_SOURCE, encoding="utf-8")
    return path


def import_student(path: Path, module_name: str = "student_model"):
    """The student's module, imported as ``import student_model`` would in their training script."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _train_briefly(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, steps: int = 30) -> None:
    """A few Adam steps on ImageNet-normalised images, so the weights expect that normalisation."""
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(model((images - mean) / std), labels).backward()
        optimiser.step()
    model.eval()


def _training_images(data_dir: Path | None, size: int) -> tuple[torch.Tensor, torch.Tensor] | None:
    if data_dir is None:
        return None
    from helpers.data.food11 import Food11Split

    split = Food11Split(Path(data_dir), "training", size, "squash")
    images, labels, _ = split.load_many(range(len(split)))
    return images, labels


def _student(folder: Path, data_dir: Path | None, seed: int) -> torch.nn.Module:
    module = import_student(write_student_file(folder))
    torch.manual_seed(seed)
    model = getattr(module, STUDENT_CLASS)(**STUDENT_KWARGS)
    batch = _training_images(data_dir, STUDENT_KWARGS["input_size"])
    if batch is not None:
        _train_briefly(model, *batch)
    return model.eval()


def student_state_dict(folder: Path, data_dir: Path | None = None, seed: int = 0) -> UserModel:
    """The student's file and a state_dict trained briefly on ``data_dir``'s training split (when
    given) with ImageNet normalisation."""
    model = _student(folder, data_dir, seed)
    checkpoint = folder / "student.pt"
    torch.save(model.state_dict(), checkpoint)
    sys.modules.pop("student_model", None)
    model_file = folder / "student_model.py"
    return UserModel(checkpoint, {"model_arch": f"{model_file}:{STUDENT_CLASS}", "checkpoint": str(checkpoint),
                                  "model_kwargs": dict(STUDENT_KWARGS), "normalize": "imagenet",
                                  "input_size": STUDENT_KWARGS["input_size"]}, model_file)


def student_pickled(folder: Path, data_dir: Path | None = None, seed: int = 0) -> UserModel:
    """A whole pickled StudentNet (``torch.save(model)``); its pickle names the module
    ``student_model``, which the report's kernel cannot import: the model file supplies the class."""
    model = _student(folder, data_dir, seed)
    checkpoint = folder / "student_whole.pt"
    torch.save(model, checkpoint)
    sys.modules.pop("student_model", None)  # as in a fresh kernel
    model_file = folder / "student_model.py"
    return UserModel(checkpoint, {"model_arch": f"{model_file}:{STUDENT_CLASS}", "checkpoint": str(checkpoint),
                                  "checkpoint_allow_pickle": True, "normalize": "imagenet",
                                  "input_size": STUDENT_KWARGS["input_size"]}, model_file)


def torchvision_model(folder: Path, name: str, num_classes: int, seed: int = 0, input_size: int = 64) -> UserModel:
    """A ``torchvision:<name>`` state_dict with a ``num_classes``-way head (random weights, seeded)."""
    import torchvision

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    checkpoint = folder / f"{name}.pt"
    torch.save(torchvision.models.get_model(name, weights=None, num_classes=num_classes).state_dict(), checkpoint)
    return UserModel(checkpoint, {"model_arch": f"torchvision:{name}", "checkpoint": str(checkpoint),
                                  "input_size": input_size})


def torchvision_resnet18(folder: Path, num_classes: int = 11, seed: int = 0, input_size: int = 64) -> UserModel:
    """``torchvision:resnet18`` with a ``num_classes``-way ``fc``."""
    return torchvision_model(folder, "resnet18", num_classes, seed, input_size)


def torchvision_mobilenet_v3_small(folder: Path, num_classes: int = 3, seed: int = 0,
                                   input_size: int = 64) -> UserModel:
    """``torchvision:mobilenet_v3_small`` (Hardswish activations) with a ``num_classes``-way head."""
    return torchvision_model(folder, "mobilenet_v3_small", num_classes, seed, input_size)


def torchvision_efficientnet_b0(folder: Path, num_classes: int = 3, seed: int = 0, input_size: int = 64) -> UserModel:
    """``torchvision:efficientnet_b0``: SiLU (and Sigmoid in its squeeze-excitation) only, no rectifier
    at all, so guided backprop's rule has nothing to act on (a 3-way head, random weights)."""
    return torchvision_model(folder, "efficientnet_b0", num_classes, seed, input_size)
