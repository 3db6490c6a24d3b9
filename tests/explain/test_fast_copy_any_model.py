"""The faster copy on models other than the report's own: torchvision's resnet18 (in-place ReLU
modules reused inside each block, residual adds, an overlapping max-pool), mobilenet_v3_small
(Hardswish, squeeze-excitation), a student model calling F.relu / x.relu() / F.max_pool2d, and a
forward torch.fx cannot trace. On each, guided backprop and SmoothGrad x guided backprop computed
on the copy equal the model's own passes to float rounding, and the rule reaches the same
rectifier calls in both."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn

from explain_testutils import all_hooks
from helpers.explain import GuidedBackprop, Saliency, SmoothGrad
from helpers.models.fast_copy import fast_copy_or_reason, make_fast_copy


def with_batchnorm_statistics(model: nn.Module) -> nn.Module:
    """Non-trivial BatchNorm statistics and affine parameters, so that folding them matters."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.3, 0.3, generator=generator)
                module.running_var.uniform_(0.5, 2.0, generator=generator)
                module.weight.uniform_(0.5, 1.5, generator=generator)
                module.bias.uniform_(-0.3, 0.3, generator=generator)
    return model.eval()


class Student(nn.Module):
    """A hand-written classifier: F.relu, x.relu(), F.max_pool2d, Dropout, torch.flatten."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16)
        self.drop, self.fc = nn.Dropout(0.3), nn.Linear(16 * 8 * 8, 11)

    def forward(self, x: Tensor) -> Tensor:
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(self.bn2(self.conv2(x)).relu(), 2)
        return self.fc(self.drop(torch.flatten(x, 1)))


class Untraceable(Student):
    """Data-dependent control flow: torch.fx cannot trace this forward."""

    def forward(self, x: Tensor) -> Tensor:
        if x.mean() > 2:  # never true for images in [0, 1]; the branch only blocks tracing
            x = x / 2
        return super().forward(x)


def build(name: str) -> nn.Module:
    torch.manual_seed(0)
    if name == "resnet18":
        model = torchvision.models.resnet18(weights=None, num_classes=11)
    elif name == "mobilenet_v3_small":
        model = torchvision.models.mobilenet_v3_small(weights=None, num_classes=11)
    else:
        model = {"student": Student, "untraceable": Untraceable}[name]()
    return with_batchnorm_statistics(model)


MODELS = ["resnet18", "mobilenet_v3_small", "student"]


@pytest.fixture(scope="module")
def images() -> Tensor:
    return torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))


def close_to_rounding(ours: Tensor, reference: Tensor) -> None:
    scale = reference.abs().max()
    assert scale > 0
    assert float((ours - reference).abs().max() / scale) <= 1e-4


@pytest.mark.parametrize("name", MODELS)
def test_guided_backprop_on_the_copy_equals_the_model_and_sees_the_same_rectifiers(name, images):
    model = build(name)
    copy = make_fast_copy(model, images)
    assert copy is not None
    assert not any(isinstance(m, nn.BatchNorm2d) for m in copy.modules())
    explainer = GuidedBackprop(model)
    own = explainer.attribute(images, 3)
    on_copy_explainer = explainer.on_model(copy)
    on_copy = on_copy_explainer.attribute(images, 3)
    close_to_rounding(on_copy, own)
    assert on_copy_explainer.coverage == explainer.coverage and explainer.coverage.n_applied > 0
    # the rule matters on each model: the plain gradient is another map
    plain = Saliency(model, reduction="none").attribute(images, 3)
    assert float((plain - own).abs().max() / own.abs().max()) > 0.05
    assert all_hooks(model) == 0 and torch._C._len_torch_function_stack() == 0


@pytest.mark.parametrize("name", MODELS)
def test_smoothgrad_guided_on_the_copy_equals_the_model_own_passes(name, images):
    model = build(name)
    settings = dict(sigma=0.2, n_samples=4, batch_size=4, seed=0)
    fast = SmoothGrad(GuidedBackprop(model), **settings)
    own = SmoothGrad(GuidedBackprop(model), fast_copy=False, **settings)
    close_to_rounding(fast.attribute(images, 5), own.attribute(images, 5))
    assert fast.passes_ran_on == "a faster copy of the model"
    assert own.passes_ran_on == "the model itself (fast_copy=False)"
    assert fast.coverage == own.coverage and fast.coverage.forward_passes == 2


def test_mobilenet_names_the_activations_without_a_rule(images):
    explainer = GuidedBackprop(build("mobilenet_v3_small"))
    explainer.attribute(images[:1], 0)
    cov = explainer.coverage
    assert set(cov.applied) == {"ReLU"} and set(cov.without_rule) == {"Hardswish", "Hardsigmoid"}
    assert cov.without_rule["Hardsigmoid"] == 9  # one per squeeze-excitation block
    assert not cov.complete


def test_resnet_reuses_its_in_place_relu_twice_per_block_and_each_call_counts(images):
    model = build("resnet18")
    explainer = GuidedBackprop(model)
    explainer.attribute(images[:1], 0)
    blocks = [m for m in model.modules() if isinstance(m, torchvision.models.resnet.BasicBlock)]
    assert all(block.relu.inplace for block in blocks)
    assert explainer.coverage.applied == {"ReLU": 1 + 2 * len(blocks)}  # the stem's and two per block
    copy = make_fast_copy(model, images)
    order = [copy.get_submodule(n.target) for n in copy.graph.nodes if n.op == "call_module"][:4]
    # the stem's max-pool has overlapping windows (3x3, stride 2): it must stay after the ReLU
    assert [type(m).__name__ for m in order] == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d"]


def test_student_model_gets_the_in_place_and_pool_first_passes_on_its_functional_calls(images):
    copy = make_fast_copy(build("student"), images)
    calls = [(n.target, dict(n.kwargs).get("inplace")) for n in copy.graph.nodes
             if n.op in ("call_function", "call_method") and n.target is not torch.flatten]
    assert calls == [(F.max_pool2d, None), (F.relu, True), (F.max_pool2d, None), ("relu_", None)]


def test_an_untraceable_forward_runs_on_the_model_itself_and_says_why(images):
    model = build("untraceable")
    copy, reason = fast_copy_or_reason(model, images)
    assert copy is None and "torch.fx cannot trace its forward" in reason
    settings = dict(n_samples=3, batch_size=4)
    explainer = SmoothGrad(GuidedBackprop(model), **settings)
    got = explainer.attribute(images, 2)
    assert explainer.passes_ran_on.startswith("the model itself (no faster copy: torch.fx cannot trace")
    assert explainer.coverage.applied == {"ReLU": 2 * 2}  # 2 per pass, 2 passes
    assert torch.equal(got, SmoothGrad(GuidedBackprop(model), fast_copy=False, **settings).attribute(images, 2))
