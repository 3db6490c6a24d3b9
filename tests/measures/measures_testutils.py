"""Photos composed for the region-split tests: food on busy or plain backdrops, with the true
food mask known. Images are (3, H, W) float arrays in [0, 1]."""
from __future__ import annotations

import numpy as np


def checkered_cloth(height: int, width: int, check: int = 16, seed: int = 0) -> np.ndarray:
    """A red/white checkered tablecloth with a little weave noise and a soft light gradient."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:height, :width]
    red = ((yy // check + xx // check) % 2).astype(bool)
    cloth = np.where(red[None], np.array([0.78, 0.10, 0.12])[:, None, None], np.array([0.95, 0.93, 0.90])[:, None, None])
    shade = 0.85 + 0.15 * (xx / max(width - 1, 1))[None]
    return np.clip(cloth * shade + rng.normal(0, 0.03, cloth.shape), 0, 1)


def wooden_table(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A brown wood-grain texture: wavy stripes of varying darkness plus noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:height, :width] / max(height, width)
    grain = np.sin(2 * np.pi * (18 * yy + 1.5 * np.sin(2 * np.pi * 2 * xx)) + rng.normal(0, 0.3, (height, width)))
    value = 0.55 + 0.15 * grain
    brown = np.array([0.62, 0.40, 0.22])[:, None, None]
    return np.clip(brown * value[None] / 0.55 + rng.normal(0, 0.02, (3, height, width)), 0, 1)


def plate_on_table(height: int, width: int, plate_rgb: tuple[float, float, float] = (0.15, 0.55, 0.6),
                   radius: float = 0.46, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A coloured plate (disk) on a wooden table; returns (image, plate mask)."""
    yy, xx = np.mgrid[:height, :width]
    plate = (yy - height / 2) ** 2 + (xx - width / 2) ** 2 <= (radius * min(height, width)) ** 2
    table = wooden_table(height, width, seed)
    return np.where(plate[None], np.array(plate_rgb)[:, None, None], table), plate


def paste(food: np.ndarray, food_mask: np.ndarray, backdrop: np.ndarray) -> np.ndarray:
    """Food pixels over a backdrop of the same size."""
    return np.where(food_mask[None], food, backdrop)


def synthetic_food(height: int, width: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A textured orange-brown blob (an ellipse covering ~30 % of the image); returns (rgb, mask)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:height, :width]
    mask = ((yy - height / 2) / (0.32 * height)) ** 2 + ((xx - width / 2) / (0.3 * width)) ** 2 <= 1
    base = np.array([0.80, 0.45, 0.15])[:, None, None] * (0.8 + 0.2 * np.sin(xx / 3.0))[None]
    return np.clip(base + rng.normal(0, 0.05, (3, height, width)), 0, 1), mask


def white_plate_photo(height: int = 96, width: int = 96, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic studio photo: food on a near-white backdrop with slight shading; (image, food mask)."""
    rng = np.random.default_rng(seed)
    food, mask = synthetic_food(height, width, seed)
    xx = np.mgrid[:height, :width][1]
    white = 0.97 - 0.04 * (xx / max(width - 1, 1))[None] + rng.normal(0, 0.01, (3, height, width))
    return paste(food, mask, np.clip(np.broadcast_to(white, (3, height, width)), 0, 1)), mask
