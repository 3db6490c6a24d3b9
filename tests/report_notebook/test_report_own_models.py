"""Issue 20, "done when": the whole report at tiny parameters (papermill) on each of the four user
models of the ``user_models`` fixture, one run per model (the Chinese mobilenet run reuses the
English run's cache). Each run is read as a reader would: section 0 states the model's form, class
and preprocessing; the class names are the data's (and distinct); every section drew its figures;
section 4's sentence on where the guided rule applied is right for that model; no cell printed an
error or anything on stderr.

* the student's own file (other widths, Dropout, ``F.relu`` in ``forward``, ImageNet
  normalisation, a state_dict), in English;
* the same class as a whole pickled model (``checkpoint_allow_pickle=True``), in Chinese;
* ``torchvision:resnet18`` with an 11-way ``fc`` on ImageFolder data (3 class folders), in English;
* ``torchvision:mobilenet_v3_small`` (Hardswish, Hardsigmoid: named as activations without a rule),
  in both languages.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from helpers.pdf.language import keep_language

pytestmark = pytest.mark.slow

SECTIONS_WITH_FIGURES = {"1", "2", "3", "4", "5"}   # figure names start with q<section>_
IMAGE_FOLDER_CLASSES = ["Egg", "Rice", "Soup"]        # tiny_kit's classes as sorted class folders


@pytest.fixture(scope="module")
def own_reports(tiny_kit, user_models, tmp_path_factory):
    """``report(which, language)``: the executed notebook of that user model (run once, then kept)."""
    from test_report_image_folder import as_image_folder

    work = tmp_path_factory.mktemp("own_models")
    image_folder = as_image_folder(tiny_kit.data, work / "imagefolder", tiny_kit.CLASS_NAMES)
    done: dict[tuple[str, str], Path] = {}

    def report(which: str, language: str) -> Path:
        if (which, language) not in done:
            folder = work / which   # one cache per model: a second language is served from it
            folder.mkdir(exist_ok=True)
            params = tiny_kit.params(folder, language=language, figures_dir=str(folder / f"figures-{language}"),
                                     **getattr(user_models, which).params)
            if which == "resnet18":
                params["data_dir"] = str(image_folder)
            done[which, language] = tiny_kit.run_papermill(folder / f"report.{language}.ipynb", params)
        return done[which, language]

    return report


def shown(notebook: Path) -> list[str]:
    """Everything the report showed as Markdown (sentences and tables), in its language."""
    nb = keep_language(nbformat.read(notebook, as_version=4))
    return [o["data"]["text/markdown"] for c in nb.cells for o in c.get("outputs", [])
            if "text/markdown" in o.get("data", {})]


def paragraph(text: list[str], start: str) -> str:
    found = [p for p in text if p.startswith(start)]
    assert found, f"no output starting with {start!r}"
    return found[0]


def first_column(text: list[str], header: str) -> list[str]:
    """The first column of the first table whose header starts with ``header``."""
    table = paragraph(text, f"| {header}")
    return [line.split("|")[1].strip() for line in table.splitlines()[2:]]


def check_whole_run(tiny_kit, notebook: Path) -> list[str]:
    """What every run must show: no error or stderr output, every section's figures on disk."""
    nb = nbformat.read(notebook, as_version=4)
    problems = [(i, o.get("ename") or o.get("text", "")[:300]) for i, c in enumerate(nb.cells)
                for o in c.get("outputs", []) if o.output_type == "error"
                or (o.output_type == "stream" and o.name == "stderr")]
    assert not problems, problems
    figures = [Path(p) for p in tiny_kit.run_summary(notebook)["figures"]]
    assert all(p.is_file() and p.stat().st_size > 1000 for p in figures), figures
    drawn = {m.group(1) for p in figures if (m := re.match(r"q(\d)_", p.name))}
    assert drawn == SECTIONS_WITH_FIGURES, f"sections without figures: {SECTIONS_WITH_FIGURES - drawn}"
    text = shown(notebook)
    assert any(p.startswith(("| Layer | Alias |", "| 層 | 別名 |")) for p in text), "the appendix's table of layers"
    return text


def test_student_model_file(tiny_kit, user_models, own_reports):
    student = user_models.student
    text = check_whole_run(tiny_kit, own_reports("student", "en"))
    model = paragraph(text, "**Model.**")
    assert (f"your own class `StudentNet` (widths=[8, 16, 16, 32, 32], num_classes=3, input_size=32, dropout=0.2) "
            f"from `{student.model_file}`") in model, model
    for needle in ("3 outputs", "squashed to 32x32 (the whole photo)", "kept in RGB order",
                   "mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225] (ImageNet's)",
                   f"Checkpoint `{student.checkpoint}`"):
        assert needle in model, (needle, model)
    assert "Grad-CAM uses `convs.4`" in paragraph(text, "**Convolution layers.**")
    assert first_column(text, "Class |")[:3] == tiny_kit.CLASS_NAMES
    rule = paragraph(text, "**Where the rule applied.**")
    # five F.relu calls in forward, one nn.ReLU module in the classifier: all get the rule
    assert "applied at 6 rectifier calls (ReLU: 6)" in rule and "guided throughout" in rule, rule


def test_whole_pickled_student_in_chinese(tiny_kit, user_models, own_reports):
    pickled = user_models.pickled
    text = check_whole_run(tiny_kit, own_reports("pickled", "zh-TW"))
    model = paragraph(text, "**模型**")
    for needle in (f"你自己的類別 `StudentNet`（`{pickled.model_file}`）", "3 個輸出", "整張照片縮放成 32x32",
                   "維持 RGB 順序", "（ImageNet 的數值）", f"checkpoint `{pickled.checkpoint}`（整個以 pickle 儲存的模型"):
        assert needle in model, (needle, model)
    assert "Grad-CAM 使用 `convs.4`" in paragraph(text, "**卷積層**")
    assert first_column(text, "類別 |")[:3] == tiny_kit.CLASS_NAMES_ZH
    rule = paragraph(text, "**規則套用之處**")
    assert "套用在 6 次 rectifier 呼叫上（ReLU：6）" in rule and "完全是 guided" in rule, rule


def test_torchvision_resnet18_with_an_11_way_fc_on_image_folder_data(tiny_kit, own_reports):
    text = check_whole_run(tiny_kit, own_reports("resnet18", "en"))
    model = paragraph(text, "**Model.**")
    for needle in ("`torchvision:resnet18` (ResNet; no pretrained weights downloaded)", "11 outputs",
                   "shorter side scaled to 73, then the centre 64x64 cropped", "(ImageNet's)"):
        assert needle in model, (needle, model)
    extra = [f"class {k}" for k in range(3, 11)]
    assert f"Outputs never seen in the data: {', '.join(extra)}." in model, model
    assert "ImageFolder layout" in paragraph(text, "**Data.**")
    assert first_column(text, "Class |") == IMAGE_FOLDER_CLASSES + extra + ["Total"]   # section 0's files per class
    rows = first_column(text, "Class | Images (n) |")                           # section 3's accuracy per class
    assert sorted(rows) == sorted(IMAGE_FOLDER_CLASSES + extra) and len(set(rows)) == 11, rows
    rule = paragraph(text, "**Where the rule applied.**")
    # resnet18 reuses one nn.ReLU per block: stem 1 + 8 blocks x 2 calls
    assert "applied at 17 rectifier calls (ReLU: 17)" in rule and "guided throughout" in rule, rule


@pytest.mark.parametrize("language", ["en", "zh-TW"])
def test_torchvision_mobilenet_v3_small_names_its_activations_without_a_rule(tiny_kit, own_reports, language):
    text = check_whole_run(tiny_kit, own_reports("mobilenet", language))
    if language == "en":
        model = paragraph(text, "**Model.**")
        assert "`torchvision:mobilenet_v3_small` (MobileNetV3; no pretrained weights downloaded)" in model, model
        rule = paragraph(text, "**Where the rule applied.**")
        assert re.search(r"applied at \d+ rectifier calls \(ReLU: \d+\)", rule), rule
        assert re.search(r"No rule is defined for Hardswish \(\d+ calls\), Hardsigmoid \(\d+ calls\)", rule), rule
        assert "only partly guided" in rule, rule
    else:
        model = paragraph(text, "**模型**")
        assert "`torchvision:mobilenet_v3_small`（MobileNetV3；不下載預訓練權重）" in model, model
        rule = paragraph(text, "**規則套用之處**")
        assert re.search(r"Hardswish（\d+ 次）、Hardsigmoid（\d+ 次） 沒有定義這個規則", rule), rule
        assert "只有部分是「guided」" in rule, rule


GUIDED_METHODS = ("guided backprop", "SmoothGrad x guided backprop", "Guided Grad-CAM")


@pytest.mark.parametrize("language", ["en", "zh-TW"])
def test_a_model_without_any_rectifier_runs_every_section_without_the_guided_methods(tiny_kit, own_reports, language):
    """torchvision's efficientnet_b0 (SiLU and Sigmoid only): the guided methods are left out, with one
    sentence saying which activations ran and how often; every other method and section stays."""
    text = check_whole_run(tiny_kit, own_reports("efficientnet", language))
    start = "**Where the rule applied.**" if language == "en" else "**規則套用之處**"
    rule = paragraph(text, start)
    if language == "en":
        assert re.search(r"No rectifier ran \(SiLU/Swish \(\d+ calls\), Sigmoid \(\d+ calls\)\)", rule), rule
        assert "left out" in rule and all(m in rule for m in GUIDED_METHODS), rule
    else:
        assert re.search(r"沒有執行任何 rectifier（SiLU/Swish（\d+ 次）、Sigmoid（\d+ 次））", rule), rule
        assert "略去" in rule and all(m in rule for m in GUIDED_METHODS), rule
    # no other output names a guided method: not in section 4's numbers, not in section 5's table or answers
    naming = [t[:120] for t in text if "guided" in t.lower() and not t.startswith(start)]
    assert not naming, naming
    trust = first_column(text, "Method | Deletion area" if language == "en" else "方法 | Deletion 面積")   # section 5
    assert {"vanilla gradient", "SmoothGrad", "Grad-CAM", "LIME"} <= set(trust), trust
