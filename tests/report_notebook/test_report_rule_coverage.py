"""Section 4 says where the guided rule applied, through the whole report at tiny parameters
(issue 20): a student model calling F.relu in its forward is guided throughout, and
torchvision's mobilenet_v3_small names its activations without a rule (Hardswish, Hardsigmoid)."""
from __future__ import annotations

import re

import nbformat
import pytest

from helpers.pdf.language import keep_language

pytestmark = pytest.mark.slow


def said(notebook) -> str:
    nb = keep_language(nbformat.read(notebook, as_version=4))
    return "\n".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", []))


def test_student_model_with_f_relu_is_guided_throughout(tiny_kit, user_models, tmp_path):
    out = tiny_kit.run_papermill(tmp_path / "student.ipynb", tiny_kit.params(tmp_path, **user_models.student.params))
    text = said(out)
    found = re.search(r"the guided-backprop rule was applied at (\d+) rectifier calls \(ReLU: (\d+)\)", text)
    assert found and found.group(1) == found.group(2), text[-2000:]
    assert int(found.group(1)) >= 5, "one F.relu per conv block at least"
    assert "Every activation that ran is a rectifier" in text


@pytest.mark.parametrize("language", ["en", "zh-TW"])
def test_mobilenet_names_the_activations_without_a_rule(tiny_kit, user_models, tmp_path, language):
    out = tiny_kit.run_papermill(tmp_path / f"mobilenet.{language}.ipynb",
                                 tiny_kit.params(tmp_path, language=language, **user_models.mobilenet.params))
    text = said(out)
    if language == "en":
        assert re.search(r"applied at \d+ rectifier calls \(ReLU: \d+\)", text), text[-2000:]
        assert re.search(r"No rule is defined for Hardswish \(\d+ calls\), Hardsigmoid \(\d+ calls\)", text)
        assert "only partly guided" in text
    else:
        assert re.search(r"Hardswish（\d+ 次）、Hardsigmoid（\d+ 次） 沒有定義這個規則", text), text[-2000:]
        assert "只有部分是「guided」" in text
