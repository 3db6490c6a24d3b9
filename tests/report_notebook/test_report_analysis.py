"""Numbers behind the answers: background proxy, saliency share on food, LIME share."""
from __future__ import annotations

import numpy as np
import torch

from helpers.report import analysis as A


def _image():
    x = torch.ones(1, 3, 8, 8)  # white background
    x[:, :, 2:6, 2:6] = torch.tensor([0.8, 0.3, 0.1]).view(1, 3, 1, 1)  # orange food, 16 of 64 pixels
    return x


def test_background_and_food_share():
    background = A.background_mask(_image())
    assert background.sum() == 48 and A.food_area(background)[0] == 0.25
    on_food = torch.zeros(1, 1, 8, 8)
    on_food[..., 3, 3] = 2.0
    assert A.food_share(on_food, background)[0] == 1.0
    even = torch.ones(1, 1, 8, 8)
    assert np.isclose(A.food_share(even, background)[0], 0.25)
    assert np.isnan(A.food_share(torch.zeros(1, 1, 8, 8), background)[0])


def test_lime_share_and_concentration():
    background = A.background_mask(_image())[0]
    segments = np.zeros((8, 8), dtype=int)
    segments[2:6, 2:6] = 1
    assert A.lime_positive_food_share(np.array([0.0, 0.5]), segments, background) == 1.0
    assert A.lime_positive_food_share(np.array([0.5, -1.0]), segments, background) == 0.0
    assert np.isnan(A.lime_positive_food_share(np.array([-1.0, -1.0]), segments, background))
    peaked = torch.zeros(1, 1, 10, 10)
    peaked[..., 0, 0] = 1
    assert A.concentration(peaked)[0] == 1.0
    assert np.isclose(A.concentration(torch.ones(1, 1, 10, 10))[0], 0.1)
    assert A.pct(0.4567) == "45.7%" and A.pct(float("nan")) == "n/a"
