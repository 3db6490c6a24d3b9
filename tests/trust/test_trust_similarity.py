"""Spearman and SSIM on maps with known answers."""
from __future__ import annotations

import math

import pytest
import torch

from helpers.trust import spearman, ssim


@pytest.fixture
def maps() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    smooth = torch.nn.functional.avg_pool2d(torch.rand(3, 1, 36, 36, generator=g), 5, 1)  # spatial structure
    return smooth


def test_identical_maps_give_one(maps):
    assert torch.allclose(spearman(maps, maps.clone()), torch.ones(3, dtype=torch.float64))
    assert torch.allclose(ssim(maps, maps.clone()), torch.ones(3, dtype=torch.float64))
    three = maps.expand(3, 3, 32, 32)  # channels are reduced as |map| summed
    assert torch.allclose(spearman(three, maps), torch.ones(3, dtype=torch.float64))


def test_negation_and_shuffle_give_low_values(maps):
    neg = -maps
    assert torch.allclose(spearman(maps, neg, absolute=False), -torch.ones(3, dtype=torch.float64))
    assert (ssim(maps, neg, absolute=False) < 0.0).all()
    # |map| is what Adebayo compare: a sign flip alone does not change it
    assert torch.allclose(spearman(maps, neg), torch.ones(3, dtype=torch.float64))
    perm = torch.randperm(32 * 32, generator=torch.Generator().manual_seed(1))
    shuffled = maps.reshape(3, 1, -1)[:, :, perm].reshape(maps.shape)
    assert (spearman(maps, shuffled).abs() < 0.15).all()
    assert (ssim(maps, shuffled).abs() < 0.15).all()


def test_monotone_transform_keeps_rank_correlation(maps):
    assert torch.allclose(spearman(maps, maps ** 3 + 2), torch.ones(3, dtype=torch.float64))


def test_constant_map_gives_nan_spearman_not_a_number_made_up():
    a = torch.rand(1, 1, 8, 8)
    rho = spearman(a, torch.zeros(1, 1, 8, 8))
    assert math.isnan(rho.item())
    assert ssim(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8)).item() == pytest.approx(1.0)


def test_small_maps_and_shape_errors():
    a = torch.rand(2, 1, 5, 5)
    assert ssim(a, a).shape == (2,)
    with pytest.raises(ValueError):
        spearman(a, torch.rand(2, 1, 6, 6))
    with pytest.raises(ValueError, match="too small"):
        ssim(torch.rand(1, 1, 2, 2), torch.rand(1, 1, 2, 2))


def test_spearman_rows_equals_scipy_row_by_row_with_ties_and_nan_for_constant_rows():
    import numpy as np
    from scipy.stats import spearmanr

    from helpers.trust import spearman_rows

    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, size=(4, 200)).astype(float)  # many ties, as in maps with zeros
    y = x + rng.normal(size=(4, 200))
    y[3] = 7.0  # constant: no ranking
    got = spearman_rows(x, y)
    assert np.allclose(got[:3], [spearmanr(x[i], y[i]).statistic for i in range(3)], rtol=1e-12)
    assert math.isnan(got[3])
    with pytest.raises(ValueError, match="same shape"):
        spearman_rows(x, y[:, :10])
