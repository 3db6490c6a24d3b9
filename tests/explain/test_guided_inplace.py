"""Guided backprop (and deconvnet) on a model that changes a rectifier's output in place.

``h = relu6(z); h.mul_(0.5); h += 1`` is legal in plain autograd (ReLU6's backward needs its input,
not its output). The maps must equal those of the same model written out of place, and both must
equal a hand-written autograd reference of the rule.
"""
from __future__ import annotations

import pytest
import torch
from torch import Tensor

from explain_testutils import TwoLayerReLU6, all_hooks, assert_close_rel
from helpers.explain import Deconvnet, GuidedBackprop


class ScaledReLU6Net(TwoLayerReLU6):
    """TwoLayerReLU6 with each rectifier output rescaled (x 0.5 + 1, then x 0.5); ``in_place`` changes
    the outputs with mul_ / += instead of making new tensors."""

    def __init__(self, in_place: bool) -> None:
        super().__init__()
        self.in_place = in_place

    def forward(self, x: Tensor) -> Tensor:
        h = self.act(self.l1(x.flatten(1)))
        if self.in_place:
            h.mul_(0.5)
            h += 1
        else:
            h = h * 0.5 + 1
        h = self.act(self.l2(h))
        h = h.mul_(0.5) if self.in_place else h * 0.5
        return self.l3(h)


class _ReferenceRule(torch.autograd.Function):
    """clamp(z, 0, 6) forward; backward max(g, 0) * [0 < z < 6] (guided) or max(g, 0) (deconvnet)."""

    @staticmethod
    def forward(ctx, z: Tensor, guided: bool) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(z)
        ctx.guided = guided
        return z.clamp(0, 6)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        (z,) = ctx.saved_tensors
        out = grad.clamp(min=0)
        return (out * ((z > 0) & (z < 6)) if ctx.guided else out), None


def _reference(model: ScaledReLU6Net, x: Tensor, target: int, guided: bool) -> Tensor:
    x = x.clone().requires_grad_(True)
    h = _ReferenceRule.apply(model.l1(x.flatten(1)), guided) * 0.5 + 1
    h = _ReferenceRule.apply(model.l2(h), guided) * 0.5
    (grad,) = torch.autograd.grad(model.l3(h)[:, target].sum(), x)
    return grad


@pytest.fixture
def inputs() -> Tensor:
    return torch.rand(4, 3, 4, 4, generator=torch.Generator().manual_seed(0))


def test_the_model_exercises_both_bounds_and_in_place_is_the_same_function(inputs):
    in_place, out_of_place = ScaledReLU6Net(True).eval(), ScaledReLU6Net(False).eval()
    with torch.no_grad():
        z1 = in_place.l1(inputs.flatten(1))
        assert torch.equal(in_place(inputs), out_of_place(inputs))
    assert (z1 > 6).any() and (z1 < 0).any(), "the test needs saturated and negative units"


@pytest.mark.parametrize("rule", ["guided", "deconvnet"])
def test_in_place_rectifier_output_gives_the_out_of_place_map_and_the_reference(inputs, rule):
    explainer = GuidedBackprop if rule == "guided" else Deconvnet
    for target in range(3):
        expected = _reference(ScaledReLU6Net(False), inputs, target, guided=rule == "guided")
        in_place_model = ScaledReLU6Net(True).eval()
        in_place = explainer(in_place_model).attribute(inputs, target)
        out_of_place = explainer(ScaledReLU6Net(False).eval()).attribute(inputs, target)
        assert_close_rel(out_of_place, expected)
        assert_close_rel(in_place, expected)
        assert all_hooks(in_place_model) == 0
    # the rule matters on this model: the plain gradient is a different map
    x = inputs.clone().requires_grad_(True)
    ScaledReLU6Net(True).eval()(x)[:, 0].sum().backward()
    assert (x.grad - _reference(ScaledReLU6Net(False), inputs, 0, guided=True)).abs().max() > 1e-3
