"""The user's own model (issue 20): a class from their file, torchvision and timm by name, the
preprocessing wrapper, layers by the user's names, and one clear message for each bad input."""
from __future__ import annotations

import json
import sys
import types

import pytest
import torch
import torchvision
from torch import nn

from helpers.models.checkpoint import CheckpointError
from helpers.models.layers import conv_layers, default_filter_layer, default_gradcam_layer, resolve_layer
from helpers.models.preprocessing import Preprocessed
from helpers.models.registry import load_model
from helpers.models.user_models import ModelSpecError
from helpers.report.cache import model_fingerprint
from tests import user_model_kit as kit

MEAN = torch.tensor(kit.IMAGENET_MEAN).view(1, 3, 1, 1)
STD = torch.tensor(kit.IMAGENET_STD).view(1, 3, 1, 1)


def load(params: dict, **extra):
    arguments = {"architecture": params["model_arch"], "checkpoint": params.get("checkpoint"),
                 "input_size": params.get("input_size"), "model_kwargs": params.get("model_kwargs"),
                 "normalize": params.get("normalize"), "allow_pickle": params.get("checkpoint_allow_pickle", False),
                 "device": "cpu"}
    return load_model(**{**arguments, **extra})


def reference_student(user):
    module = kit.import_student(user.model_file, "student_reference")
    net = module.StudentNet(**kit.STUDENT_KWARGS)
    net.load_state_dict(torch.load(user.checkpoint, weights_only=True))
    return net.eval()


def test_student_file_loads_with_its_state_dict_and_normalises_inside(tmp_path):
    user = kit.student_state_dict(tmp_path)
    loaded = load(user.params)
    x = torch.rand(2, 3, 32, 32)
    expected = reference_student(user)((x - MEAN) / STD)
    torch.testing.assert_close(loaded.model(x), expected, rtol=0, atol=0)
    assert (loaded.num_classes, loaded.input_size, loaded.resize_mode) == (3, 32, "squash")
    assert (loaded.normalize, loaded.mean, loaded.std) == ("imagenet", kit.IMAGENET_MEAN, kit.IMAGENET_STD)
    assert loaded.model_class == "StudentNet" and loaded.model_file == user.model_file.resolve()
    assert not loaded.model.training


def test_without_normalize_a_user_class_gets_none_and_the_output_differs(tmp_path):
    user = kit.student_state_dict(tmp_path)
    plain = load({**user.params, "normalize": None})
    x = torch.rand(2, 3, 32, 32)
    assert plain.normalize == "none" and plain.mean is None
    torch.testing.assert_close(plain.model(x), reference_student(user)(x), rtol=0, atol=0)
    assert not torch.allclose(plain.model(x), load(user.params).model(x))


def test_explicit_mean_std_and_bgr_are_applied_in_the_model_s_channel_order(tmp_path):
    user = kit.student_state_dict(tmp_path)
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.25, 0.125]
    loaded = load({**user.params, "normalize": {"mean": mean, "std": std}}, channel_order="bgr")
    x = torch.rand(2, 3, 32, 32)
    expected = reference_student(user)((x.flip(1) - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1))
    torch.testing.assert_close(loaded.model(x), expected)
    assert loaded.normalize == "custom" and loaded.channel_order == "bgr"


@pytest.mark.parametrize("wrap", [lambda s: {"state_dict": s, "epoch": 3}, lambda s: {f"module.{k}": v for k, v in s.items()}])
def test_wrapped_or_module_prefixed_state_dicts_of_a_user_class_load(tmp_path, wrap):
    user = kit.student_state_dict(tmp_path)
    other = tmp_path / "wrapped.pt"
    torch.save(wrap(torch.load(user.checkpoint, weights_only=True)), other)
    x = torch.rand(1, 3, 32, 32)
    torch.testing.assert_close(load({**user.params, "checkpoint": str(other)}).model(x), load(user.params).model(x))


def test_whole_pickled_student_is_refused_by_default_and_loads_with_allow_pickle(tmp_path):
    user = kit.student_pickled(tmp_path)
    assert "student_model" not in sys.modules  # as in a fresh kernel: the pickle's module is not importable
    with pytest.raises(CheckpointError, match="allow_pickle=True"):
        load({**user.params, "checkpoint_allow_pickle": False})
    loaded = load(user.params)
    assert type(loaded.model.net).__name__ == "StudentNet" and loaded.num_classes == 3
    x = torch.rand(2, 3, 32, 32)
    torch.testing.assert_close(loaded.model(x), reference_student_from(loaded.model.net, x))


def reference_student_from(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return net((x - MEAN) / STD)


def test_torchvision_resnet18_reads_its_class_count_off_the_checkpoint_s_fc(tmp_path):
    user = kit.torchvision_resnet18(tmp_path, num_classes=11)
    loaded = load(user.params)
    reference = torchvision.models.resnet18(num_classes=11)
    reference.load_state_dict(torch.load(user.checkpoint, weights_only=True))
    x = torch.rand(2, 3, 64, 64)
    torch.testing.assert_close(loaded.model(x), reference.eval()((x - MEAN) / STD), rtol=0, atol=0)
    assert (loaded.num_classes, loaded.normalize, loaded.resize_mode, loaded.model_class) == (11, "imagenet", "center_crop", "ResNet")
    assert load({**user.params, "input_size": None}).input_size == 224  # torchvision's own crop size


def test_torchvision_mobilenet_v3_small_with_a_small_head(tmp_path):
    loaded = load(kit.torchvision_mobilenet_v3_small(tmp_path, num_classes=3).params)
    assert loaded.num_classes == 3 and isinstance(loaded.model, Preprocessed)
    assert any(isinstance(m, nn.Hardswish) for m in loaded.model.modules())


def test_layers_keep_the_user_s_names_inside_the_wrapper(tmp_path):
    loaded = load(kit.torchvision_resnet18(tmp_path).params)
    names = [c.name for c in conv_layers(loaded.model)]
    assert names == [n for n, m in loaded.model.net.named_modules() if isinstance(m, nn.Conv2d)]
    assert not any(n.startswith("net.") for n in names)
    assert resolve_layer(loaded.model, "layer4.1.conv2") == ("layer4.1.conv2", loaded.model.net.layer4[1].conv2)
    assert resolve_layer(loaded.model, "conv1")[1] is loaded.model.net.conv1  # the alias of the first conv


def test_grad_cam_s_default_is_the_last_conv_with_a_spatial_output():
    class ConvHead(nn.Module):  # a head made of a 1x1-output convolution after the last spatial one
        def __init__(self):
            super().__init__()
            self.body = nn.Conv2d(3, 4, 3, padding=1)
            self.squeeze = nn.Conv2d(4, 5, 8)  # 8x8 -> 1x1: Grad-CAM there would be a constant map

        def forward(self, x):
            return self.squeeze(torch.relu(self.body(x))).flatten(1)

    model = ConvHead().eval()
    assert default_gradcam_layer(model, 8) == "body"
    assert conv_layers(model)[-1].name == "squeeze"


def test_default_layers_of_the_classic_model_are_unchanged():
    model = load_model("classic", input_size=32, device="cpu").model
    assert default_gradcam_layer(model, 32) == conv_layers(model)[-1].name  # what the report used before
    assert default_filter_layer(model, 32) == resolve_layer(model, "conv3")[0]


def test_timm_by_name_through_an_installed_timm(tmp_path, monkeypatch):
    calls = []

    def create_model(name, pretrained=True, num_classes=1000):
        calls.append((name, pretrained, num_classes))
        net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, num_classes))
        net.pretrained_cfg = {"input_size": (3, 48, 48), "mean": (0.5, 0.5, 0.5), "std": (0.25, 0.25, 0.25)}
        return net

    fake = types.SimpleNamespace(create_model=create_model, is_model=lambda n: n == "tiny_net",
                                 list_models=lambda: ["tiny_net"])
    monkeypatch.setitem(sys.modules, "timm", fake)
    torch.save(create_model("tiny_net", num_classes=7).state_dict(), tmp_path / "timm.pt")
    loaded = load_model("timm:tiny_net", tmp_path / "timm.pt", device="cpu")
    assert calls[-1] == ("tiny_net", False, 7)
    assert (loaded.num_classes, loaded.input_size, loaded.mean, loaded.std) == (7, 48, (0.5,) * 3, (0.25,) * 3)
    with pytest.raises(ModelSpecError, match="timm has no model 'tiny_nett'. Did you mean tiny_net"):
        load_model("timm:tiny_nett", device="cpu")


def test_timm_missing_says_it_is_optional(monkeypatch):
    monkeypatch.setitem(sys.modules, "timm", None)  # import timm raises ImportError
    with pytest.raises(ModelSpecError, match="optional package timm, which is not installed"):
        load_model("timm:resnet18", device="cpu")


# -- bad input: one clear message ------------------------------------------------------------------
BAD_MODELS = '''
import torch
from torch import nn


class Raises(nn.Module):
    def __init__(self, depth=3):
        super().__init__()
        raise ValueError(f"depth {depth} is not supported")


class TupleOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)

    def forward(self, x):
        return self.fc(x.mean((2, 3))), x


class MapOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return self.conv(x)


class FixedSize(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3 * 16 * 16, 2)

    def forward(self, x):
        return self.fc(x.flatten(1))
'''


@pytest.fixture
def bad_file(tmp_path):
    path = tmp_path / "bad_models.py"
    path.write_text(BAD_MODELS, encoding="utf-8")
    return path


@pytest.mark.parametrize("arch, kwargs, size, message", [
    ("{d}/missing.py:Net", {}, 32, r"model file .*missing.py does not exist"),
    ("{f}:Classifier", {}, 32, r"has no class 'Classifier'; its nn.Module classes: Raises, TupleOut, MapOut, FixedSize"),
    ("{f}:Raises", {"depth": 5}, 32, r"Raises\(\*\*\{'depth': 5\}\) raised ValueError: depth 5 is not supported"),
    ("{f}:TupleOut", {}, 32, r"returns a tuple, not a tensor of logits \(N, classes\)"),
    ("{f}:MapOut", {}, 32, r"shape \(2, 4, 32, 32\): expected float logits of shape \(2, classes\)"),
    ("{f}:FixedSize", {}, 32, r"cannot take 32x32 input: .*raised RuntimeError: mat1 and mat2 shapes cannot be multiplied"),
    ("torchvision:resnet81", {}, 32, r"torchvision has no classification model 'resnet81'. Did you mean resnet18"),
    ("torchvision:resnet18", {"widht": 2}, 32, r"get_model\('resnet18', weights=None, \*\*\{'widht': 2\}\) raised TypeError"),
])
def test_bad_model_gives_one_clear_message(bad_file, arch, kwargs, size, message):
    with pytest.raises(ModelSpecError, match=message):
        load_model(arch.format(f=bad_file, d=bad_file.parent), input_size=size, model_kwargs=kwargs, device="cpu")
    assert load_model(f"{bad_file}:FixedSize", input_size=16, device="cpu").num_classes == 2


def test_a_checkpoint_that_does_not_fit_the_class_names_the_keys(tmp_path):
    user = kit.student_state_dict(tmp_path)
    with pytest.raises(CheckpointError, match=r"(?s)does not fit StudentNet:.*shapes that differ.*convs.1.weight"):
        load({**user.params, "model_kwargs": {**kit.STUDENT_KWARGS, "widths": [8, 24, 16, 32, 32]}})


def test_a_user_class_needs_an_input_size(tmp_path):
    user = kit.student_state_dict(tmp_path)
    with pytest.raises(ModelSpecError, match="input_size is needed for StudentNet"):
        load({**user.params, "input_size": None})


def test_importing_the_file_writes_nothing_and_leaves_sys_path_as_it_was(tmp_path):
    (tmp_path / "blocks.py").write_text("from torch import nn\nWIDTH = 4\n", encoding="utf-8")
    (tmp_path / "net.py").write_text(
        "from torch import nn\nfrom blocks import WIDTH\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.conv = nn.Conv2d(3, WIDTH, 3)\n        self.fc = nn.Linear(WIDTH, 2)\n\n"
        "    def forward(self, x):\n        return self.fc(self.conv(x).mean((2, 3)))\n", encoding="utf-8")
    before, path_before = sorted(tmp_path.rglob("*")), list(sys.path)
    try:
        loaded = load_model(f"{tmp_path}/net.py:Net", input_size=8, device="cpu")
    finally:
        sys.modules.pop("blocks", None)
    assert loaded.num_classes == 2
    assert sorted(tmp_path.rglob("*")) == before, "no __pycache__ beside the user's files"
    assert sys.path == path_before


def test_fingerprint_covers_the_model_file_s_source_kwargs_and_normalisation(tmp_path):
    user = kit.student_state_dict(tmp_path)
    first = model_fingerprint(load(user.params).model)
    assert model_fingerprint(load(user.params).model) == first  # the same file, weights and settings
    assert model_fingerprint(load({**user.params, "normalize": "none"}).model) != first
    # Dropout's rate changes no weight, only what the file's constructor built
    assert model_fingerprint(load({**user.params, "model_kwargs": {**kit.STUDENT_KWARGS, "dropout": 0.5}}).model) != first
    user.model_file.write_text(user.model_file.read_text() + "\n# an edit that changes no weight\n")
    assert model_fingerprint(load(user.params).model) != first


def test_default_and_classic_fingerprints_are_unchanged_by_the_wrapper_code():
    torch.manual_seed(0)
    classic = load_model("classic", input_size=32, device="cpu")
    assert not isinstance(classic.model, Preprocessed)
    assert classic.normalize == "none" and classic.resize_mode == "squash"
    wrapped = load_model("classic", input_size=32, device="cpu", normalize="imagenet")
    assert isinstance(wrapped.model, Preprocessed) and [c.name for c in conv_layers(wrapped.model)] == \
        [c.name for c in conv_layers(classic.model)]


def test_model_kwargs_are_refused_for_the_built_in_architectures():
    with pytest.raises(ModelSpecError, match="the classic architecture takes none"):
        load_model("classic", model_kwargs={"dropout": 0.5}, device="cpu")


def test_accuracy_command_takes_a_user_model(tmp_path, capsys):
    from helpers.evaluation.accuracy import main
    from tests.foundation.foundation_fixtures import write_image

    for label, colour in enumerate([(200, 40, 40), (40, 200, 40), (40, 40, 200)]):
        for split in ("training", "validation", "evaluation"):
            for n in range(2):
                write_image(tmp_path / "data" / split / f"{label}_{n}.jpg", colour, size=24, seed=n)
    user = kit.student_state_dict(tmp_path / "model")
    code = main(["--data", str(tmp_path / "data"), "--arch", user.params["model_arch"], "--checkpoint",
                 str(user.checkpoint), "--model-kwargs", json.dumps(kit.STUDENT_KWARGS),
                 "--input-size", "32", "--normalize", "imagenet", "--device", "cpu"])
    assert code == 0
    assert "StudentNet model on data/evaluation: accuracy" in capsys.readouterr().out
