"""The faster copy used for LIME's and SmoothGrad's passes: what it folds, when it refuses, and
that the user's model is left exactly as it was."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from explain_testutils import all_hooks, make_tiny
from helpers.explain import Deconvnet, GuidedBackprop, Saliency, SmoothGrad
from helpers.models.fast_copy import make_fast_copy


def snapshot(model: nn.Module) -> dict:
    return {"state": {k: v.clone() for k, v in model.state_dict().items()},
            "modules": [(name, type(m), getattr(m, "inplace", None), m.training) for name, m in model.named_modules()],
            "strides": [p.stride() for p in model.parameters()]}


def same(model: nn.Module, before: dict) -> bool:
    after = snapshot(model)
    return (before["modules"] == after["modules"] and before["strides"] == after["strides"]
            and all(torch.equal(v, after["state"][k]) for k, v in before["state"].items()))


def test_copy_folds_batchnorm_rectifies_in_place_and_keeps_outputs(classic, classic_inputs):
    before = snapshot(classic)
    copy = make_fast_copy(classic, classic_inputs)
    assert copy is not None and copy is not classic
    assert not any(isinstance(m, nn.BatchNorm2d) for m in copy.modules())
    rectifiers = [m for m in copy.modules() if isinstance(m, nn.ReLU)]
    assert rectifiers and all(m.inplace for m in rectifiers)
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in copy.parameters() if p.dim() == 4)
    assert not any(p.requires_grad for p in copy.parameters())
    with torch.no_grad():
        ref, out = classic(classic_inputs), copy(classic_inputs)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4 * float(ref.abs().max()))
    assert same(classic, before)  # the user's model: same values, modules, flags and strides


class Residual(nn.Module):
    """relu(conv(x)) + conv(x): the conv output is read twice, so the rectifier must stay out of place."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.act = nn.ReLU()
        self.fc = nn.Linear(4 * 8 * 8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return self.fc((self.act(y) + y).flatten(1))


def test_rectifier_whose_input_is_read_elsewhere_stays_out_of_place():
    torch.manual_seed(0)
    model, x = Residual().eval(), torch.randn(2, 3, 8, 8)
    copy = make_fast_copy(model, x)
    assert copy is not None and not copy.act.inplace
    with torch.no_grad():
        torch.testing.assert_close(copy(x), model(x))


class Noisy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(12, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1)) + torch.rand(1)  # differs per call: the probe check must refuse


class Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(12, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:  # data-dependent control flow: torch.fx cannot trace it
            return self.fc(x.flatten(1))
        return -self.fc(x.flatten(1))


def test_no_copy_where_it_could_change_what_is_computed():
    x = torch.rand(2, 3, 16, 16)
    training = make_tiny().train()
    assert make_fast_copy(training, x) is None  # BatchNorm would use batch statistics
    hooked = make_tiny()
    hooked.register_forward_hook(lambda *args: None)  # a traced copy would skip non-leaf hooks
    assert make_fast_copy(hooked, x) is None
    assert make_fast_copy(Branchy().eval(), torch.rand(2, 3, 2, 2)) is None
    assert make_fast_copy(Noisy().eval(), torch.rand(2, 3, 2, 2)) is None
    assert make_fast_copy(make_tiny(), x) is not None


@pytest.mark.parametrize("inner", [Saliency, GuidedBackprop])
def test_smoothgrad_runs_on_the_copy_and_equals_the_model_up_to_rounding(classic, classic_inputs, inner):
    x = classic_inputs[:1]
    explainer = SmoothGrad(inner(classic, reduction="max_abs"), n_samples=6, batch_size=4)
    before = snapshot(classic)
    passes = explainer._explainer_for_passes(x)
    assert passes.model is not classic and type(passes) is inner
    fast = explainer.attribute(x, 3)
    exact = SmoothGrad(inner(classic, reduction="max_abs"), n_samples=6, batch_size=4, fast_copy=False).attribute(x, 3)
    diff = (fast - exact).abs() / exact.abs().max()
    assert diff.max() <= 0.03 and diff.mean() <= 1e-3  # near-tie max-pool/ReLU decisions may move
    assert torch.equal(fast, explainer.attribute(x, 3))  # a fresh copy per call: same result
    assert same(classic, before) and all_hooks(classic) == 0


def test_smoothgrad_without_a_possible_copy_runs_the_model_itself():
    model, x = make_tiny(), torch.rand(1, 3, 16, 16)
    model.register_forward_pre_hook(lambda *args: None)
    explainer = SmoothGrad(GuidedBackprop(model), n_samples=3)
    assert explainer._explainer_for_passes(x) is explainer.explainer
    no_copy = SmoothGrad(GuidedBackprop(make_tiny()), n_samples=3, fast_copy=False)
    assert no_copy._explainer_for_passes(x) is no_copy.explainer


class SamePadConv(nn.Conv2d):
    """A Conv2d subclass with its own forward (EfficientNet's static same padding is one)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.conv2d(nn.functional.pad(x, (1, 1, 1, 1)), self.weight, self.bias)


class SharedConv(nn.Module):
    """One conv module called twice, each call followed by its own BatchNorm: folding either BN
    into the shared conv would change the other call."""

    def __init__(self) -> None:
        super().__init__()
        self.sub = SamePadConv(3, 3, 3, bias=False)
        self.bn_sub = nn.BatchNorm2d(3)
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.bn_a, self.bn_b = nn.BatchNorm2d(3), nn.BatchNorm2d(3)
        self.fc = nn.Linear(3 * 8 * 8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn_sub(self.sub(x))
        return self.fc((self.bn_a(self.conv(x)) + self.bn_b(self.conv(x))).flatten(1))


def test_folds_into_conv_subclasses_but_never_into_a_conv_called_twice():
    torch.manual_seed(0)
    model = SharedConv()
    with torch.no_grad():
        for bn in (model.bn_sub, model.bn_a, model.bn_b):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
    model.eval()
    x = torch.randn(2, 3, 8, 8)
    copy = make_fast_copy(model, x)
    assert copy is not None
    kept = {name for name, m in copy.named_modules() if isinstance(m, nn.BatchNorm2d)}
    assert kept == {"bn_a", "bn_b"}  # bn_sub folded into the subclass conv; the shared conv left alone
    # the subclass only pads symmetrically: it became a plain convolution that pads by itself
    assert type(copy.sub) is nn.Conv2d and copy.sub.padding == (1, 1) and copy.sub.bias is not None
    with torch.no_grad():
        torch.testing.assert_close(copy(x), model(x), rtol=1e-5, atol=1e-5)


def test_pooling_before_rectifying_keeps_values_and_guided_gradients_bit_for_bit():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, padding=1),
                          nn.ReLU6(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 4 * 4, 3)).eval()
    x = torch.randn(4, 3, 16, 16)
    copy = make_fast_copy(model, x)
    order = [type(copy.get_submodule(n.target)).__name__ for n in copy.graph.nodes if n.op == "call_module"]
    assert order == ["Conv2d", "MaxPool2d", "ReLU", "Conv2d", "MaxPool2d", "ReLU6", "Flatten", "Linear"]
    assert all(m.inplace for m in copy.modules() if isinstance(m, (nn.ReLU, nn.ReLU6)))
    # no BatchNorm to fold: with channels_last on both sides the copy computes exactly the same
    for explainer in (Saliency(model, reduction="none", channels_last=True),
                      GuidedBackprop(model, channels_last=True)):
        assert torch.equal(explainer.on_model(copy).attribute(x, 1), explainer.attribute(x, 1))
    assert not Deconvnet(model).runs_on_copy  # its rule passes gradient where pooling first would not
    no_copy = SmoothGrad(Deconvnet(model), n_samples=2)
    assert no_copy._explainer_for_passes(x) is no_copy.explainer


class InPlaceShared(nn.Module):
    """An in-place ReLU whose input is also read after it: that reader sees the rectified values,
    so pooling first (which would leave them unrectified) must not happen here."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.act = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        pooled = self.pool(self.act(y))
        return self.fc(pooled.flatten(1)) + y.mean()


def test_no_pooling_first_where_an_in_place_rectifier_feeds_another_reader():
    torch.manual_seed(0)
    model, x = InPlaceShared().eval(), torch.randn(2, 3, 8, 8)
    copy = make_fast_copy(model, x)
    assert copy is not None  # pooling first here would fail the probe check and lose the copy
    order = [type(copy.get_submodule(n.target)).__name__ for n in copy.graph.nodes if n.op == "call_module"]
    assert order[:3] == ["Conv2d", "ReLU", "MaxPool2d"]
    with torch.no_grad():
        torch.testing.assert_close(copy(x), model(x))


class StaticSamePad(nn.Conv2d):
    """EfficientNet-PyTorch's Conv2dStaticSamePadding: TensorFlow's "same" padding computed once for
    a fixed image size, symmetric at stride 1, one pixel more on the right and bottom at stride 2."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, size: int) -> None:
        super().__init__(cin, cout, kernel, stride, bias=False)
        out = -(-size // stride)
        total = max((out - 1) * stride + kernel - size, 0)
        self.static_padding = nn.ZeroPad2d((total // 2, total - total // 2, total // 2, total - total // 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.static_padding(x)
        return nn.functional.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Paddings(nn.Module):
    """Every form of zero padding before a convolution that the copy merges, and the forms it must
    keep: asymmetric, a non-zero value, a padding read twice, a convolution called twice."""

    def __init__(self) -> None:
        super().__init__()
        self.same1 = StaticSamePad(3, 6, 3, 1, 16)   # symmetric: merged
        self.same2 = StaticSamePad(6, 6, 3, 2, 16)   # (0, 1, 0, 1): kept
        self.pad = nn.ZeroPad2d(1)
        self.conv_a = nn.Conv2d(6, 6, 3)              # after nn.ZeroPad2d: merged
        self.conv_b = nn.Conv2d(6, 6, 3, padding=1)   # after F.pad(x, (2, 2, 1, 1)): merged into (2, 3)
        self.conv_c = nn.Conv2d(6, 6, 3)              # after F.pad with value 1.0: kept
        self.conv_d = nn.Conv2d(6, 6, 1)              # its padding also read by the residual: kept
        self.conv_e = nn.Conv2d(6, 6, 3)              # called twice: kept
        self.fc = nn.Linear(6, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.same2(torch.relu(self.same1(x))))
        x = torch.relu(self.conv_a(self.pad(x)))
        x = torch.relu(self.conv_b(nn.functional.pad(x, (1, 1, 2, 2))))
        x = torch.relu(self.conv_c(nn.functional.pad(x, (1, 1, 1, 1), value=1.0)))
        padded = nn.functional.pad(x, (1, 1, 1, 1))
        x = self.conv_d(padded) + padded
        x = self.conv_e(nn.functional.pad(x, (1, 1, 1, 1))) + self.conv_e(nn.functional.pad(x, (1, 1, 1, 1)))
        return self.fc(x.mean((2, 3)))


def test_symmetric_zero_padding_merges_into_the_convolution_and_keeps_maps():
    torch.manual_seed(0)
    model, x = Paddings().eval(), torch.rand(3, 3, 16, 16)
    copy = make_fast_copy(model, x)
    assert copy is not None
    assert type(copy.same1) is nn.Conv2d and copy.same1.padding == (1, 1)
    assert type(copy.same2) is StaticSamePad
    assert copy.conv_a.padding == (1, 1) and copy.conv_b.padding == (3, 2)
    assert copy.conv_c.padding == copy.conv_d.padding == copy.conv_e.padding == (0, 0)
    pads = [n for n in copy.graph.nodes if n.target is nn.functional.pad]
    assert len(pads) == 4  # value 1.0, read twice, and the two before the shared conv_e
    assert not any(isinstance(m, nn.ZeroPad2d) for name, m in copy.named_children())
    assert model.conv_a.padding == (0, 0) and type(model.same1) is StaticSamePad  # the model is untouched
    with torch.no_grad():
        torch.testing.assert_close(copy(x), model(x), rtol=1e-5, atol=1e-5)
    for explainer in (Saliency(model, reduction="none"), GuidedBackprop(model)):
        torch.testing.assert_close(explainer.on_model(copy).attribute(x, 1), explainer.attribute(x, 1),
                                   rtol=1e-4, atol=1e-6)
