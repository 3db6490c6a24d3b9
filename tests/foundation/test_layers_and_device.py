"""Layers by readable name, filter ranges, device choice."""
from __future__ import annotations

import pytest
import torch

from helpers.device import pick_device
from helpers.models.classic import Food11CNN
from helpers.models.layers import (LayerNotFoundError, check_filter_index, conv_layers, layer_aliases,
                                   resolve_layer)


def test_classic_conv_layers_are_listed_with_channels():
    layers = conv_layers(Food11CNN())
    assert [c.alias for c in layers] == ["conv1", "conv2", "conv3", "conv4", "conv5"]
    assert [c.out_channels for c in layers] == [64, 128, 256, 512, 512]
    assert [c.name for c in layers] == ["cnn.0", "cnn.4", "cnn.8", "cnn.12", "cnn.16"]


def test_aliases_follow_the_model_not_fixed_indices():
    plain, dropout = layer_aliases(Food11CNN()), layer_aliases(Food11CNN(dropout=0.3))
    assert plain["conv2"] == "cnn.4" and dropout["conv2"] == "cnn.5"
    assert plain["relu5"] == "cnn.18" and plain["fc3"] == "fc.4"


def test_resolve_layer_by_alias_or_name_and_error_lists_valid_names():
    model = Food11CNN()
    assert resolve_layer(model, "conv3")[0] == "cnn.8"
    assert resolve_layer(model, "cnn.8")[1] is model.cnn[8]
    with pytest.raises(LayerNotFoundError) as error:
        resolve_layer(model, "conv9")
    assert "conv5 (cnn.16, 512 filters)" in str(error.value)


def test_filter_index_is_range_checked():
    model = Food11CNN()
    assert check_filter_index(model, "conv1", 63) == 64
    with pytest.raises(IndexError, match="0..63"):
        check_filter_index(model, "conv1", 64)
    with pytest.raises(IndexError):
        check_filter_index(model, "conv1", -1)
    with pytest.raises(ValueError, match="has no filters"):
        check_filter_index(model, "relu1", 0)


def test_pick_device():
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            pick_device("cuda")
    with pytest.raises(ValueError, match="Unknown device"):
        pick_device("tpu-9")
