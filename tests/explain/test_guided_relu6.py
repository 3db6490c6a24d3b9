"""The guided-backprop rule on nn.ReLU6, against a hand-written gradient (Captum has no such rule)."""
from __future__ import annotations

import pytest
import torch

from explain_testutils import TwoLayerReLU6, all_hooks, assert_close_rel
from helpers.explain import Deconvnet, GuidedBackprop, SmoothGrad

def _expected(model: TwoLayerReLU6, x: torch.Tensor, target: int, guided: bool) -> torch.Tensor:
    """Backward by hand: rule(g, z) = max(g, 0) * [0 < z < 6] (guided) or max(g, 0) (deconvnet)."""
    with torch.no_grad():
        flat = x.flatten(1)
        z1 = flat @ model.l1.weight.T + model.l1.bias
        z2 = z1.clamp(0, 6) @ model.l2.weight.T + model.l2.bias
        g = model.l3.weight[target].expand(x.shape[0], -1)  # d score / d relu6(z2)

        def rule(grad, z):
            out = grad.clamp(min=0)
            return out * ((z > 0) & (z < 6)) if guided else out

        g = rule(g, z2) @ model.l2.weight          # d / d relu6(z1)
        g = rule(g, z1) @ model.l1.weight          # d / d x
    return g.view_as(x)

@pytest.mark.parametrize("inplace", [False, True])
def test_guided_rule_on_relu6_matches_hand_written_gradient(inplace):
    model = TwoLayerReLU6(inplace=inplace).eval()
    x = torch.rand(4, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        z1 = model.l1(x.flatten(1))
        z2 = model.l2(model.act(z1.clone()))
    assert (z1 > 6).any() and (z1 < 0).any() and (z2 > 6).any(), "the test needs saturated and negative units"
    for target in range(3):
        expected = _expected(model, x, target, guided=True)
        ours = GuidedBackprop(model).attribute(x, target)
        assert_close_rel(ours, expected)
        # the rule matters here: the plain gradient is different
        xr = x.clone().requires_grad_(True)
        model(xr)[:, target].sum().backward()
        assert (xr.grad - expected).abs().max() > 1e-3 * expected.abs().max()
    assert all_hooks(model) == 0

def test_deconvnet_rule_on_relu6_matches_hand_written_gradient():
    model = TwoLayerReLU6().eval()
    x = torch.rand(3, 3, 4, 4, generator=torch.Generator().manual_seed(1))
    assert_close_rel(Deconvnet(model).attribute(x, 1), _expected(model, x, 1, guided=False))

def test_smoothgrad_of_guided_relu6_uses_the_rule():
    model = TwoLayerReLU6().eval()
    x = torch.rand(1, 3, 4, 4)
    n = 6
    noise = torch.randn(1, n, 3, 4, 4) * 0.2
    expected = torch.stack([_expected(model, x + noise[:, i], 2, guided=True) for i in range(n)]).mean(0)
    ours = SmoothGrad(GuidedBackprop(model), n_samples=n).attribute(x, 2, noise=noise)
    assert_close_rel(ours, expected)
