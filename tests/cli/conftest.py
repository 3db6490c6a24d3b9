"""Fixtures of the command's tests: demo photos, a tiny classic checkpoint (32 px, 3 classes), and
``cli(...)``, which runs ``python -m helpers.explain`` in-process and returns its exit status and
output (a few tests run it as a real process, marked slow)."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from helpers.explain.__main__ import main


@pytest.fixture(scope="session")
def demo_photos() -> list[Path]:
    """Two real photos of the demo evaluation split (different classes)."""
    from helpers.data.default_dataset import DemoDataMissingError, default_data_dir

    try:
        folder = default_data_dir() / "evaluation"
    except DemoDataMissingError as error:
        if os.environ.get("CI"):
            pytest.fail(str(error))
        pytest.skip(str(error))
    photos = sorted(folder.glob("*.jp*g"))
    return [next(p for p in photos if p.name.startswith("0_")), next(p for p in photos if p.name.startswith("4_"))]


@pytest.fixture(scope="session")
def classic_checkpoint(tmp_path_factory) -> Path:
    """A student's classic checkpoint in miniature: 3 classes, 32 px input, seeded weights."""
    from helpers.models.classic import Food11CNN

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("checkpoint") / "classic.pth"
    torch.save(Food11CNN(3, input_size=32).state_dict(), path)
    return path


@pytest.fixture
def cli(capsys) -> Callable[..., SimpleNamespace]:
    """``cli(*args)``: the command's exit status and its stdout/stderr."""
    def run(*args: object) -> SimpleNamespace:
        status = main([str(a) for a in args])
        captured = capsys.readouterr()
        return SimpleNamespace(status=status, out=captured.out, err=captured.err)
    return run
