"""The user's own model through the report's first cells (issue 20): the four user models of the
``user_models`` fixture load in the first cell, section 0 states their preprocessing in both
languages, and each bad model input stops the first cell with one message, nothing written.
In-process, as papermill would run the cells (the whole-report runs are papermill tests)."""
from __future__ import annotations

import nbformat
import pytest

from helpers.report.params import NOTEBOOK, ReportParameterError, check_values, collect_parameters
from helpers.report.setup import open_report


def run_section_0(parameters: dict) -> tuple[dict, list[str]]:
    """Run the code cells up to section 0's convolution-layer sentence; return the namespace and
    what ``say`` printed."""
    code = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    namespace: dict = {}
    said: list[str] = []
    for cell in code:
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        exec(compile(source, "<cell>", "exec"), namespace)
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(parameters)
        if "open_report(globals())" in source:
            run = namespace["run"]
            namespace["say"] = lambda en, zh_TW: said.append(run.tr(en, zh_TW))
        if "**Convolution layers.**" in source:
            return namespace, said
    raise AssertionError("no convolution-layer sentence in the notebook")


@pytest.mark.parametrize("which, arch, layer, gradcam", [
    ("student", "StudentNet", "convs.2", "convs.4"),
    ("pickled", "StudentNet", "convs.2", "convs.4"),
    ("resnet18", "ResNet", "layer3.0.conv1", "layer4.1.conv2"),
    ("mobilenet", "MobileNetV3", "features.6.block.3.0", "features.12.0"),
])
def test_user_models_load_in_the_first_cell(tiny_kit, user_models, tmp_path, which, arch, layer, gradcam):
    run = open_report(tiny_kit.params(tmp_path, **getattr(user_models, which).params))
    assert run.loaded.model_class == arch and (run.layer, run.gradcam_layer) == (layer, gradcam)
    assert run.class_names[:3] == tiny_kit.CLASS_NAMES
    if which == "resnet18":  # 11 outputs on 3-class data: the extra ones are named, never seen
        assert len(run.class_names) == 11


@pytest.mark.slow
@pytest.mark.parametrize("language, needles", [
    ("en", ["your own class `StudentNet`", "widths=[8, 16, 16, 32, 32]", "squashed to 32x32 (the whole photo)",
            "kept in RGB order", "mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225] (ImageNet's)",
            "Grad-CAM uses `convs.4`"]),
    ("zh-TW", ["你自己的類別 `StudentNet`", "整張照片縮放成 32x32", "維持 RGB 順序", "（ImageNet 的數值）",
               "Grad-CAM 使用 `convs.4`"]),
])
def test_section_0_states_the_model_and_its_preprocessing(tiny_kit, user_models, tmp_path, language, needles):
    _, said = run_section_0(tiny_kit.params(tmp_path, language=language, **user_models.student.params))
    text = "\n".join(said)
    for needle in needles:
        assert needle in text, text
    assert str(user_models.student.model_file.name) in text


def test_torchvision_sentence_states_its_crop(tiny_kit, user_models, tmp_path):
    run = open_report(tiny_kit.params(tmp_path, resize="center_crop", **user_models.resnet18.params))
    assert run.loaded.resize_mode == "center_crop" and run.split.resize_mode == "center_crop"


BAD = [
    ({"model_arch": "model.txt:Net"}, "Parameter model_arch = 'model.txt:Net' is not valid"),
    ({"model_arch": "{dir}/missing.py:Net", "checkpoint": None, "input_size": 32}, "missing.py does not exist"),
    ({"model_arch": "torchvision:resnet81", "checkpoint": None}, "Did you mean resnet18"),
    ({"model_kwargs": [1, 2]}, "Parameter model_kwargs = [1, 2] is not valid"),
    ({"normalize": "imagenett"}, "Parameter normalize = 'imagenett' is not valid"),
    ({"normalize": {"mean": [0.5], "std": [0]}}, "Parameter normalize"),
    ({"resize": "crop"}, "Parameter resize = 'crop' is not valid: use one of None, 'squash', 'center_crop'"),
    ({"input_size": 64}, "the model cannot take 64x64 input"),  # its first Linear's size fits 32 px only
    ({"model_kwargs": {"widths": [8, 24, 16, 32, 32], "num_classes": 3, "input_size": 32}},
     "shapes that differ (7): convs.1.weight"),
    ({"model_kwargs": {"depth": 3}}, "StudentNet(**{'depth': 3}) raised TypeError"),
]


@pytest.mark.parametrize("overrides, needle", BAD)
def test_bad_model_input_stops_the_first_cell_with_one_message(tiny_kit, user_models, tmp_path, overrides, needle):
    params = {**user_models.student.params, **overrides}
    params["model_arch"] = params["model_arch"].format(dir=tmp_path)
    with pytest.raises(ReportParameterError) as caught:
        open_report(tiny_kit.params(tmp_path / "work", **params))
    assert needle in str(caught.value) and "\n" not in str(caught.value), str(caught.value)
    assert not (tmp_path / "work").exists(), "nothing written"


def test_new_parameters_have_defaults_and_accept_every_form(tmp_path):
    for value in ("default", "classic", "a/b/model.py:Net", "torchvision:resnet18", "timm:convnext_tiny"):
        check_values(collect_parameters({"model_arch": value}))
    for value in (None, "none", "imagenet", {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}):
        check_values(collect_parameters({"normalize": value}))
    defaults = collect_parameters({})
    assert (defaults.model_kwargs, defaults.normalize, defaults.resize) == ({}, None, None)


def test_resnet18_with_an_11_way_fc_on_image_folder_data(tiny_kit, user_models, tmp_path):
    """torchvision's ImageFolder layout (class folders, names from the folders) with 11 outputs for 3 folders."""
    import shutil

    folders = ["apple_pie", "bibimbap", "cannoli"]
    for source in tiny_kit.data.glob("*/*.jpg"):
        if source.name == tiny_kit.CORRUPT:
            continue
        label, number = source.stem.split("_")
        target = tmp_path / "data" / source.parent.name / folders[int(label)] / f"{number}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    params = {**tiny_kit.params(tmp_path / "work", **user_models.resnet18.params), "data_dir": str(tmp_path / "data")}
    run = open_report(params)
    assert run.loaded.num_classes == 11 and run.class_names[:3] == folders and len(run.class_names) == 11
