"""report.ipynb executed by papermill at tiny parameters on a tiny Food-11 folder with a classic
checkpoint, in English and in Traditional Chinese: sections, figures, computed answers, only the
chosen language's prose once filtered, the cache, bad parameters, and a section run alone."""
from __future__ import annotations

import os
import re

import nbformat
import pytest

from helpers.pdf.language import keep_language
from helpers.report.params import NOTEBOOK

pytestmark = pytest.mark.slow

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
FIGURES = {"q1_saliency", "q2_filter_ascent", "q2_filter_grid", "q2_activation_maps", "q2_class_activation",
           "q3_confusion_counts", "q3_confusion_normalized", "q3_lime", "q4_methods", "q5_deletion_vs_random",
           "q5_insertion_vs_random", "q5_randomisation"}


def shown_text(nb) -> str:
    """What a reader sees: Markdown cells, and the Markdown, text and errors code cells output."""
    parts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts += [data.get("text/markdown", ""), output.get("text", ""), output.get("evalue", "")]
    return "\n".join(parts)


def png_outputs(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.parametrize("language", ["en", "zh-TW"])
def test_sections_figures_and_answers(tiny_runs, tiny_kit, language):
    nb = keep_language(nbformat.read(tiny_runs[language], as_version=4))
    text = shown_text(nb)
    headings = re.findall(r"^## (\d)\.", text, re.M)
    assert headings == ["0", "1", "2", "3", "4", "5"], headings
    answer = "**Answer.**" if language == "en" else "**答：**"
    assert text.count(answer) >= 5
    assert tiny_kit.CORRUPT in text, "the unreadable file must be named"
    figures = tiny_runs[language].parent / f"figures-{language}"
    stems = {re.sub(r"_\d+$", "", p.stem) for p in figures.glob("*.png")}
    assert stems == FIGURES
    assert png_outputs(nb) == len(list(figures.glob("*.png"))), "each figure shown inline once"
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


def test_each_language_shows_only_its_own_prose(tiny_runs):
    english = shown_text(keep_language(nbformat.read(tiny_runs["en"], as_version=4)))
    assert not CJK.findall(english), "CJK characters in the English report"
    chinese = shown_text(keep_language(nbformat.read(tiny_runs["zh-TW"], as_version=4)))
    assert "答：" in chinese and len(CJK.findall(chinese)) > 1000
    english_sentences = [s.strip() for s in re.split(r"[.:]\s", english) if len(s.split()) >= 6 and not CJK.search(s)]
    # Formulas, code names and the hidden run summary are the same in every language.
    leaked = [s for s in english_sentences if s in chinese and not any(c in s for c in "`$\"")]
    assert not leaked, leaked[:3]


def test_second_language_is_served_from_the_cache(tiny_runs, tiny_kit):
    first = tiny_kit.run_summary(tiny_runs["en"])
    second = tiny_kit.run_summary(tiny_runs["zh-TW"])
    assert first["cache_misses"]
    assert second["cache_misses"] == [], second
    assert sorted(second["cache_hits"]) == sorted(first["cache_misses"] + first["cache_hits"])


def test_numbers_are_the_same_in_both_languages(tiny_runs):
    def numbers(language):
        nb = keep_language(nbformat.read(tiny_runs[language], as_version=4))
        outputs = "\n".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells for o in c.get("outputs", []))
        return sorted(re.findall(r"-?\d+\.\d+%?", outputs))
    assert numbers("en") and numbers("en") == numbers("zh-TW")


def test_bad_parameter_stops_at_the_first_code_cell_after_the_parameters(tiny_kit, tmp_path):
    import papermill

    output = tmp_path / "bad.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as caught:
        tiny_kit.run_papermill(output, tiny_kit.params(tmp_path, smoothgrad_sigma=0.0, language="zh-TW"))
    assert caught.value.ename == "ReportParameterError"
    assert caught.value.evalue == "參數 smoothgrad_sigma = 0.0 不正確，請使用大於 0 的數字（例如 0.2）。"
    nb = nbformat.read(output, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    injected = next(i for i, c in enumerate(code) if "injected-parameters" in c.metadata.get("tags", []))
    failed = [i for i, c in enumerate(code) if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert failed == [injected + 1]
    assert png_outputs(nb) == 0


def _section_cells(nb, number: int) -> list:
    """The cells of section ``number``: from its English heading to the next English heading."""
    heads = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## ")
             and "lang-en" in c.metadata.get("tags", [])]
    start = next(i for i in heads if nb.cells[i].source.startswith(f"## {number}."))
    return nb.cells[start:next((i for i in heads if i > start), len(nb.cells))]


@pytest.mark.parametrize("section", [3, 5])
def test_a_section_runs_alone_after_the_set_up(tiny_kit, tmp_path, section):
    """Set-up cells, then one later section only: what a section needs comes from the set-up."""
    import papermill

    nb = nbformat.read(NOTEBOOK, as_version=4)
    first_section = _section_cells(nb, 1)[0]
    setup = nb.cells[:nb.cells.index(first_section)]
    nb.cells = setup + _section_cells(nb, section)
    source = tmp_path / "section.ipynb"
    nbformat.write(nb, source)

    os.environ.setdefault("TQDM_DISABLE", "1")
    papermill.execute_notebook(str(source), str(tmp_path / "out.ipynb"), parameters=tiny_kit.params(tmp_path),
                               kernel_name="python3", cwd=str(tiny_kit.REPO_ROOT), progress_bar=False,
                               log_output=False)
    text = shown_text(nbformat.read(tmp_path / "out.ipynb", as_version=4))
    assert "**Answer.**" in text
