"""Bad parameters stop the report with one clear message naming the parameter and the valid
values, in the report's language; checked in-process (the papermill route is in
test_report_papermill.py)."""
from __future__ import annotations

import os

import pytest

from helpers.report.params import ReportParameterError, check_values, collect_parameters
from helpers.report.setup import open_report


def params(**overrides):
    return collect_parameters(overrides)


@pytest.mark.parametrize("field, value, needle", [
    ("smoothgrad_sigma", 0, "smoothgrad_sigma = 0"),
    ("smoothgrad_sigma", -0.1, "number > 0"),
    ("smoothgrad_samples", 0, "integer >= 1"),
    ("lime_samples", 1, "integer >= 2"),
    ("saliency_variant", "fancy", "'max_abs', 'course'"),
    ("split", "test", "'training', 'validation', 'evaluation'"),
    ("image_ids", "0_1", "list of image ids"),
    ("filter_index", -1, "filter_index"),
    ("use_cache", "yes", "True or False"),
    ("n_images", 0, "None or an integer >= 1"),
])
def test_value_checks_name_parameter_and_valid_values(field, value, needle):
    with pytest.raises(ReportParameterError) as caught:
        check_values(params(**{field: value}))
    message = str(caught.value)
    assert field in message and needle in message and "\n" not in message


def test_defaults_pass():
    assert check_values(params()) == "en"


def test_bad_language_message_is_bilingual():
    with pytest.raises(ReportParameterError) as caught:
        check_values(params(language="fr"))
    assert "en, zh-TW" in str(caught.value) and "參數 language" in str(caught.value)


def test_chinese_messages():
    with pytest.raises(ReportParameterError, match="參數 smoothgrad_samples = 0 不正確"):
        check_values(params(smoothgrad_samples=0, language="zh-TW"))


def test_output_folder_that_is_a_file_is_refused_before_any_work(tmp_path):
    blocker = tmp_path / "figures"
    blocker.write_text("not a folder")
    for name in ("figures_dir", "cache_dir"):
        with pytest.raises(ReportParameterError, match=f"{name} = .* is a file, not a folder"):
            check_values(params(**{name: str(blocker / "inner")}))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_output_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    with pytest.raises(ReportParameterError, match="not writable"):
        check_values(params(figures_dir=str(locked / "figures")))


def _open(kit, tmp_path, **overrides):
    return open_report(kit.params(tmp_path, **overrides))


def test_good_tiny_parameters_load(tiny_kit, tmp_path):
    run = _open(tiny_kit, tmp_path)
    assert run.class_names == tiny_kit.CLASS_NAMES and run.layer == "cnn.8"
    assert _open(tiny_kit, tmp_path, language="zh-TW").class_names == tiny_kit.CLASS_NAMES_ZH


@pytest.mark.parametrize("overrides, needles", [
    ({"data_dir": "/no/such/folder"}, ["data_dir", "does not exist"]),
    ({"layer": "conv9"}, ["layer = 'conv9'", "cnn.0 (conv1)"]),
    ({"layer": "relu1"}, ["layer = 'relu1'", "ReLU", "not a convolution"]),
    ({"filter_index": 256}, ["filter_index = 256", "256 filters", "0..255"]),
    ({"image_ids": ["0_0", "7_7"]}, ["image_ids", "'7_7'", "evaluation"]),
    ({"image_ids": ["2_99"]}, ["image_ids = ['2_99']", "none of these images can be read", "2_99"]),
    ({"n_images": 1000}, ["n_images = 1000", "only 10 images"]),
    ({"model_arch": "default"}, ["checkpoint", "not a head for the default model"]),
    ({"input_size": 64}, ["checkpoint", "32px"]),
    ({"checkpoint": "/no/such.pth"}, ["checkpoint = '/no/such.pth'", "does not exist"]),
])
def test_run_checks_name_the_parameter(tiny_kit, tmp_path, overrides, needles):
    with pytest.raises(ReportParameterError) as caught:
        _open(tiny_kit, tmp_path, **overrides)
    for needle in needles:
        assert needle in str(caught.value), str(caught.value)


def test_head_with_more_outputs_than_the_data_runs(tiny_kit, tmp_path):
    wider = tiny_kit.make_classic_checkpoint(tmp_path / "five.pth", num_classes=5)
    run = _open(tiny_kit, tmp_path, checkpoint=str(wider))
    assert run.class_names[:3] == tiny_kit.CLASS_NAMES and len(run.class_names) == 5


def test_head_with_fewer_outputs_than_the_data_names_the_labels(tiny_kit, tmp_path):
    narrow = tiny_kit.make_classic_checkpoint(tmp_path / "two.pth", num_classes=2)
    with pytest.raises(ReportParameterError) as caught:
        _open(tiny_kit, tmp_path, checkpoint=str(narrow))
    assert "data_dir" in str(caught.value) and "2" in str(caught.value)


def test_unknown_layer_in_chinese(tiny_kit, tmp_path):
    with pytest.raises(ReportParameterError, match="參數 layer = 'conv9' 不是這個模型的層"):
        _open(tiny_kit, tmp_path, layer="conv9", language="zh-TW")
