"""LIME wrapper: every class explained, superpixels from 0, seeded, float32 batched predictions,
identical to plain lime for the same seed."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from lime import lime_image
from torch import nn

from explain_testutils import make_tiny
from helpers.explain import LimeExplainer, make_predict_fn


class Recorder(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.calls: list[tuple[torch.dtype, int, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((x.dtype, x.shape[0], torch.is_grad_enabled()))
        return self.model(x)


@pytest.fixture
def coffee_32(coffee_128):
    return torch.nn.functional.interpolate(coffee_128, size=(32, 32), mode="bilinear", antialias=True).clamp(0, 1)


class Tiny32(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten(),
                                 nn.Linear(128, 5))

    def forward(self, x):
        return self.net(x) * 10  # sharper probabilities so the surrogate has something to fit


def test_result_covers_all_classes_and_shapes(coffee_32):
    model = Recorder(Tiny32().eval())
    [result] = LimeExplainer(model, num_samples=60, n_segments=20, batch_size=16, fast_copy=False).explain(coffee_32)
    f = result.segments.max() + 1
    assert result.segments.shape == (32, 32) and result.segments.min() == 0
    assert np.array_equal(np.unique(result.segments), np.arange(f)), "superpixel ids must be 0..F-1"
    assert f > 5
    assert result.weights.shape == (5, f)
    assert result.score.shape == result.intercept.shape == result.local_pred.shape == (5,)
    assert np.allclose(result.probabilities.sum(), 1, atol=1e-5)
    assert result.predicted == int(np.argmax(result.probabilities))
    for label in range(5):  # no "Label not in explanation"
        result.explanation.get_image_and_mask(label, positive_only=True, num_features=3)
        pos = result.mask(label, positive=True, top_k=3)
        neg = result.mask(label, positive=False, top_k=None)
        assert pos.shape == neg.shape == (32, 32) and pos.dtype == bool
        assert not (pos & neg).any()
        chosen = np.unique(result.segments[pos])
        assert len(chosen) <= 3 and (result.weights[label, chosen] > 0).all()
        assert result.weight_map(label).shape == (32, 32)
    with pytest.raises(ValueError, match="5 classes"):
        result.mask(5)
    # every predict call: float32, no autograd, at most batch_size images
    assert all(dtype == torch.float32 and not grad and size <= 16 for dtype, size, grad in model.calls)
    assert sum(size for _, size, _ in model.calls) == 60


def test_seeded_reproducibility(coffee_32):
    model = Tiny32().eval()
    a = LimeExplainer(model, num_samples=40, n_segments=15, random_state=1).explain(coffee_32)[0]
    b = LimeExplainer(model, num_samples=40, n_segments=15, random_state=1).explain(coffee_32)[0]
    c = LimeExplainer(model, num_samples=40, n_segments=15, random_state=2).explain(coffee_32)[0]
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.segments, b.segments)
    assert not np.allclose(a.weights, c.weights)


def test_same_weights_as_plain_lime(coffee_32):
    """Our vectorised sampling consumes lime's RandomState exactly like lime: same explanation."""
    model = Tiny32().eval()
    ours_explainer = LimeExplainer(model, num_samples=50, n_segments=15, random_state=0)
    ours = ours_explainer.explain(coffee_32)[0]
    image = coffee_32[0].permute(1, 2, 0).double().numpy()
    ref = lime_image.LimeImageExplainer(random_state=0).explain_instance(
        image, make_predict_fn(model, 10), top_labels=5, num_samples=50, batch_size=10,
        segmentation_fn=ours_explainer.segmentation_fn)
    assert np.array_equal(ref.segments, ours.segments)
    for label, exp in ref.local_exp.items():
        for feature, weight in exp:
            assert abs(ours.weights[label, feature] - weight) <= 1e-6 * np.abs(ours.weights).max()
    last = ref.top_labels[0]  # lime keeps only the score of the last label it fits: the top one
    assert abs(ours.score[last] - ref.score) < 1e-6


def test_attribute_gives_superpixel_weight_maps(coffee_32):
    model = Tiny32().eval()
    explainer = LimeExplainer(model, num_samples=30, n_segments=10)
    x = torch.cat([coffee_32, coffee_32.flip(-1)])
    maps = explainer.attribute(x, target=[1, 2])
    results = explainer.explain(x)
    assert maps.shape == (2, 1, 32, 32)
    assert np.allclose(maps[0, 0].numpy(), results[0].weight_map(1))
    assert np.allclose(maps[1, 0].numpy(), results[1].weight_map(2))


def test_predict_fn_accepts_lime_float64_batches():
    model = Recorder(make_tiny())
    probs = make_predict_fn(model, batch_size=2)(np.random.rand(5, 16, 16, 3))
    assert probs.shape == (5, 4) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert [size for _, size, _ in model.calls] == [2, 2, 1]
    assert all(dtype == torch.float32 for dtype, _, _ in model.calls)


def test_no_tqdm_output(coffee_32, capsys):
    LimeExplainer(Tiny32().eval(), num_samples=20, n_segments=8).explain(coffee_32)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_fused_batchnorm_copy_gives_same_explanation_and_leaves_model_alone(coffee_128, classic):
    x = torch.nn.functional.interpolate(coffee_128, size=(64, 64), mode="bilinear", antialias=True).clamp(0, 1)
    from helpers.models.classic import Food11CNN

    torch.manual_seed(0)
    model = Food11CNN(input_size=64).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 2.0)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    explainer = LimeExplainer(model, num_samples=40, n_segments=15)
    assert explainer._inference_model(x) is not model  # the fused copy is used
    fused = explainer.explain(x)[0]
    plain = LimeExplainer(model, num_samples=40, n_segments=15, fast_copy=False).explain(x)[0]
    # a random model is nearly flat (weights ~1e-5): float32 rounding of the fused convs shows at ~1e-3
    assert np.abs(fused.weights - plain.weights).max() <= 5e-3 * np.abs(plain.weights).max()
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 5
