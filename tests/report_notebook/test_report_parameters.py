"""Bad parameters stop the report with one clear message naming the parameter and the valid
values, in the report's language; checked in-process (the papermill route is in
test_report_papermill.py)."""
from __future__ import annotations

import pytest

from helpers.report.context import ReportRun
from helpers.report.params import ReportParameterError, ReportParams, check_values


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
])
def test_value_checks_name_parameter_and_valid_values(field, value, needle):
    with pytest.raises(ReportParameterError, match=None) as caught:
        check_values(ReportParams(**{field: value}))
    message = str(caught.value)
    assert field in message and needle in message and "\n" not in message


def test_bad_language_message_is_bilingual():
    with pytest.raises(ReportParameterError) as caught:
        check_values(ReportParams(language="fr"))
    assert "en, zh-TW" in str(caught.value) and "參數 language" in str(caught.value)


def test_chinese_messages():
    with pytest.raises(ReportParameterError, match="參數 smoothgrad_samples = 0 不正確"):
        check_values(ReportParams(smoothgrad_samples=0, language="zh-TW"))


def _run(kit, tmp_path, **overrides):
    return ReportRun(ReportParams(**kit.params(tmp_path, **overrides)))


def test_good_tiny_parameters_load(tiny_kit, tmp_path):
    run = _run(tiny_kit, tmp_path)
    assert run.class_names == tiny_kit.CLASS_NAMES and run.layer_name == "cnn.8"
    assert _run(tiny_kit, tmp_path, language="zh-TW").class_names == tiny_kit.CLASS_NAMES_ZH


@pytest.mark.parametrize("overrides, needles", [
    ({"data_dir": "/no/such/folder"}, ["data_dir", "does not exist"]),
    ({"layer": "conv9"}, ["layer = 'conv9'", "cnn.0 (conv1)"]),
    ({"layer": "relu1"}, ["layer = 'relu1'", "ReLU", "not a convolution"]),
    ({"filter_index": 256}, ["filter_index = 256", "256 filters", "0..255"]),
    ({"image_ids": ["0_0", "7_7"]}, ["image_ids", "'7_7'", "evaluation"]),
    ({"n_images": 1000}, ["n_images = 1000", "only 10 images"]),
    ({"model_arch": "default"}, ["checkpoint", "not a head for the default model"]),
    ({"input_size": 64}, ["checkpoint", "32px"]),
    ({"checkpoint": "/no/such.pth"}, ["checkpoint = '/no/such.pth'", "does not exist"]),
])
def test_run_checks_name_the_parameter(tiny_kit, tmp_path, overrides, needles):
    with pytest.raises(ReportParameterError) as caught:
        _run(tiny_kit, tmp_path, **overrides)
    for needle in needles:
        assert needle in str(caught.value), str(caught.value)


def test_checkpoint_with_other_class_count(tiny_kit, tmp_path):
    other = tiny_kit.make_classic_checkpoint(tmp_path / "five.pth", num_classes=5)
    with pytest.raises(ReportParameterError, match="5 classes but the data uses 3 labels"):
        _run(tiny_kit, tmp_path, checkpoint=str(other))


def test_unknown_layer_in_chinese(tiny_kit, tmp_path):
    with pytest.raises(ReportParameterError, match="參數 layer = 'conv9' 不是這個模型的層"):
        _run(tiny_kit, tmp_path, layer="conv9", language="zh-TW")
