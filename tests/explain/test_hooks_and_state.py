"""Cross-cutting guarantees of every explainer: no hook survives a call (also a failing one), the
model (values, modes, requires_grad) and the input are left as they were, results do not depend
on the batch size, and inputs / targets are validated."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from explain_testutils import FunctionalReLUNet, all_hooks, assert_close_rel, make_tiny
from helpers.explain import (Deconvnet, GradCAM, GuidedBackprop, GuidedGradCAM, IntegratedGradients, LimeExplainer,
                             Saliency, SmoothGrad)

FACTORIES = {
    "saliency": lambda m: Saliency(m),
    "saliency_ce": lambda m: Saliency(m, objective="cross_entropy"),
    "guided": lambda m: GuidedBackprop(m),
    "deconvnet": lambda m: Deconvnet(m),
    "smoothgrad_guided": lambda m: SmoothGrad(GuidedBackprop(m), n_samples=5, batch_size=4),
    "smoothgrad_saliency_var": lambda m: SmoothGrad(Saliency(m, reduction="abs"), n_samples=5, variant="variance"),
    "integrated_gradients": lambda m: IntegratedGradients(m, n_steps=6, batch_size=5),
    "gradcam": lambda m: GradCAM(m, "conv2"),
    "gradcam_raw": lambda m: GradCAM(m, "bn1", upsample=False),
    "guided_gradcam": lambda m: GuidedGradCAM(m, "conv2", reduction="max_abs"),
    "lime": lambda m: LimeExplainer(m, num_samples=30, n_segments=8, batch_size=7),
}
GRADIENT_METHODS = [k for k in FACTORIES if k != "lime"]


def _snapshot(model: nn.Module):
    return ({k: v.clone() for k, v in model.state_dict().items()},
            [m.training for m in model.modules()],
            [p.requires_grad for p in model.parameters()])


def _assert_unchanged(model: nn.Module, snapshot) -> None:
    state, modes, grads = snapshot
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), f"{key} changed"
    assert [m.training for m in model.modules()] == modes
    assert [p.requires_grad for p in model.parameters()] == grads
    assert all_hooks(model) == 0, "a hook survived the call"
    assert torch._C._len_torch_function_stack() == 0, "a TorchFunctionMode survived the call"
    assert all(p.grad is None for p in model.parameters()), "parameter gradients were computed"


@pytest.mark.parametrize("name", list(FACTORIES))
def test_model_and_input_restored(name):
    model = make_tiny()
    model.train()  # BN would update running stats and dropout would fire if the call ran in train mode
    model.fc.eval()  # mixed modes must come back exactly
    model.conv1.bias.requires_grad_(False)
    snapshot = _snapshot(model)
    x = torch.rand(2, 3, 16, 16, requires_grad=True)
    x_before = x.detach().clone()
    out = FACTORIES[name](model).attribute(x, [1, 2])
    assert torch.isfinite(out).all()
    assert out.shape[0] == 2 and out.shape[-2:] == (16, 16)
    _assert_unchanged(model, snapshot)
    assert x.requires_grad and x.grad is None and torch.equal(x.detach(), x_before)
    x2 = torch.rand(2, 3, 16, 16)
    FACTORIES[name](model).attribute(x2, 1)
    assert not x2.requires_grad


def test_eval_mode_is_used_during_the_call():
    """Train-mode dropout would make two calls differ; eval mode inside the call makes them equal."""
    model = make_tiny().train()
    x = torch.rand(1, 3, 16, 16)
    a, b = Saliency(model).attribute(x, 0), Saliency(model).attribute(x, 0)
    assert torch.equal(a, b)
    assert model.training


class FailingNet(nn.Module):
    """Raises in the middle of forward, after its first ReLU ran (hooks are live by then)."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = make_tiny()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inner.act1(self.inner.conv1(x))
        raise RuntimeError("boom")


@pytest.mark.parametrize("name", list(FACTORIES))
def test_no_hook_survives_a_failing_forward(name):
    model = FailingNet().train()
    snapshot = _snapshot(model)
    with pytest.raises(RuntimeError, match="boom"):
        FACTORIES[name](model).attribute(torch.rand(2, 3, 16, 16), 0)
    _assert_unchanged(model, snapshot)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_target_out_of_range_names_class_count_and_leaves_no_hook(name):
    model = make_tiny()
    snapshot = _snapshot(model)
    with pytest.raises(ValueError, match="4 classes"):
        FACTORIES[name](model).attribute(torch.rand(2, 3, 16, 16), 4)
    with pytest.raises(ValueError, match="4 classes"):
        FACTORIES[name](model).attribute(torch.rand(2, 3, 16, 16), [0, -1])
    _assert_unchanged(model, snapshot)


@pytest.mark.parametrize("name", list(FACTORIES))
@pytest.mark.parametrize("bad,message", [
    (torch.rand(3, 16, 16), "4-D"),
    (torch.full((1, 3, 16, 16), float("nan")), "NaN"),
    (torch.full((1, 3, 16, 16), float("inf")), "NaN or inf"),
])
def test_invalid_inputs_raise(name, bad, message):
    with pytest.raises(ValueError, match=message):
        FACTORIES[name](make_tiny()).attribute(bad, 0)


def test_target_length_mismatch_raises():
    with pytest.raises(ValueError, match="3 entries but inputs has 2"):
        Saliency(make_tiny()).attribute(torch.rand(2, 3, 16, 16), [0, 1, 2])


def test_cross_entropy_saliency_needs_labels():
    with pytest.raises(ValueError, match="true labels"):
        Saliency(make_tiny(), objective="cross_entropy").attribute(torch.rand(1, 3, 16, 16))
    with pytest.raises(ValueError, match="true labels"):
        SmoothGrad(Saliency(make_tiny(), objective="cross_entropy"), n_samples=2).attribute(torch.rand(1, 3, 16, 16))


def test_cross_entropy_saliency_is_the_gradient_of_the_loss():
    model = make_tiny()
    x = torch.rand(2, 3, 16, 16)
    labels = torch.tensor([2, 0])
    xr = x.clone().requires_grad_(True)
    nn.functional.cross_entropy(model(xr), labels, reduction="sum").backward()
    ours = Saliency(model, objective="cross_entropy", reduction="abs").attribute(x, labels)
    assert_close_rel(ours, xr.grad.abs())


@pytest.mark.parametrize("name", list(FACTORIES))
def test_batch_size_independence(name):
    model = make_tiny()
    x = torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(4))
    targets = [0, 3, 1]
    batched = FACTORIES[name](model).attribute(x, targets)
    single = torch.cat([FACTORIES[name](model).attribute(x[i:i + 1], targets[i]) for i in range(3)])
    if batched.abs().max() == 0:
        assert single.abs().max() == 0
    else:
        assert_close_rel(batched, single)


def test_target_none_uses_predicted_class():
    model = make_tiny()
    x = torch.rand(3, 3, 16, 16)
    predicted = model(x).argmax(1)
    for factory in (FACTORIES["saliency"], FACTORIES["guided"], FACTORIES["gradcam"]):
        assert torch.equal(factory(model).attribute(x), factory(model).attribute(x, predicted))


def test_inplace_relu_gives_same_maps_as_out_of_place():
    x = torch.rand(2, 3, 16, 16)
    for factory in (lambda m: GuidedBackprop(m), lambda m: Deconvnet(m), lambda m: Saliency(m, reduction="none")):
        ref = factory(make_tiny(inplace=False)).attribute(x, 1)
        ours = factory(make_tiny(inplace=True)).attribute(x, 1)
        assert_close_rel(ours, ref)


def test_functional_relu_model_gets_the_rule_at_its_f_relu_call():
    model, x = FunctionalReLUNet(), torch.rand(2, 3, 16, 16)
    explainer = GuidedBackprop(model)
    guided = explainer.attribute(x, 1)
    assert explainer.coverage.applied == {"ReLU": 1} and explainer.coverage.without_rule == {}
    assert not torch.allclose(guided, Saliency(model, reduction="none").attribute(x, 1))
    assert all_hooks(model) == 0 and torch._C._len_torch_function_stack() == 0


def test_gradcam_rejects_unknown_layer_listing_valid_names():
    with pytest.raises(KeyError, match="conv1"):
        GradCAM(make_tiny(), "conv9")


def test_gradcam_output_shapes_and_nonnegative():
    model = make_tiny()
    x = torch.rand(2, 3, 16, 16)
    assert GradCAM(model, "conv2").attribute(x).shape == (2, 1, 16, 16)
    raw = GradCAM(model, "pool", upsample=False).attribute(x)
    assert raw.shape == (2, 1, 8, 8) and (raw >= 0).all()
