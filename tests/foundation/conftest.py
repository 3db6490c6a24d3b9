"""Fixtures for the data/model tests: tiny image folders in the Food-11 layout, made on the fly."""
from __future__ import annotations

from pathlib import Path

import pytest

from foundation_fixtures import write_image


@pytest.fixture
def food11_dir(tmp_path: Path) -> Path:
    """Two classes (reddish 0, bluish 1), four images each per split, Food-11 names."""
    root = tmp_path / "food11"
    colors = {0: (200, 40, 40), 1: (40, 40, 200)}
    for split in ("training", "validation", "evaluation"):
        for label, color in colors.items():
            for n in range(4):
                write_image(root / split / f"{label}_{n}.jpg", color, seed=n + 10 * label)
    return root
