"""Activation maps and activation maximisation."""
from __future__ import annotations

import pytest
import torch

from explain_testutils import all_hooks, make_tiny
from helpers.explain import ActivationMaximization, activation_maps, mean_activation_by_class


def test_activation_maps_shape_values_and_ranking(tiny):
    x = torch.rand(5, 3, 16, 16)
    result = activation_maps(tiny, "conv2", x, filter_index=3, batch_size=2)
    assert result.maps.shape == (5, 16, 16) and result.layer == "conv2"
    with torch.no_grad():
        expected = tiny.conv2(tiny.act1(tiny.bn1(tiny.conv1(x))))[:, 3]
    torch.testing.assert_close(result.maps, expected)
    torch.testing.assert_close(result.mean, expected.mean(dim=(1, 2)))
    ranking = mean_activation_by_class(result.mean, [0, 1, 0, 1, 2])
    assert set(ranking) == {0, 1, 2} and list(ranking.values()) == sorted(ranking.values(), reverse=True)
    assert all_hooks(tiny) == 0


def test_activation_maps_errors_list_valid_names(tiny):
    with pytest.raises(IndexError, match="0..7"):
        activation_maps(tiny, "conv2", torch.rand(1, 3, 16, 16), filter_index=8)
    with pytest.raises(KeyError, match=r"conv1 \(conv1, 8 filters\)"):
        activation_maps(tiny, "nope", torch.rand(1, 3, 16, 16), filter_index=0)


@pytest.mark.parametrize("regularize", [False, True])
def test_gradient_ascent_increases_activation_for_a_batch_of_filters(regularize):
    model = make_tiny().train()
    result = ActivationMaximization(model, "conv2", steps=30, regularize=regularize, image_size=16, jitter=1,
                                    upscale=1, seed=0).run([0, 3, 5])
    assert result.images.shape == (3, 3, 16, 16)
    assert result.images.min() >= 0 and result.images.max() <= 1
    assert result.history.shape == (30, 3)
    assert (result.final_activation > result.initial_activation).all()
    assert result.filter_indices == [0, 3, 5]
    assert model.training and all_hooks(model) == 0
    assert all(p.requires_grad for p in model.parameters())


def test_gradient_ascent_is_seeded_and_starts_from_image():
    model = make_tiny()
    a = ActivationMaximization(model, "conv1", steps=5, image_size=16, seed=1).run(2)
    b = ActivationMaximization(model, "conv1", steps=5, image_size=16, seed=1).run(2)
    assert torch.equal(a.images, b.images) and a.images.shape == (1, 3, 16, 16)
    start = torch.rand(3, 16, 16)
    c = ActivationMaximization(model, "conv1", steps=1, lr=1e-4, image_size=16).run([1, 2], init=start)
    assert c.images.shape == (2, 3, 16, 16) and (c.images - start).abs().max() < 1e-2


def test_gradient_ascent_range_checks_filters(tiny):
    with pytest.raises(IndexError, match="8 filters"):
        ActivationMaximization(tiny, "conv1", steps=1, image_size=16).run([0, 8])
    with pytest.raises(ValueError, match="no filters"):
        ActivationMaximization(tiny, "bn1", steps=1, image_size=16).run(0)


def test_classic_model_filter_ascent(classic):
    result = ActivationMaximization(classic, "conv1", steps=5, image_size=32, seed=0).run([0, 1])
    assert (result.final_activation > result.initial_activation).all()
