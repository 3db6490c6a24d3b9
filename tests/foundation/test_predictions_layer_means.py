"""predict_split records channel means of the asked layers from its own forward passes."""
from __future__ import annotations

import torch

from helpers.data.food11 import Food11Split
from helpers.evaluation.activations import selective_filters
from helpers.evaluation.predictions import predict_split
from helpers.explain.filters import layer_output
from helpers.models.classic import Food11CNN


def test_layer_means_equal_a_separate_pass_and_leave_no_hook(food11_dir):
    tiny_split = Food11Split(food11_dir, "evaluation", 32, num_classes=2)
    torch.manual_seed(0)
    model = Food11CNN(tiny_split.num_classes, input_size=tiny_split.image_size).eval()
    result = predict_split(model, tiny_split, batch_size=3, layers=["conv2", "cnn.8"])
    assert set(result.layer_means) == {"cnn.4", "cnn.8"}
    images, _, kept = tiny_split.load_many(result.indices)
    with torch.no_grad():
        expected = layer_output(model, "conv2", images).mean(dim=(2, 3))
    assert torch.allclose(result.layer_means["cnn.4"], expected, atol=1e-5)
    assert result.layer_means["cnn.8"].shape == (len(kept), 256)
    assert all(not m._forward_hooks for m in model.modules())
    assert predict_split(model, tiny_split, batch_size=3).layer_means == {}


def test_selective_filters_ranks_the_filter_that_separates_classes_first():
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    means = torch.randn(6, 4, generator=torch.Generator().manual_seed(0)) * 0.1
    means[:, 2] += torch.tensor([0.0, 0, 0, 5, 5, 5])
    assert selective_filters(means, labels)[0] == 2


def test_channels_last_gives_the_same_predictions_and_means_and_puts_the_weights_back(food11_dir):
    tiny_split = Food11Split(food11_dir, "evaluation", 32, num_classes=2)
    torch.manual_seed(0)
    model = Food11CNN(tiny_split.num_classes, input_size=tiny_split.image_size).eval()
    weights = [(p, p.data_ptr(), p.stride()) for p in model.parameters()]
    plain = predict_split(model, tiny_split, batch_size=3, layers=["conv2"])
    fast = predict_split(model, tiny_split, batch_size=2, layers=["conv2"], channels_last=True)
    assert fast.indices == plain.indices and torch.equal(fast.predicted, plain.predicted)
    torch.testing.assert_close(fast.probabilities, plain.probabilities, rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(fast.layer_means["cnn.4"], plain.layer_means["cnn.4"], rtol=1e-4, atol=1e-5)
    # the very same weight tensors, memory and strides (contiguous) as before
    assert all(p is q and p.data_ptr() == pointer and p.stride() == stride
               for (p, pointer, stride), q in zip(weights, model.parameters()))
