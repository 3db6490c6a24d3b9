"""SmoothGrad's shared passes: SmoothGrad(Saliency) and SmoothGrad(GuidedBackprop) of one
SharedPasses group with the same settings get both maps from one forward pass per noisy batch,
bit-identical to separate calls; anything that could change the partner's answer makes it compute
on its own, and without a group nothing is shared. Also: passes are filled across images, and an
image's map does not depend on the other images."""
from __future__ import annotations

import gc

import pytest
import torch
from torch import nn

from explain_testutils import make_tiny
from helpers.explain import Deconvnet, GuidedBackprop, IntegratedGradients, Saliency, SharedPasses, SmoothGrad

KW = dict(n_samples=6, batch_size=4, seed=0)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny passes: one thread is 10-100x faster than two on a loaded 2-core machine (no waiting
    for a second core); restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class PassCounter(nn.Module):
    """Wraps a model; counts forward passes (with their batch sizes) and backward passes through
    the logits."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.sizes: list[int] = []
        self.backwards = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.sizes.append(x.shape[0])
        logits = self.model(x)
        if logits.requires_grad:
            logits.register_hook(self._count)
        return logits

    def _count(self, grad: torch.Tensor) -> None:
        self.backwards += 1


def sg_saliency(model, reduction="max_abs", **kw):
    return SmoothGrad(Saliency(model, reduction=reduction), **{**KW, **kw})


def sg_guided(model, reduction="max_abs", **kw):
    return SmoothGrad(GuidedBackprop(model, reduction=reduction), **{**KW, **kw})


def reference(factory, model, x, target, **kw):
    return factory(model, **kw).attribute(x, target)  # no group: the call computes alone


@pytest.mark.parametrize("variant", ["mean", "variance"])
@pytest.mark.parametrize("first", ["saliency", "guided"])
def test_pair_equals_separate_calls_to_the_last_bit(first, variant):
    model, x = make_tiny(), torch.rand(3, 3, 16, 16)
    alone_s = reference(sg_saliency, model, x, 2, variant=variant)
    alone_g = reference(sg_guided, model, x, 2, variant=variant)
    group = SharedPasses()
    s, g = sg_saliency(model, variant=variant, share_passes=group), sg_guided(model, variant=variant, share_passes=group)
    if first == "saliency":
        got_s, got_g = s.attribute(x, 2), g.attribute(x, 2)
    else:
        got_g, got_s = g.attribute(x, 2), s.attribute(x, 2)
    assert torch.equal(got_s, alone_s) and torch.equal(got_g, alone_g)
    assert not torch.equal(got_s, got_g)  # two different rules, not one map twice
    assert not group.handed_over  # handed over once, then gone


def test_partner_call_runs_no_pass_and_the_pair_one_forward_per_batch():
    model, x, group = PassCounter(make_tiny()), torch.rand(3, 3, 16, 16), SharedPasses()
    s, g = sg_saliency(model, reduction="abs", share_passes=group), sg_guided(model, reduction="none", share_passes=group)
    s.attribute(x, 1)
    batches = -(-3 * KW["n_samples"] // KW["batch_size"])
    assert len(model.sizes) == 1 + batches  # target check on the clean images, then the noisy passes
    assert model.backwards == 2 * batches  # plain and guided gradient from each forward pass
    model.sizes.clear()
    g.attribute(x, 1)
    assert model.sizes == []
    assert not group.handed_over  # handed over once, then gone


def test_alone_it_runs_one_backward_per_pass():
    model, x = PassCounter(make_tiny()), torch.rand(2, 3, 16, 16)
    sg_guided(model, share_passes=SharedPasses()).attribute(x, 0)
    assert model.backwards == len(model.sizes) - 1


def test_without_a_group_nothing_is_shared():
    model, x = PassCounter(make_tiny()), torch.rand(2, 3, 16, 16)
    s, g = sg_saliency(model), sg_guided(model)  # a matching pair, but not in a group
    s.attribute(x, 0)
    model.sizes.clear()
    g.attribute(x, 0)
    assert model.sizes  # computed on its own


def test_share_passes_must_be_a_group():
    with pytest.raises(TypeError, match="SharedPasses"):
        sg_guided(make_tiny(), share_passes=True)


def _changes():
    def weights(model, s, g):
        with torch.no_grad():
            model.conv1.weight.mul_(1.5)

    def replaced_weights(model, s, g):
        model.fc.weight = nn.Parameter(model.fc.weight.detach() * 2)

    def a_hook(model, s, g):
        model.act1.register_forward_hook(lambda m, a, out: out * 2)

    def settings(model, s, g):
        g.sigma = 0.3

    def inner_settings(model, s, g):
        g.explainer.reduction = "none"

    return {"weights": weights, "replaced_weights": replaced_weights, "a_hook": a_hook, "settings": settings,
            "inner_settings": inner_settings}


@pytest.mark.parametrize("change", list(_changes()))
def test_a_change_between_the_calls_makes_the_partner_compute(change):
    model, x, group = make_tiny(), torch.rand(2, 3, 16, 16), SharedPasses()
    s, g = sg_saliency(model, share_passes=group), sg_guided(model, share_passes=group)
    s.attribute(x, 1)
    stale = group.handed_over[g].result.clone()
    _changes()[change](model, s, g)
    got = g.attribute(x, 1)
    fresh = SmoothGrad(GuidedBackprop(model, reduction=g.explainer.reduction), sigma=g.sigma, **KW).attribute(x, 1)
    assert torch.equal(got, fresh)
    assert not torch.equal(got, stale)


@pytest.mark.parametrize("what", ["inputs", "target"])
def test_other_inputs_or_target_make_the_partner_compute(what):
    model, x, group = PassCounter(make_tiny()), torch.rand(2, 3, 16, 16), SharedPasses()
    s, g = sg_saliency(model, share_passes=group), sg_guided(model, share_passes=group)
    s.attribute(x, torch.tensor([1, 2]))
    model.sizes.clear()
    other_x, other_t = (x.flip(-1), torch.tensor([1, 2])) if what == "inputs" else (x, torch.tensor([1, 3]))
    got = g.attribute(other_x, other_t)
    assert model.sizes  # computed
    assert torch.equal(got, sg_guided(model).attribute(other_x, other_t))


@pytest.mark.parametrize("partner", [
    lambda m, kw: SmoothGrad(GuidedBackprop(m), **{**kw, "seed": None}),  # global-RNG noise: never shared
    lambda m, kw: SmoothGrad(GuidedBackprop(m), **{**kw, "n_samples": 5}),
    lambda m, kw: SmoothGrad(GuidedBackprop(m), **{**kw, "batch_size": 3}),
    lambda m, kw: SmoothGrad(GuidedBackprop(m, channels_last=True), **kw),
    lambda m, kw: SmoothGrad(Deconvnet(m), **kw),
    lambda m, kw: SmoothGrad(IntegratedGradients(m, n_steps=2), **kw),
    lambda m, kw: SmoothGrad(Saliency(m), **kw),  # the same rule: nothing to gain
    lambda m, kw: SmoothGrad(GuidedBackprop(make_tiny()), **kw),  # another model
    lambda m, kw: SmoothGrad(GuidedBackprop(m), **{**kw, "share_passes": SharedPasses()}),  # another group
], ids=["unseeded", "n", "batch", "channels_last", "deconvnet", "ig", "same_rule", "other_model", "other_group"])
def test_no_sharing_unless_everything_matches(partner):
    model, group = make_tiny(), SharedPasses()
    keep = partner(model, {**KW, "share_passes": group})
    SmoothGrad(Saliency(model), **KW, share_passes=group).attribute(torch.rand(1, 3, 16, 16), 0)
    assert keep not in group.handed_over and keep not in (keep.share_passes or group).handed_over


def test_no_sharing_for_cross_entropy_subclasses_or_given_noise():
    class MySaliency(Saliency):
        pass

    model, x, group = make_tiny(), torch.rand(1, 3, 16, 16), SharedPasses()
    g = sg_guided(model, share_passes=group)
    SmoothGrad(Saliency(model, objective="cross_entropy"), **KW, share_passes=group).attribute(x, 0)
    SmoothGrad(MySaliency(model), **KW, share_passes=group).attribute(x, 0)
    SmoothGrad(Saliency(model), **KW, share_passes=group).attribute(x, 0, noise=torch.zeros(1, KW["n_samples"], 3, 16, 16))
    assert g not in group.handed_over


def test_no_sharing_when_the_model_runs_in_train_mode():
    """eval_mode=False with Dropout active: separate calls draw separate masks, so a shared pass
    would not give the same result."""
    model, x, group = make_tiny().train(), torch.rand(1, 3, 16, 16), SharedPasses()
    g = SmoothGrad(GuidedBackprop(model, eval_mode=False), **KW, share_passes=group)
    SmoothGrad(Saliency(model, eval_mode=False), **KW, share_passes=group).attribute(x, 0)
    assert g not in group.handed_over


def test_a_handed_over_map_lives_only_as_long_as_its_object():
    model, x, group = make_tiny(), torch.rand(1, 3, 16, 16), SharedPasses()
    g = sg_guided(model, share_passes=group)
    sg_saliency(model, share_passes=group).attribute(x, 0)
    assert g in group.handed_over
    del g
    gc.collect()
    assert len(group.handed_over) == 0 and len(group.members) == 0  # the group keeps no member alive


def test_passes_are_filled_across_images_and_maps_do_not_depend_on_the_other_images():
    model, x = PassCounter(make_tiny()), torch.rand(3, 3, 16, 16)
    batch = SmoothGrad(GuidedBackprop(model), n_samples=5, batch_size=4, seed=0).attribute(x, 1)
    assert model.sizes[1:] == [4, 4, 4, 3]  # 15 noisy images: not 5 passes of 3
    for i in range(3):
        alone = SmoothGrad(GuidedBackprop(model), n_samples=5, batch_size=4, seed=0).attribute(x[i:i + 1], 1)
        torch.testing.assert_close(batch[i:i + 1], alone, rtol=1e-5, atol=1e-7)
