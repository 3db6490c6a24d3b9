"""report.ipynb read as a document: prose in both languages, method calls in sight, one source of
truth for the parameters. Fast: nothing is executed."""
from __future__ import annotations

import ast
import copy
import re

import nbformat
import pytest

from helpers.report.messages import LANGUAGES, MESSAGES, placeholders
from helpers.report.params import CHECKS, NOTEBOOK, notebook_parameters

NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
FORMULA = re.compile(r"\$\$.*?\$\$|\$[^$]+\$", re.S)


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def prose_pairs(nb) -> list[tuple[str, str]]:
    cells = [c for c in nb.cells if c.cell_type == "markdown"]
    pairs = []
    for i in range(0, len(cells), 2):
        pairs.append((cells[i], cells[i + 1] if i + 1 < len(cells) else None))
    return pairs


def test_every_prose_cell_is_tagged_and_paired_with_the_other_language(nb):
    pairs = prose_pairs(nb)
    assert len(pairs) >= 7, "a heading and method text per section, in both languages"
    for en, zh in pairs:
        assert tags(en) == ["lang-en"], en.source[:80]
        assert zh is not None and tags(zh) == ["lang-zh-TW"], en.source[:80]


def test_paired_prose_cells_carry_the_same_numbers_formulas_and_heading_level(nb):
    for en, zh in prose_pairs(nb):
        assert sorted(NUMBER.findall(FORMULA.sub("", en.source))) == sorted(NUMBER.findall(FORMULA.sub("", zh.source))), \
            en.source[:60]
        # Formulas may translate their \text{...} labels, but not their maths.
        strip = lambda s: [re.sub(r"\\text\{[^}]*\}", "", f) for f in FORMULA.findall(s)]  # noqa: E731
        assert sorted(strip(en.source)) == sorted(strip(zh.source)), en.source[:60]
        heading = lambda s: s.split(" ", 1)[0] if s.startswith("#") else ""  # noqa: E731
        assert heading(en.source) == heading(zh.source), "same heading level"


def _fstring_fields(node: ast.expr) -> list[str]:
    """The values an f-string shows, with string literals blanked (separators and words inside
    the expressions are translated too, e.g. ", ".join vs "、".join)."""
    out = []
    for value in (v.value for v in ast.walk(node) if isinstance(v, ast.FormattedValue)):
        value = copy.deepcopy(value)
        for const in ast.walk(value):
            if isinstance(const, ast.Constant) and isinstance(const.value, str):
                const.value = ""
        out.append(ast.unparse(value))
    return sorted(set(out))


def test_every_answer_is_written_in_both_languages_with_the_same_values(nb):
    calls = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("say", "tr"):
                calls += 1
                args = {k.arg: k.value for k in node.keywords}
                en, zh = (args.get("en"), args.get("zh_TW")) if args else node.args[:2]
                assert en is not None and zh is not None, ast.unparse(node)[:100]
                assert _fstring_fields(en) == _fstring_fields(zh), ast.unparse(node)[:120]
    assert calls > 40


def test_sections_show_the_real_method_calls(nb):
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for call in ("Saliency(model", "GuidedBackprop(model", "SmoothGrad(", "LimeExplainer(model",
                 "ActivationMaximization(model", "evaluate_methods", "confusion_report(", "method_grid(", "lime_grid("):
        assert call in code, call
    assert "helpers.report.sections" not in code and "run.state" not in code
    assert not any(re.fullmatch(r"\w+\.\w+\(run\)", c.source.strip()) for c in nb.cells if c.cell_type == "code")


def test_parameters_cell_is_the_one_source_of_truth(nb):
    params = notebook_parameters()
    assert set(params) == set(CHECKS), "every parameter has a check and every check a parameter"
    first_code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in tags(first_code[1])
    assert "open_report(globals())" in first_code[2].source, "the first cell after the parameters checks them"


def test_error_messages_exist_in_every_language_with_the_same_placeholders():
    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGUAGES), key
        assert len({frozenset(placeholders(t)) for t in texts.values()}) == 1, key
