"""A constructed case where the right map is known: the class score of ``RegionModel`` depends only
on the pixels of one known square, so the square's indicator is faithful by construction. At the
report's default ``n_measure`` it must beat the random map on deletion and on insertion, as the
report decides it (paired differences, 95 % t interval); on a model with random weights the same
map is just a square of pixels and must not. Also: "images needed" of an undecided comparison is
always above the n measured, and the detectable difference printed for a fixed n is what a
simulation of the paired t interval gives."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from helpers.report.params import notebook_parameters
from helpers.trust import compare, detectable_difference, evaluate_methods

SIZE, TOP, LEFT, SIDE = 24, 6, 10, 8   # the square the class depends on


class RegionModel(nn.Module):
    """Two classes; logit_1 = -logit_0 = a fixed linear function of the square's pixels only."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        weights = torch.randn(3, SIDE, SIDE, generator=torch.Generator().manual_seed(seed))
        self.register_buffer("weights", weights / weights.norm() * 12.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        region = x[:, :, TOP:TOP + SIDE, LEFT:LEFT + SIDE] - 0.5
        score = (region * self.weights).sum(dim=(1, 2, 3))
        return torch.stack([-score, score], dim=1)


def random_cnn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2)).eval()


def images(n: int, seed: int = 1) -> torch.Tensor:
    # the square looks like the rest of the image: only the model makes it special
    return torch.rand(n, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(seed))


def square_map(n: int) -> torch.Tensor:
    maps = torch.zeros(n, 1, SIZE, SIZE)
    maps[:, :, TOP:TOP + SIDE, LEFT:LEFT + SIDE] = 1.0
    return maps


def verdicts(model: nn.Module, n: int) -> dict[str, str]:
    defaults = notebook_parameters()
    evaluation = evaluate_methods(model, images(n), None, maps={"square": square_map(n)},
                                  n_steps=defaults["trust_steps"], substrate=defaults["trust_substrate"],
                                  batch_size=64, seed=0, randomisation=False)
    return {metric: evaluation.paired(metric)["square"].verdict for metric in ("deletion", "insertion")}


def test_the_faithful_map_beats_the_random_map_at_the_default_n_measure():
    n = notebook_parameters()["n_measure"]
    assert n >= 50
    assert verdicts(RegionModel(), n) == {"deletion": "better", "insertion": "better"}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_on_a_random_model_the_same_map_does_not_beat_it(seed):
    n = notebook_parameters()["n_measure"]
    found = verdicts(random_cnn(seed), n)
    assert found != {"deletion": "better", "insertion": "better"}, found


def test_images_needed_of_an_undecided_comparison_is_above_the_n_measured():
    rng = np.random.default_rng(0)
    undecided = 0
    for _ in range(300):
        n = int(rng.integers(3, 60))
        a, b = rng.normal(0.1 * rng.random(), 1.0, n), rng.normal(0.0, 1.0, n)
        result = compare(a, b, higher_is_better=True, name="a", baseline="b")
        if result.verdict == "inconclusive":
            undecided += 1
            assert result.images_needed is None or result.images_needed > result.n, result
    assert undecided > 100  # the property was exercised


@pytest.mark.parametrize("n", [10, 50])
def test_detectable_difference_is_what_a_simulated_t_interval_detects_with_80_percent(n):
    from scipy import stats

    delta = detectable_difference(n)
    rng = np.random.default_rng(0)
    samples = rng.normal(delta, 1.0, size=(20_000, n))
    t = samples.mean(1) / (samples.std(1, ddof=1) / np.sqrt(n))
    power = float(np.mean(np.abs(t) > stats.t.ppf(0.975, n - 1)))
    assert power == pytest.approx(0.80, abs=0.015)
    assert detectable_difference(50) < detectable_difference(10)
