"""Loading users' checkpoints: plain, wrapped, DataParallel, mismatched, pickled, empty, not torch at all;
config inference."""
from __future__ import annotations

import os
import pickle

import pytest
import torch

from helpers.models.checkpoint import CheckpointError, load_checkpoint, read_state_dict, torch_file_format
from helpers.models.classic import Food11CNN
from helpers.models.registry import infer_classic_config, load_model


def _small(num_classes: int = 3, dropout: float = 0.0) -> Food11CNN:
    torch.manual_seed(0)
    return Food11CNN(num_classes, dropout=dropout, input_size=32)


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize("wrap", ["plain", "state_dict", "model_state_dict", "module_prefix"])
def test_good_and_wrapped_checkpoints_load(tmp_path, wrap):
    source = _small()
    state = source.state_dict()
    payload = {"plain": state, "state_dict": {"state_dict": state, "epoch": 7},
               "model_state_dict": {"model_state_dict": state, "optimizer_state_dict": {}},
               "module_prefix": {f"module.{k}": v for k, v in state.items()}}[wrap]
    path = tmp_path / "ckpt.pt"
    torch.save(payload, path)
    target = Food11CNN(3, input_size=32)
    load_checkpoint(target, path)
    assert _same_weights(source, target)


def test_mismatch_names_missing_unexpected_keys_and_shapes(tmp_path):
    path = tmp_path / "other.pt"
    state = _small(num_classes=5).state_dict()
    state["extra.weight"] = torch.zeros(1)
    del state["cnn.0.bias"]
    torch.save(state, path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(Food11CNN(3, input_size=32), path)
    message = str(error.value)
    assert "missing keys (1): cnn.0.bias" in message
    assert "unexpected keys (1): extra.weight" in message
    assert "fc.4.weight: checkpoint (5, 512) vs model (3, 512)" in message


def test_pickled_whole_model_is_refused_unless_allowed(tmp_path):
    path = tmp_path / "whole.pt"
    source = _small()
    torch.save(source, path)
    with pytest.raises(CheckpointError, match="refused by default.*allow_pickle=True"):
        read_state_dict(path)
    target = Food11CNN(3, input_size=32)
    load_checkpoint(target, path, allow_pickle=True)
    assert _same_weights(source, target)


def test_missing_file_and_dict_without_weights(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        read_state_dict(tmp_path / "nope.pt")
    torch.save({"epoch": 3, "lr": 0.1}, tmp_path / "nodict.pt")
    with pytest.raises(CheckpointError, match="no state_dict was found"):
        read_state_dict(tmp_path / "nodict.pt")


def test_empty_file_says_it_is_empty(tmp_path):
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"is empty \(0 bytes\)") as error:
        read_state_dict(path, allow_pickle=True)
    assert "allow_pickle" not in str(error.value)


def _truncated_checkpoint(path):
    torch.save(_small().state_dict(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("content", ["random", "text", "truncated", "plain_pickle"])
@pytest.mark.parametrize("allow_pickle", [False, True])
def test_not_a_torch_file_is_called_so_and_never_offered_allow_pickle(tmp_path, content, allow_pickle):
    path = tmp_path / "model.pt"
    if content == "random":
        path.write_bytes(b"\x00" + os.urandom(4096))  # a leading 0 byte: never a zip or pickle header
    elif content == "text":
        path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\n")
    elif content == "truncated":
        _truncated_checkpoint(path)
    else:
        path.write_bytes(pickle.dumps({"weights": [1.0, 2.0]}))
    with pytest.raises(CheckpointError) as error:
        read_state_dict(path, allow_pickle=allow_pickle)
    message = str(error.value)
    assert "is not a PyTorch checkpoint" in message
    assert "torch.save(model.state_dict(), path)" in message
    assert "allow_pickle" not in message and "pickled Python objects" not in message
    assert torch_file_format(path) is None


def test_what_a_broken_file_looks_like_is_named(tmp_path):
    path = tmp_path / "model.pt"
    _truncated_checkpoint(path)
    with pytest.raises(CheckpointError, match="truncated zip archive"):
        read_state_dict(path)
    path.write_text("hello\n")
    with pytest.raises(CheckpointError, match="text file \\(it starts with 'hello'\\)"):
        read_state_dict(path)


@pytest.mark.parametrize("zip_format", [True, False])
def test_real_checkpoints_are_recognised_in_both_torch_formats(tmp_path, zip_format):
    path = tmp_path / "c.pt"
    source = _small()
    torch.save(source.state_dict(), path, _use_new_zipfile_serialization=zip_format)
    assert torch_file_format(path) == ("zip" if zip_format else "legacy")
    target = Food11CNN(3, input_size=32)
    load_checkpoint(target, path)
    assert _same_weights(source, target)


@pytest.mark.parametrize("zip_format", [True, False])
def test_whole_pickled_model_names_its_class_and_suggests_allow_pickle(tmp_path, zip_format):
    path = tmp_path / "whole.pt"
    torch.save(_small(), path, _use_new_zipfile_serialization=zip_format)
    assert torch_file_format(path) is not None
    with pytest.raises(CheckpointError) as error:
        read_state_dict(path)
    message = str(error.value)
    assert "contains pickled Python objects" in message and "allow_pickle=True" in message
    assert "helpers.models.classic.Food11CNN" in message


@pytest.mark.parametrize("dropout", [0.0, 0.5])
def test_classic_config_is_read_off_the_checkpoint(tmp_path, dropout):
    source = _small(num_classes=4, dropout=dropout)
    path = tmp_path / "c.pt"
    torch.save({f"module.{k}": v for k, v in source.state_dict().items()}, path)
    config = infer_classic_config(torch.load(path, weights_only=True))
    assert config == {"num_classes": 4, "input_size": 32, "dropout": dropout}
    loaded = load_model("classic", path, channel_order="bgr", device="cpu")
    assert loaded.num_classes == 4 and loaded.input_size == 32 and not loaded.model.training
    assert _same_weights(source, loaded.model)
    x = torch.rand(2, 3, 32, 32)
    source.eval()
    assert torch.allclose(loaded.model(x), source(x.flip(1)))  # BGR weights see flipped channels
    with pytest.raises(CheckpointError, match="not num_classes=11"):
        load_model("classic", path, num_classes=11, device="cpu")


def test_registry_rejects_bad_choices():
    with pytest.raises(ValueError, match="Unknown architecture"):
        load_model("resnet")
    with pytest.raises(ValueError, match="channel_order"):
        load_model("classic", channel_order="hsv")
    with pytest.raises(ValueError, match="expect RGB"):
        load_model("default", channel_order="bgr")


def test_default_model_refuses_a_classic_checkpoint(tmp_path):
    path = tmp_path / "c.pt"
    torch.save(_small().state_dict(), path)
    with pytest.raises(CheckpointError, match="set the architecture to 'classic'"):
        load_model("default", path, device="cpu")
