"""Builders of small images for the data/model tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def write_image(path: Path, color: tuple[int, int, int], size: int = 20, seed: int = 0) -> Path:
    """A small RGB JPEG: a flat colour with a little seeded noise (so it is not constant)."""
    rng = np.random.default_rng(seed)
    array = np.clip(np.array(color)[None, None, :] + rng.integers(-10, 10, (size, size, 3)), 0, 255)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array.astype(np.uint8)).save(path)
    return path
