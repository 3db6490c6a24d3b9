"""report.ipynb executed by papermill at tiny parameters on a tiny Food-11 folder with a classic
checkpoint, in English and in Traditional Chinese: sections, figures, computed answers, the
language switch (no text of the other language), the cache, and bad parameters."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pytest

from helpers.report.i18n import load_texts, raw_texts

pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
FIGURES = ["q1_saliency", "q1_food_share", "q2_filter_ascent", "q2_filter_grid", "q2_activation_maps",
           "q2_class_activation", "q3_confusion_counts", "q3_confusion_normalized", "q3_lime", "q4_methods",
           "q5_randomisation"]
SECTIONS = ["setup_title", "q1_title", "q2_title", "q3_title", "q4_title", "q5_title"]


def output_text(notebook) -> str:
    """Everything the executed notebook shows (Markdown, text and errors), without sources."""
    nb = nbformat.read(notebook, as_version=4)
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts += [data.get("text/markdown", ""), data.get("text/plain", ""), output.get("text", ""),
                      output.get("evalue", "")]
    return "\n".join(parts)


def png_outputs(notebook) -> int:
    nb = nbformat.read(notebook, as_version=4)
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.parametrize("language", ["en", "zh-TW"])
def test_sections_figures_and_answers(tiny_runs, tiny_kit, language):
    notebook = tiny_runs[language]
    t = load_texts(language)
    text = output_text(notebook)
    for key in SECTIONS:
        assert t(key) in text, key
    answer = "**Answer.**" if language == "en" else "**答：**"
    assert text.count(answer) >= 5
    assert tiny_kit.CORRUPT in text, "the unreadable file must be reported"
    figures = tiny_runs[language].parent / f"figures-{language}"
    assert sorted(p.stem for p in figures.glob("*.png")) == sorted(FIGURES)
    assert png_outputs(notebook) == len(FIGURES), "each figure shown inline once"
    names = tiny_kit.CLASS_NAMES if language == "en" else tiny_kit.CLASS_NAMES_ZH
    assert all(name in text for name in names)


def test_no_warnings_or_progress_text_in_the_runs(tiny_runs):
    for notebook in tiny_runs.values():
        nb = nbformat.read(notebook, as_version=4)
        streams = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream"]
        assert all(o["name"] == "stdout" and o["text"].startswith("REPORT_RUN_SUMMARY") for o in streams), \
            [o["text"][:200] for o in streams]
        widgets = [o for c in nb.cells for o in c.get("outputs", [])
                   if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        assert not widgets


def test_english_run_has_no_cjk_at_all(tiny_runs):
    raw = tiny_runs["en"].read_text(encoding="utf-8")
    found = CJK.findall(raw)
    assert not found, f"CJK characters in the English run: {''.join(found[:20])}"


def _english_phrases() -> set[str]:
    zh_all = "\n".join(raw_texts("zh-TW").values())
    phrases = set()
    for text in raw_texts("en").values():
        for fragment in re.split(r"\{\{\w+\}\}|[*`$\n]|\\[a-z]+", text):
            fragment = fragment.strip(" .,;:()\"'")
            if len(fragment) >= 25 and len(fragment.split()) >= 4 and fragment not in zh_all:
                phrases.add(fragment)
    return phrases


def test_chinese_run_has_chinese_prose_and_no_english_phrases(tiny_runs):
    text = output_text(tiny_runs["zh-TW"])
    assert "答：" in text and len(CJK.findall(text)) > 1000
    phrases = _english_phrases()
    assert len(phrases) > 50
    leaked = sorted(p for p in phrases if p in text)
    assert not leaked, f"English phrases in the Chinese run: {leaked[:5]}"


def test_second_language_is_served_from_the_cache(tiny_runs, tiny_kit):
    first = tiny_kit.run_summary(tiny_runs["en"])
    second = tiny_kit.run_summary(tiny_runs["zh-TW"])
    assert first["cache_misses"]
    assert second["cache_misses"] == [], second
    assert sorted(second["cache_hits"]) == sorted(first["cache_misses"] + first["cache_hits"])


def test_numbers_are_the_same_in_both_languages(tiny_runs):
    numbers = [re.findall(r"\d+\.\d+%?", output_text(tiny_runs[lang])) for lang in ("en", "zh-TW")]
    assert numbers[0] and sorted(numbers[0]) == sorted(numbers[1])


def test_bad_parameter_stops_at_the_first_cell_with_one_message(tiny_kit, tmp_path):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError) as caught:
        tiny_kit.run_papermill(tmp_path / "bad.ipynb", tiny_kit.params(tmp_path, smoothgrad_sigma=0.0,
                                                                        language="zh-TW"))
    assert caught.value.ename == "ReportParameterError"
    assert caught.value.evalue == "參數 smoothgrad_sigma = 0.0 不正確，請使用大於 0 的數字（例如 0.2）。"
    assert png_outputs(tmp_path / "bad.ipynb") == 0


def test_run_report_fails_cleanly_and_leaves_no_pdf(tiny_kit, tmp_path):
    stale = tmp_path / "report.pdf"
    stale.write_bytes(b"%PDF-1.5 stale")
    params = tiny_kit.params(tmp_path, layer="no_such_layer")
    args = [sys.executable, "-m", "helpers.report.run_report", "--lang", "en", "--pdf", str(stale),
            "--output-dir", str(tmp_path / "out")]
    for name, value in params.items():
        if name != "language":
            args += ["-p", name, repr(value) if not isinstance(value, str) else value]
    proc = subprocess.run(args, cwd=tiny_kit.REPO_ROOT, capture_output=True, text=True, timeout=600,
                          env={**__import__("os").environ, "TQDM_DISABLE": "1"})
    assert proc.returncode == 1
    assert "ReportParameterError: Parameter layer = 'no_such_layer' is not a layer" in proc.stderr
    assert not stale.exists() and not list((tmp_path / "out").glob("*.pdf"))
