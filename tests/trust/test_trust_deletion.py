"""Deletion / insertion on a model whose output depends only on the top-left quadrant."""
from __future__ import annotations

import pytest
import torch

from helpers.trust import (centre_prior_map, curve_endpoints, deletion_insertion, gaussian_blur, make_substrate,
                           normalised_area, random_map, rank_pixels)
from trust_testutils import RegionModel, make_small, quadrant_map, region_images, small_images

N, SIZE = 6, 32


@pytest.fixture(scope="module")
def setup():
    return RegionModel(), region_images(N, SIZE)


@pytest.mark.parametrize("substrate", ["zero", "blur", "mean"])
def test_map_on_region_beats_random_and_map_elsewhere_does_not(setup, substrate):
    model, x = setup
    run = lambda maps: deletion_insertion(model, x, maps, n_steps=16, substrate=substrate)  # noqa: E731
    right, wrong, rand = run(quadrant_map(N, SIZE, "top_left")), run(quadrant_map(N, SIZE, "bottom_right")), \
        run(random_map(x))
    # deletion: lower is better; insertion: higher is better; better on every image, and clearly
    # on average: at most half random's deletion area (random deletion to black is already fast
    # here), at least 0.1 more insertion area (areas are in [0, 1])
    assert (right.deletion_area < rand.deletion_area).all()
    assert (right.insertion_area > rand.insertion_area).all()
    assert right.deletion_area.mean() < 0.5 * rand.deletion_area.mean()
    assert (right.insertion_area - rand.insertion_area).mean() > 0.1
    assert (wrong.deletion_area > rand.deletion_area).all()
    assert (wrong.insertion_area < rand.insertion_area).all()


def test_curve_shape_endpoints_and_target(setup):
    model, x = setup
    res = deletion_insertion(model, x, random_map(x), n_steps=10, substrate="zero")
    assert res.deletion.shape == res.insertion.shape == (N, 11)
    assert torch.equal(res.fractions, torch.linspace(0, 1, 11))
    assert (res.target == 0).all()
    full = torch.softmax(model(x), 1)[:, 0]
    blurred = torch.softmax(model(gaussian_blur(x, 5.0)), 1)[:, 0]
    zero = torch.softmax(model(torch.zeros_like(x)), 1)[:, 0]
    torch.testing.assert_close(res.deletion[:, 0], full.detach(), atol=1e-6, rtol=0)
    torch.testing.assert_close(res.deletion[:, -1], zero.detach(), atol=1e-6, rtol=0)
    torch.testing.assert_close(res.insertion[:, 0], blurred.detach(), atol=1e-6, rtol=0)
    torch.testing.assert_close(res.insertion[:, -1], full.detach(), atol=1e-6, rtol=0)
    # a given target is recorded instead of the prediction: class 1 probability = 1 - class 0
    other = deletion_insertion(model, x, random_map(x), target=1, n_steps=10, substrate="zero")
    torch.testing.assert_close(other.deletion, 1 - res.deletion, atol=1e-6, rtol=0)


def test_batch_size_does_not_change_curves(setup):
    model, x = setup
    maps = random_map(x, seed=3)
    one = deletion_insertion(model, x, maps, n_steps=8, batch_size=1, substrate="blur")
    many = deletion_insertion(model, x, maps, n_steps=8, batch_size=16, substrate="blur")
    torch.testing.assert_close(one.deletion, many.deletion, atol=1e-6, rtol=0)
    torch.testing.assert_close(one.insertion, many.insertion, atol=1e-6, rtol=0)


def test_model_mode_restored_and_only_asked_curves(setup):
    model, x = setup
    model.train()
    try:
        res = deletion_insertion(model, x[:2], random_map(x[:2]), n_steps=4, curves=("deletion",))
        assert model.training and res.insertion is None and res.insertion_area is None
    finally:
        model.eval()


def test_normalised_area_is_the_trapezoid_rule():
    assert normalised_area(torch.ones(5)).item() == pytest.approx(1.0)
    assert normalised_area(torch.linspace(0, 1, 11)).item() == pytest.approx(0.5)
    assert normalised_area(torch.tensor([1.0, 0.0])).item() == pytest.approx(0.5)


def test_ties_broken_by_a_seeded_permutation_not_raster_order():
    flat = torch.zeros(2, 8, 8)
    a, b, c = rank_pixels(flat, seed=0), rank_pixels(flat, seed=0), rank_pixels(flat, seed=1)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert not torch.equal(a[0], torch.arange(64))  # not top rows first
    assert sorted(a[0].tolist()) == list(range(64))
    ramp = torch.arange(64.0).reshape(1, 8, 8)
    assert torch.equal(rank_pixels(ramp)[0], torch.arange(63, -1, -1))


def test_baselines_and_substrates():
    x = torch.rand(3, 3, 20, 30, generator=torch.Generator().manual_seed(0))
    r1, r2 = random_map(x, seed=5), random_map(x[:1], seed=5)
    assert torch.equal(r1[:1], r2)  # an image's random map does not depend on the others
    prior = centre_prior_map(x)
    assert prior.shape == (3, 1, 20, 30)
    assert prior[0, 0, 9:11, 14:16].min() > prior[0, 0, 0, 0] * 10
    assert make_substrate(x, "zero").abs().sum() == 0
    torch.testing.assert_close(make_substrate(x, "mean")[:, :, 0, 0], x.mean(dim=(2, 3)))
    const = torch.full((1, 3, 8, 8), 0.3)  # blur keeps a constant image (replicate padding)
    torch.testing.assert_close(gaussian_blur(const, 5.0), const)
    with pytest.raises(ValueError, match="substrate"):
        deletion_insertion(RegionModel(), x[:, :, :20, :20], random_map(x[:, :, :20, :20]), substrate="noise")


def test_coarse_maps_are_upsampled(setup):
    """A 2x2 map (like a raw Grad-CAM) with its top-left cell on ranks the whole quadrant first."""
    model, x = setup
    coarse = torch.zeros(N, 1, 2, 2)
    coarse[:, 0, 0, 0] = 1.0
    res = deletion_insertion(model, x, coarse, n_steps=16)
    rand = deletion_insertion(model, x, random_map(x), n_steps=16)
    assert (res.deletion_area < rand.deletion_area - 0.05).all()


class CountingModel(torch.nn.Module):
    """Wraps a model and counts the images it is run on."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model, self.images_seen = model, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.images_seen += x.shape[0]
        return self.model(x)


def test_endpoints_are_shared_between_maps_and_cost_nothing_twice(setup):
    model, x = setup
    counting = CountingModel(model)
    steps = 8
    ends = curve_endpoints(counting, x, substrate="blur")
    assert counting.images_seen == 3 * N  # original, substrate, blurred: once per image
    torch.testing.assert_close(ends.original, torch.softmax(model(x), 1)[:, 0].detach())
    maps = {"right": quadrant_map(N, SIZE, "top_left"), "random": random_map(x)}
    for name, m in maps.items():
        before = counting.images_seen
        shared = deletion_insertion(counting, x, m, n_steps=steps, substrate="blur", endpoints=ends)
        assert counting.images_seen - before == 2 * (steps - 1) * N  # only the map-dependent steps
        alone = deletion_insertion(model, x, m, n_steps=steps, substrate="blur")
        torch.testing.assert_close(shared.deletion, alone.deletion, atol=1e-6, rtol=0)
        torch.testing.assert_close(shared.insertion, alone.insertion, atol=1e-6, rtol=0)
    one_step = deletion_insertion(counting, x, maps["right"], n_steps=1, substrate="blur", endpoints=ends)
    torch.testing.assert_close(one_step.deletion[:, 0], ends.original)
    with pytest.raises(ValueError, match="endpoints were made for"):
        deletion_insertion(model, x, maps["right"], substrate="zero", endpoints=ends)


def test_channels_last_gives_the_same_curves_and_restores_the_weights():
    model, x = make_small(), small_images(3)
    strides = [p.stride() for p in model.parameters()]
    maps = random_map(x, seed=2)
    plain = deletion_insertion(model, x, maps, n_steps=6, substrate="mean")
    fast = deletion_insertion(model, x, maps, n_steps=6, substrate="mean", channels_last=True)
    torch.testing.assert_close(plain.deletion, fast.deletion, atol=1e-5, rtol=0)
    torch.testing.assert_close(plain.insertion, fast.insertion, atol=1e-5, rtol=0)
    assert [p.stride() for p in model.parameters()] == strides
