"""The report's texts: same keys and placeholders in every language, no CJK in English, every
key the sections use exists, and the notebook holds no prose of its own."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from helpers.report.i18n import LANGUAGES, load_texts, placeholders, raw_texts
from helpers.report.params import PARAMETER_NAMES, ReportParams

REPO = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def test_every_language_has_the_same_keys_and_placeholders():
    reference = raw_texts("en")
    for language in LANGUAGES:
        table = raw_texts(language)
        assert set(table) == set(reference), (language, set(table) ^ set(reference))
        for key, text in table.items():
            assert placeholders(text) == placeholders(reference[key]), (language, key)


def test_english_has_no_cjk_and_chinese_titles_and_answers_are_chinese():
    for key, text in raw_texts("en").items():
        assert not CJK.search(text), key
    zh = raw_texts("zh-TW")
    for key in [k for k in zh if k.endswith("_title") and not k.startswith("fig_")] + \
               [k for k in zh if k.endswith("_answer") or k.startswith("err_")]:
        assert CJK.search(zh[key]), key
    assert "答" in zh["q1_answer"]


def test_placeholders_are_filled_and_missing_values_are_reported():
    t = load_texts("zh-TW")
    assert t("err_positive", name="smoothgrad_sigma", value="0") == \
        "參數 smoothgrad_sigma = 0 不正確，請使用大於 0 的數字（例如 0.2）。"
    assert "\\frac{1}{n}" in t("q4_smoothgrad", sigma="0.20", samples=200, seed=0)
    try:
        t("err_positive", name="x")
    except KeyError as error:
        assert "value" in str(error)
    else:
        raise AssertionError("a missing placeholder value must raise")


def _literal_keys(source: str) -> set[str]:
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("t", "md", "heading", "list"):
                keys.add(node.args[0].value)
    return keys


def test_every_key_used_by_the_report_exists():
    used = set()
    for module in ("sections.py", "context.py", "params.py", "run_report.py"):
        used |= _literal_keys((REPO / "helpers/report" / module).read_text(encoding="utf-8"))
    used = {k for k in used if re.fullmatch(r"[a-z0-9_]+", k)}
    assert used, "no keys found"
    assert used <= set(raw_texts("en")), used - set(raw_texts("en"))


def test_notebook_has_no_prose_and_its_parameters_match_the_defaults():
    nb = nbformat.read(REPO / "report.ipynb", as_version=4)
    assert not [c for c in nb.cells if c.cell_type == "markdown" and c.source.strip()], \
        "prose belongs in helpers/report/i18n, not in markdown cells"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and nb.cells.index(params[0]) <= 1
    namespace: dict = {}
    exec(params[0].source, namespace)
    defaults = ReportParams().as_dict()
    assert {k: namespace[k] for k in PARAMETER_NAMES} == defaults
    assert not CJK.search("".join(c.source for c in nb.cells if c.cell_type == "code"))
