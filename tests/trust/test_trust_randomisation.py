"""Cascading randomisation: changes the copy at every step, never the user's model."""
from __future__ import annotations

import io

import pytest
import torch

from helpers.explain import GradCAM, GuidedBackprop, Saliency, SmoothGrad
from helpers.trust import (cascade_layers, cascading_randomisation, checkpoint_steps, constant_maps, factory_from,
                           parameter_layers, randomised_copies, rebind)
from trust_testutils import make_small, small_images


def state_bytes(model: torch.nn.Module) -> dict[str, bytes]:
    out = {}
    for name, tensor in model.state_dict().items():
        buffer = io.BytesIO()
        torch.save(tensor.detach().clone(), buffer)
        out[name] = buffer.getvalue()
    return out


def test_layers_discovered_top_down_and_batchnorm_modes():
    model = make_small()
    assert [n for n, _ in parameter_layers(model)] == ["conv1", "bn1", "conv2", "fc"]
    assert cascade_layers(model) == ["fc", "conv2", "conv1"]
    assert cascade_layers(model, batchnorm="reset") == ["fc", "conv2", "bn1", "conv1"]
    with pytest.raises(ValueError, match="batchnorm"):
        cascade_layers(model, batchnorm="drop")


@pytest.mark.parametrize("batchnorm", ["skip", "reset"])
def test_every_step_changes_the_copy_and_never_the_original(batchnorm):
    model = make_small()
    before = state_bytes(model)
    flags = [p.requires_grad for p in model.parameters()]
    previous = {k: v.clone() for k, v in model.state_dict().items()}
    seen = []
    for position, name, copy in randomised_copies(model, batchnorm=batchnorm, seed=0):
        assert copy is not model
        now = copy.state_dict()
        changed = {k.rsplit(".", 1)[0] for k in now if not torch.equal(now[k], previous[k])}
        assert changed == {name}, (position, name, changed)  # exactly this layer changed at this step
        previous = {k: v.clone() for k, v in now.items()}
        seen.append(name)
    assert seen == cascade_layers(model, batchnorm)
    assert state_bytes(model) == before
    assert [p.requires_grad for p in model.parameters()] == flags


def test_reinitialisation_is_seeded_and_leaves_global_rng_alone():
    model = make_small()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = [c.state_dict()["fc.weight"].clone() for _, _, c in randomised_copies(model, seed=7)][-1]
    assert torch.equal(torch.rand(3), expected)
    second = [c.state_dict()["fc.weight"].clone() for _, _, c in randomised_copies(model, seed=7)][-1]
    third = [c.state_dict()["fc.weight"].clone() for _, _, c in randomised_copies(model, seed=8)][-1]
    assert torch.equal(first, second) and not torch.equal(first, third)


def test_gradient_similarity_drops_and_original_untouched():
    model, x = make_small(), small_images(4)
    before = state_bytes(model)
    result = cascading_randomisation(model, x, lambda m: Saliency(m), keep_maps=True)
    assert result.layers == ["original", "fc", "conv2", "conv1"]
    assert result.n_randomised == [0, 1, 2, 3]
    assert result.spearman.shape == result.ssim.shape == (4, 4)
    assert torch.all(result.spearman[0] == 1) and torch.all(result.ssim[0] == 1)
    rho, sim = result.final()
    assert rho.mean() < 0.5 and sim.mean() < 0.5
    assert len(result.rows()) == 4 * 4 and set(result.rows()[0]) == {"step", "layer", "n_randomised", "image",
                                                                      "spearman", "ssim", "constant"}
    assert state_bytes(model) == before
    # the original map is recomputed on the user's model: it must equal a fresh one
    torch.testing.assert_close(result.maps[0], Saliency(model).attribute(x, result.target))


def test_checkpoint_selection():
    cascade = ["fc", "b.2.c", "b.2.a", "b.1.c", "b.1.a", "stem"]
    assert checkpoint_steps(cascade) == [0, 1, 2, 3, 4, 5]
    assert checkpoint_steps(cascade, layers=["stem", "fc"]) == [0, 5]
    assert checkpoint_steps(cascade, group_depth=2) == [0, 2, 4, 5]
    assert checkpoint_steps(cascade, max_steps=1) == [5]
    assert checkpoint_steps(cascade, max_steps=3) == [0, 2, 5]
    with pytest.raises(ValueError, match="not in the cascade"):
        checkpoint_steps(cascade, layers=["nope"])


def test_max_steps_one_measures_full_randomisation_only():
    model, x = make_small(), small_images(2)
    result = cascading_randomisation(model, x, lambda m: Saliency(m), max_steps=1)
    assert result.layers == ["original", "conv1"] and result.n_randomised == [0, 3]


def test_rebind_points_explainers_at_the_copy():
    model = make_small()
    copy = make_small(seed=5)
    cam = rebind(GradCAM(model, "conv2"), model, copy)
    assert cam.model is copy and cam.layer is copy.conv2
    sg = rebind(SmoothGrad(GuidedBackprop(model), n_samples=2), model, copy)
    assert sg.model is copy and sg.explainer.model is copy
    with pytest.raises(TypeError, match="factory"):
        rebind(lambda x, t: x, model, copy)
    x = small_images(2)
    factory = factory_from(GradCAM(model, "conv2"), model)
    torch.testing.assert_close(factory(copy).attribute(x, 0), GradCAM(copy, "conv2").attribute(x, 0))


def test_classic_model_cascade_reaches_first_conv():
    from helpers.models.classic import Food11CNN

    cascade = cascade_layers(Food11CNN())
    assert cascade[0] == "fc.4" and cascade[-1] == "cnn.0" and len(cascade) == 8


def _constant_after_randomisation(model: torch.nn.Module, constant_images: slice):
    """A factory: Saliency on ``model``; on any other (randomised) model, Saliency with the maps
    of ``constant_images`` replaced by zeros (as Grad-CAM gives when ReLU removes everything)."""
    def factory(m):
        saliency = Saliency(m)
        if m is model:
            return saliency

        def method(inputs, target):
            maps = saliency.attribute(inputs, target).clone()
            maps[constant_images] = 0.0
            return maps
        return method
    return factory


def test_constant_maps_are_counted_per_step_not_dropped():
    model, x = make_small(), small_images(4)
    result = cascading_randomisation(model, x, _constant_after_randomisation(model, slice(0, 1)))
    assert result.layers == ["original", "fc", "conv2", "conv1"]
    assert result.n_constant == [0, 1, 1, 1]
    assert torch.isnan(result.spearman[1:, 0]).all() and torch.isfinite(result.spearman[:, 1:]).all()
    assert result.constant[1:, 0].all() and not result.constant[:, 1:].any()
    assert torch.isfinite(result.ssim).all()  # SSIM stays defined for a constant map
    summary = result.summary()
    assert [row["n_randomised"] for row in summary] == [0, 1, 2, 3]  # every measured point, full randomisation last
    assert summary[0]["spearman_mean"] == 1.0 and summary[0]["n_constant"] == 0
    last = summary[-1]
    assert last["n_constant"] == 1 and last["spearman_n"] == 3 and last["n_images"] == 4
    assert last["spearman_mean"] == pytest.approx(float(result.spearman[-1, 1:].mean()))
    assert [r["constant"] for r in result.rows() if r["step"] == 3] == [True, False, False, False]


def test_every_map_constant_keeps_the_step_with_an_undefined_mean():
    model, x = make_small(), small_images(3)
    result = cascading_randomisation(model, x, _constant_after_randomisation(model, slice(None)), max_steps=2)
    summary = result.summary()
    assert len(summary) == 3 and result.n_constant == [0, 3, 3]
    assert summary[-1]["spearman_n"] == 0 and summary[-1]["spearman_mean"] != summary[-1]["spearman_mean"]  # NaN


def test_constant_original_map_is_counted_at_step_zero():
    model, x = make_small(), small_images(2)
    zeros = lambda m: (lambda inputs, target: torch.zeros_like(inputs))  # noqa: E731
    result = cascading_randomisation(model, x, zeros, max_steps=1)
    assert result.n_constant == [2, 2] and torch.isnan(result.spearman).all()
    assert constant_maps(torch.zeros(2, 3, 4, 4)).tolist() == [True, True]
    assert constant_maps(torch.eye(4).expand(1, 1, 4, 4)).tolist() == [False]


def test_resolved_targets_and_given_maps_cost_no_pass_on_the_original_model():
    class Counting(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner, self.calls = make_small(), 0

        def forward(self, x):
            self.calls += 1
            return self.inner(x)

    model, x = Counting(), small_images(2)
    target = torch.tensor([1, 3])
    maps = Saliency(model).attribute(x, target)
    model.calls = 0
    result = cascading_randomisation(model, x, lambda m: Saliency(m), target, max_steps=1, original_maps=maps)
    assert model.calls == 0 and result.target.tolist() == [1, 3]
    cascading_randomisation(model, x, lambda m: Saliency(m), None, max_steps=1, original_maps=maps)
    assert model.calls == 1  # target None: the original model's prediction is needed


def test_maps_in_batches_equal_maps_in_one_call():
    from helpers.explain import Saliency
    from helpers.trust import cascading_randomisation, factory_from
    from trust_testutils import make_small, small_images

    model, x = make_small(), small_images(5)
    factory = factory_from(Saliency(model), model)
    whole = cascading_randomisation(model, x, factory, max_steps=2, keep_maps=True)
    batched = cascading_randomisation(model, x, factory, max_steps=2, keep_maps=True, batch_size=2)
    # Equal up to float rounding: another batch size can take another convolution algorithm, and on
    # random weights that rounding can flip a near-tie ReLU or max-pool decision at a few pixels.
    for a, b in zip(whole.maps, batched.maps):
        assert (~torch.isclose(a, b, atol=1e-6)).float().mean() < 0.01
    assert torch.allclose(whole.spearman, batched.spearman, atol=1e-2, equal_nan=True)
    assert whole.spearman.shape == batched.spearman.shape == (3, 5)
