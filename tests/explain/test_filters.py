"""A layer's output and a filter's activation maps on real images."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from explain_testutils import all_hooks, make_tiny
from helpers.explain import activation_maps, layer_output


def _conv2_reference(model, x):
    with torch.no_grad():
        return model.conv2(model.act1(model.bn1(model.conv1(x))))


def test_activation_maps_shape_and_values(tiny):
    x = torch.rand(5, 3, 16, 16)
    result = activation_maps(tiny, "conv2", x, filter_index=3, batch_size=2)
    assert result.maps.shape == (5, 16, 16) and result.layer == "conv2" and result.filter_index == 3
    expected = _conv2_reference(tiny, x)[:, 3]
    torch.testing.assert_close(result.maps, expected)
    torch.testing.assert_close(result.mean, expected.mean(dim=(1, 2)))
    assert all_hooks(tiny) == 0


def test_activation_maps_errors_list_valid_names(tiny):
    with pytest.raises(IndexError, match="0..7"):
        activation_maps(tiny, "conv2", torch.rand(1, 3, 16, 16), filter_index=8)
    with pytest.raises(KeyError, match=r"conv1 \(conv1, 8 filters\)"):
        activation_maps(tiny, "nope", torch.rand(1, 3, 16, 16), filter_index=0)


@pytest.mark.parametrize("layer", ["conv2", "_module"])
def test_layer_output_by_name_or_module(tiny, layer):
    x = torch.rand(2, 3, 16, 16)
    out = layer_output(tiny, tiny.conv2 if layer == "_module" else layer, x)
    torch.testing.assert_close(out, _conv2_reference(tiny, x))
    assert all_hooks(tiny) == 0


class _Recorder(nn.Module):
    """Identity that counts its calls: shows whether the forward pass went past the layer."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return x


@pytest.mark.parametrize("stop_early,calls", [(True, 0), (False, 1)])
def test_layer_output_stops_the_forward_pass_at_the_layer(stop_early, calls):
    model = make_tiny()
    model.drop = _Recorder()  # runs after conv2 in TinyNet.forward
    with torch.no_grad():
        out = layer_output(model, "conv1", torch.rand(1, 3, 16, 16), stop_early=stop_early)
    assert out.shape == (1, 8, 16, 16) and model.drop.calls == calls
    assert all_hooks(model) == 0


def test_layer_output_explains_what_was_wrong(tiny):
    with pytest.raises(ValueError, match="not a submodule"):
        layer_output(tiny, nn.Conv2d(3, 8, 3), torch.rand(1, 3, 16, 16))
    unused = make_tiny()
    unused.extra = nn.Conv2d(8, 8, 3)  # registered but never called by forward()
    with pytest.raises(ValueError, match="did not run"):
        layer_output(unused, "extra", torch.rand(1, 3, 16, 16))
    assert all_hooks(unused) == 0
    with pytest.raises(TypeError, match="torch.nn.Module"):
        layer_output(object(), "conv1", torch.rand(1, 3, 16, 16))


def test_filters_module_keeps_its_import_path():
    from helpers.explain import filters

    assert filters.layer_output is layer_output and filters.activation_maps is activation_maps
