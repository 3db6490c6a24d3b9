"""Tiny inputs for the plotting tests: images, smooth maps and LIME results built in memory."""
from __future__ import annotations

import numpy as np
import torch

from helpers.explain.lime_explainer import LimeResult

CLASSES = ["Bread", "Dairy product", "Dessert", "Egg", "Fried food", "Meat", "Noodles/Pasta", "Rice", "Seafood",
           "Soup", "Vegetable/Fruit"]


def images(n: int, size: int = 16, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def titles(n: int) -> list[str]:
    """Titles like the report's: id, true and predicted class (long names included)."""
    return [f"{k}_{3 * k}\ntrue: {CLASSES[k % 11]}\npred: {CLASSES[(7 * k) % 11]}" for k in range(n)]


def lime_results(n: int, size: int = 16, num_classes: int = 4, seed: int = 0) -> list[LimeResult]:
    """LIME results on a 4x4 grid of square superpixels with random weights (no model needed)."""
    rng = np.random.default_rng(seed)
    cells = size // 4
    segments = (np.arange(size)[:, None] // cells) * 4 + np.arange(size)[None, :] // cells
    out = []
    for _ in range(n):
        weights = rng.normal(size=(num_classes, 16))
        out.append(LimeResult(image=rng.random((size, size, 3)), segments=segments,
                              probabilities=rng.dirichlet(np.ones(num_classes)), predicted=0, weights=weights,
                              intercept=np.zeros(num_classes), score=rng.random(num_classes),
                              local_pred=np.zeros(num_classes)))
    return out
