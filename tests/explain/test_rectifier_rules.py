"""Guided backprop and deconvnet at functional rectifiers, against a hand-written autograd
reference, and the rule coverage every call records (no silent fallback to the plain gradient).

The reference model computes the same values with explicit custom autograd functions that
implement each rule; the old module-hook implementation (rule only at ``nn.ReLU`` modules) and the
plain gradient both differ from it on this model.
"""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from explain_testutils import all_hooks, assert_close_rel, make_tiny
from helpers.explain import Deconvnet, GuidedBackprop, Saliency, SharedPasses, SmoothGrad
from helpers.explain.guided_backprop import rule_coverage
from helpers.explain.rectifier_rules import CLAMP, RELU, RELU6


class AllRectifiers(nn.Module):
    """Every way of rectifying in one forward: F.relu, torch.relu, x.relu(), relu_ (the model keeps
    using its input), F.relu6, F.hardtanh(x, 0, 6), x.clamp(min=0), torch.clamp_min,
    F.relu(inplace=True), then ONE nn.ReLU module called three times."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.layers = nn.ModuleList([nn.Linear(12, 16)] + [nn.Linear(16, 16) for _ in range(9)])
        self.head = nn.Linear(16, 3)
        with torch.no_grad():  # large weights: units below 0 and above 6 at every rectifier
            for layer in self.layers:
                layer.weight.mul_(3)
        self.act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        lay = self.layers
        h = F.relu(lay[0](x.flatten(1)))
        h = torch.relu(lay[1](h))
        h = lay[2](h).relu()
        z = lay[3](h)
        z.relu_()
        h = F.relu6(lay[4](z))
        h = F.hardtanh(lay[5](h), 0.0, 6.0)
        h = lay[6](h).clamp(min=0)
        h = torch.clamp_min(lay[7](h), 0)
        z = lay[8](h)
        F.relu(z, inplace=True)
        for _ in range(3):
            z = self.act(lay[9](z))
        return self.head(z)


class _Rule(torch.autograd.Function):
    """clamp(z, lo, hi) forward; backward max(g, 0) * [lo < z < hi] (guided), max(g, 0) (deconvnet)
    or g * [lo < z < hi] (plain)."""

    @staticmethod
    def forward(ctx, z: Tensor, lo: float, hi: float, rule: str) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(z)
        ctx.lo, ctx.hi, ctx.rule = lo, hi, rule
        return z.clamp(min=lo) if math.isinf(hi) else z.clamp(lo, hi)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        (z,) = ctx.saved_tensors
        mask = (z > ctx.lo) & (z < ctx.hi)
        out = {"guided": grad.clamp(min=0) * mask, "deconvnet": grad.clamp(min=0), "plain": grad * mask}[ctx.rule]
        return out, None, None, None


class ReferenceAllRectifiers(AllRectifiers):
    """AllRectifiers's function written out with the rule as explicit autograd functions."""

    def __init__(self, rule: str) -> None:
        super().__init__()
        self.rule = rule

    def forward(self, x: Tensor) -> Tensor:
        lay, inf = self.layers, math.inf
        h = x.flatten(1)
        for i, hi in enumerate([inf, inf, inf, inf, 6.0, 6.0, inf, inf, inf]):
            h = _Rule.apply(lay[i](h), 0.0, hi, self.rule)
        for _ in range(3):
            h = _Rule.apply(lay[9](h), 0.0, inf, self.rule)
        return self.head(h)


def reference_map(rule: str, x: Tensor, target: int) -> Tensor:
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(ReferenceAllRectifiers(rule).eval()(x)[:, target].sum(), x)
    return grad


@pytest.fixture
def inputs() -> Tensor:
    return torch.rand(5, 3, 2, 2, generator=torch.Generator().manual_seed(0))


def test_reference_model_computes_the_same_function_and_reaches_both_bounds(inputs):
    model, reference = AllRectifiers().eval(), ReferenceAllRectifiers("guided").eval()
    seen = []
    handles = [model.layers[i].register_forward_hook(lambda m, a, out: seen.append(out.detach().clone()))
               for i in (4, 5)]
    with torch.no_grad():
        assert torch.equal(model(inputs), reference(inputs))
    for handle in handles:
        handle.remove()
    for pre in seen:
        assert (pre > 6).any() and (pre < 0).any() and ((pre > 0) & (pre < 6)).any(), "ReLU6 units in every state"
    # the plain reference is autograd's own gradient: the reference is wired like the model
    x = inputs.clone().requires_grad_(True)
    (plain,) = torch.autograd.grad(model(x)[:, 0].sum(), x)
    assert_close_rel(plain, reference_map("plain", inputs, 0))


@pytest.mark.parametrize("rule", ["guided", "deconvnet"])
def test_maps_equal_the_hand_written_reference_and_differ_from_the_plain_gradient(inputs, rule):
    model = AllRectifiers().eval()
    explainer = GuidedBackprop(model) if rule == "guided" else Deconvnet(model)
    for target in range(3):
        expected = reference_map(rule, inputs, target)
        assert_close_rel(explainer.attribute(inputs, target), expected)
        plain = reference_map("plain", inputs, target)
        # the old behaviour (the plain gradient at functional rectifiers) is far from the rule
        assert (plain - expected).abs().max() > 0.05 * expected.abs().max()
    assert all_hooks(model) == 0 and torch._C._len_torch_function_stack() == 0


def test_rule_only_at_the_module_is_not_the_reference(inputs):
    """What hooking the nn.ReLU module alone gives (the old implementation) fails the reference."""
    model = AllRectifiers().eval()

    def positive(module, args, output):
        output.register_hook(lambda g: g.clamp(min=0))

    handle = model.act.register_forward_hook(positive)
    x = inputs.clone().requires_grad_(True)
    (module_only,) = torch.autograd.grad(model(x)[:, 1].sum(), x)
    handle.remove()
    expected = reference_map("guided", inputs, 1)
    assert (module_only - expected).abs().max() > 0.05 * expected.abs().max()


@pytest.mark.parametrize("rule", ["guided", "deconvnet"])
def test_coverage_counts_every_rectifier_call_once(inputs, rule):
    model = AllRectifiers().eval()
    explainer = GuidedBackprop(model, rule=rule)
    assert explainer.coverage is None
    explainer.attribute(inputs, 0)
    cov = explainer.coverage
    # F.relu, torch.relu, .relu(), relu_, F.relu(inplace) and the module called 3 times: 8 ReLU calls
    assert cov.applied == {RELU: 8, RELU6: 2, CLAMP: 2} and cov.without_rule == {}
    assert cov.forward_passes == 1 and cov.rule == rule and cov.complete
    assert rule_coverage(model, inputs[:1], rule) == cov


def test_modules_are_counted_once_per_call_not_twice():
    cov = rule_coverage(make_tiny(), torch.rand(1, 3, 16, 16))  # two nn.ReLU modules, one call each
    assert cov.applied == {RELU: 2} and cov.forward_passes == 1
    six = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU6(inplace=True), nn.Linear(8, 8), nn.ReLU6(),
                        nn.Linear(8, 2))
    assert rule_coverage(six, torch.rand(2, 3, 2, 2)).applied == {RELU6: 2}


class MixedActivations(nn.Module):
    """One rectifier among activations with no rule, as modules and as functions."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.l1, self.l2, self.l3 = nn.Linear(12, 16), nn.Linear(16, 16), nn.Linear(16, 3)
        self.hardswish, self.gelu, self.leaky = nn.Hardswish(), nn.GELU(), nn.LeakyReLU(0.1)

    def forward(self, x: Tensor) -> Tensor:
        h = self.hardswish(self.l1(x.flatten(1)))
        h = F.silu(self.l2(h)) * torch.sigmoid(h)
        h = self.leaky(self.gelu(F.relu(h)))
        h = F.hardtanh(h * 0.2, -1.0, 1.0).clamp(min=-0.5)  # neither is a rectifier: no rule, clamp not counted
        h = self.hardswish(h)
        return self.l3(h)


def test_activations_without_a_rule_are_named_counted_and_passed_unchanged():
    model = MixedActivations().eval()
    x = torch.rand(4, 3, 2, 2, generator=torch.Generator().manual_seed(2))
    explainer = GuidedBackprop(model)
    ours = explainer.attribute(x, 2)
    cov = explainer.coverage
    assert cov.applied == {RELU: 1}
    assert cov.without_rule == {"Hardswish": 2, "SiLU/Swish": 1, "Sigmoid": 1, "GELU": 1, "LeakyReLU": 1,
                                "Hardtanh(-1,1)": 1}
    assert not cov.complete
    assert "no rule at: Hardswish (2 calls)" in cov.summary()
    # reference: the guided rule at the one F.relu, autograd's own backward everywhere else
    xr = x.clone().requires_grad_(True)
    h = model.hardswish(model.l1(xr.flatten(1)))
    h = F.silu(model.l2(h)) * torch.sigmoid(h)
    h = model.leaky(model.gelu(_Rule.apply(h, 0.0, math.inf, "guided")))
    h = model.hardswish(F.hardtanh(h * 0.2, -1.0, 1.0).clamp(min=-0.5))
    (expected,) = torch.autograd.grad(model.l3(h)[:, 2].sum(), xr)
    assert_close_rel(ours, expected)


class NoRectifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.l1, self.act, self.l2 = nn.Linear(12, 8), nn.SiLU(), nn.Linear(8, 2)

    def forward(self, x: Tensor) -> Tensor:
        return self.l2(self.act(self.l1(x.flatten(1))))


@pytest.mark.parametrize("factory", [GuidedBackprop, Deconvnet, lambda m: SmoothGrad(GuidedBackprop(m), n_samples=3)])
def test_a_model_without_rectifiers_gets_a_clear_error_and_nothing_stays_active(factory):
    model = NoRectifier().train()
    x = torch.rand(2, 3, 2, 2)
    explainer = factory(model)  # construction cannot know: F.relu calls are only seen in a forward
    with pytest.raises(ValueError, match=r"calls no rectifier .*SiLU/Swish \(1 calls\).*Saliency"):
        explainer.attribute(x, 0)
    assert all_hooks(model) == 0 and torch._C._len_torch_function_stack() == 0
    assert model.training and all(p.requires_grad for p in model.parameters())
    cov = rule_coverage(model, x[:1])  # the probe itself reports, it does not raise
    assert cov.n_applied == 0 and cov.without_rule == {"SiLU/Swish": 1} and model.training


class FailsAfterARectifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.l1 = nn.Linear(12, 4)

    def forward(self, x: Tensor) -> Tensor:
        F.relu(self.l1(x.flatten(1)))
        raise RuntimeError("boom")


@pytest.mark.parametrize("rule", ["guided", "deconvnet"])
def test_nothing_stays_active_after_a_failing_call(rule):
    model = FailsAfterARectifier().train()
    explainer = GuidedBackprop(model, rule=rule)
    with pytest.raises(RuntimeError, match="boom"):
        explainer.attribute(torch.rand(1, 3, 2, 2), 0)
    assert torch._C._len_torch_function_stack() == 0 and all_hooks(model) == 0
    assert model.training and all(p.requires_grad for p in model.parameters())
    assert explainer.coverage is None  # no stale coverage from an earlier call
    y = F.relu(torch.randn(3, requires_grad=True))  # outside a call, rectifiers are untouched
    assert type(y.grad_fn).__name__.startswith("Relu")


def test_smoothgrad_coverage_sums_its_passes_and_shared_passes_hand_it_over(inputs):
    model = AllRectifiers().eval()
    sg = SmoothGrad(GuidedBackprop(model), n_samples=5, batch_size=2, fast_copy=False)
    sg.attribute(inputs[:1], 0)
    assert sg.coverage.forward_passes == 3  # 5 noisy copies in passes of 2
    assert sg.coverage.applied == {RELU: 24, RELU6: 6, CLAMP: 6} and sg.explainer.coverage == sg.coverage
    group = SharedPasses()
    plain = SmoothGrad(Saliency(model), n_samples=5, batch_size=2, share_passes=group)
    guided = SmoothGrad(GuidedBackprop(model), n_samples=5, batch_size=2, share_passes=group)
    plain.attribute(inputs[:1], 0)
    assert plain.coverage is None  # the plain gradient has no rule
    alone = SmoothGrad(GuidedBackprop(model), n_samples=5, batch_size=2).attribute(inputs[:1], 0)
    assert torch.equal(guided.attribute(inputs[:1], 0), alone)
    assert guided.coverage.applied == {RELU: 24, RELU6: 6, CLAMP: 6}


def test_deconvnet_in_place_rectifier_keeps_the_in_place_semantics():
    """relu_ whose input the model keeps using; a rectifier's output changed in place by the model."""

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(3)
            self.l1, self.l2 = nn.Linear(12, 8), nn.Linear(8, 2)

        def forward(self, x: Tensor) -> Tensor:
            z = self.l1(x.flatten(1)) * 3
            z.relu_()  # the model keeps using z, not the returned value
            h = F.hardtanh(z - 2, 0.0, 6.0)
            h.mul_(0.5)  # legal in plain autograd: hardtanh's backward needs its input, not its output
            h += 1
            return self.l2(h)

    x = torch.rand(3, 3, 2, 2, generator=torch.Generator().manual_seed(4))
    model = Net().eval()
    for rule in ("guided", "deconvnet"):
        xr = x.clone().requires_grad_(True)
        h = _Rule.apply(_Rule.apply(model.l1(xr.flatten(1)) * 3, 0.0, math.inf, rule) - 2, 0.0, 6.0, rule) * 0.5 + 1
        (expected,) = torch.autograd.grad(model.l2(h)[:, 1].sum(), xr)
        assert_close_rel(GuidedBackprop(model, rule=rule).attribute(x, 1), expected)


def test_clamp_gets_the_rectifier_mask_at_exact_zeros():
    """clamp's own backward passes gradient at x == 0; the rule's mask is 0 < x, as for ReLU."""
    torch.manual_seed(5)
    layer = nn.Linear(12, 2)
    model = nn.Sequential(nn.Flatten())
    model.forward = lambda x: layer(x.flatten(1).clamp(min=0))  # type: ignore[method-assign]
    model.layer = layer
    x = torch.rand(2, 3, 2, 2)
    x[:, 0] = 0.0  # black pixels: exactly at the rectifier's bound
    ours = GuidedBackprop(model).attribute(x, 0)
    xr = x.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(layer(_Rule.apply(xr.flatten(1), 0.0, math.inf, "guided"))[:, 0].sum(), xr)
    assert_close_rel(ours, expected)
    assert (ours[:, 0] == 0).all() and (ours[:, 1:] != 0).any()


def test_googlenet_functional_relus_all_get_the_rule_where_captum_sees_none():
    """torchvision's GoogLeNet rectifies with F.relu(x, inplace=True) inside each BasicConv2d: no
    nn.ReLU module exists, so Captum's GuidedBackprop is the plain gradient there; ours is not."""
    import warnings

    import torchvision
    from captum.attr import GuidedBackprop as CaptumGB

    torch.manual_seed(0)
    model = torchvision.models.googlenet(weights=None, num_classes=5, aux_logits=False, init_weights=True).eval()
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(6))
    explainer = GuidedBackprop(model)
    ours = explainer.attribute(x, 2)
    convs = [m for m in model.modules() if type(m).__name__ == "BasicConv2d"]
    assert not any(isinstance(m, nn.ReLU) for m in model.modules())
    assert explainer.coverage.applied == {RELU: len(convs)} and explainer.coverage.complete
    plain = Saliency(model, reduction="none").attribute(x, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        captum = CaptumGB(model).attribute(x.clone().requires_grad_(True), target=2)
    assert_close_rel(captum, plain)  # Captum's blind spot
    assert float((ours - plain).abs().max() / plain.abs().max()) > 0.05
