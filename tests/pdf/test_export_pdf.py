"""PDF export of an executed report notebook: Chinese text, figures, hidden cells, refusals,
atomic writes."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

import helpers.pdf.export as export_module
from helpers.pdf.export import (
    MissingSystemTools,
    NotebookHasErrors,
    PdfExportError,
    export_pdf,
)
from helpers.pdf.check import check_pdf, read_pdf


def test_truncated_notebook_is_one_clear_message(tmp_path, capsys):
    source = _write_plain_notebook(tmp_path)
    text = source.read_text()
    source.write_text(text[: len(text) // 2])  # e.g. a copy interrupted half way
    assert export_module.main([str(source)]) == 1
    err = capsys.readouterr().err
    line = text[: len(text) // 2].count("\n") + 1
    assert err == (f"error: {source} is not a valid notebook (JSON error at line {line}): re-run the "
                   "notebook or pass the executed .ipynb (e.g. papermill's output)\n")
    assert not source.with_suffix(".pdf").exists()


def test_json_that_is_not_a_notebook_and_missing_file(tmp_path, capsys):
    source = tmp_path / "list.ipynb"
    source.write_text("[1, 2]")
    assert export_module.main([str(source)]) == 1
    assert f"error: {source} is not a valid notebook (" in capsys.readouterr().err
    missing = tmp_path / "report.en.ipynb"
    assert export_module.main([str(missing), str(tmp_path / "out.pdf")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {missing} not found: re-run the notebook") and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.ipynb"]


def test_papermill_run_has_parameter_cells(executed_notebook):
    nb = nbformat.read(executed_notebook, as_version=4)
    tags = [tag for cell in nb.cells for tag in cell.metadata.get("tags", [])]
    assert "parameters" in tags and "injected-parameters" in tags


@pytest.mark.slow
def test_default_export_keeps_chinese_figure_outputs_and_hides_code(default_pdf, kit):
    report = check_pdf(default_pdf, [kit.TITLE, kit.SECTION, kit.ANSWER, kit.OUTPUT_TEXT, kit.REMOVED_INPUT],
                       min_images=1)
    assert not report.contains(kit.CODE_INPUT), "code input printed although show_code=False"
    assert not report.contains(kit.PARAM_DEFAULT), "parameters cell printed"
    assert not report.contains(kit.PARAM_INJECTED), "injected-parameters cell printed"
    assert not report.contains("sys.path"), "remove_cell cell printed"
    assert "In [" not in report.text and "[ ]:" not in report.text, "prompts printed"


@pytest.mark.slow
def test_cli_show_code_keeps_inputs_but_not_parameter_cells(pdf_tools, executed_notebook, tmp_path, kit):
    pdf = tmp_path / "out" / "with_code.pdf"
    proc = subprocess.run(
        [sys.executable, "-m", "helpers.pdf.export", str(executed_notebook), str(pdf),
         "--show-code"],
        cwd=kit.REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(pdf)
    report = check_pdf(pdf, [kit.ANSWER, kit.CODE_INPUT, kit.OUTPUT_TEXT], min_images=1)
    assert not report.contains(kit.PARAM_DEFAULT)
    assert not report.contains(kit.PARAM_INJECTED)
    # remove_input: its output stays, its source does not.
    assert report.text.count(kit.REMOVED_INPUT) == 1
    assert [p.name for p in pdf.parent.iterdir()] == ["with_code.pdf"]


def test_notebook_with_error_output_is_refused(tmp_path, kit):
    nb = kit.build_notebook()
    nb.cells[3].outputs = [nbformat.v4.new_output(
        "error", ename="ValueError", evalue="模型檔案不存在", traceback=["ValueError: ..."])]
    source = tmp_path / "failed.ipynb"
    nbformat.write(nb, source)
    with pytest.raises(NotebookHasErrors, match=r"cell 3 \(ValueError: 模型檔案不存在\)"):
        export_pdf(source, tmp_path / "failed.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failed.ipynb"]


def test_failed_papermill_run_is_refused_by_cli(tmp_path, kit):
    import papermill

    source = tmp_path / "mini.ipynb"
    nbformat.write(kit.build_notebook(fail=True), source)
    output = tmp_path / "mini.executed.ipynb"
    with pytest.raises(papermill.PapermillExecutionError):
        kit.run_with_papermill(source, output)
    proc = subprocess.run(
        [sys.executable, "-m", "helpers.pdf.export", str(output)],
        cwd=kit.REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    assert "error output" in proc.stderr and "模型檔案不存在" in proc.stderr
    assert not output.with_suffix(".pdf").exists()


def _write_plain_notebook(tmp_path):
    source = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("答")]), source)
    return source


def test_failing_exporter_leaves_no_pdf_and_keeps_old_one(tmp_path, monkeypatch):
    source = _write_plain_notebook(tmp_path)
    target = tmp_path / "plain.pdf"
    target.write_bytes(b"%PDF-1.5 previous good export")

    class Boom:
        def from_notebook_node(self, nb, resources=None):
            raise RuntimeError("xelatex crashed half way")

    monkeypatch.setattr(export_module, "_require_tools", lambda: None)
    monkeypatch.setattr(export_module, "make_exporter", lambda show_code=False: Boom())
    with pytest.raises(RuntimeError, match="half way"):
        export_pdf(source, target)
    assert target.read_bytes() == b"%PDF-1.5 previous good export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.ipynb", "plain.pdf"]


def test_failing_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    source = _write_plain_notebook(tmp_path)

    class Fake:
        def from_notebook_node(self, nb, resources=None):
            return b"%PDF-1.5 fake", {}

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(export_module, "_require_tools", lambda: None)
    monkeypatch.setattr(export_module, "make_exporter", lambda show_code=False: Fake())
    monkeypatch.setattr(export_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        export_pdf(source, tmp_path / "plain.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.ipynb"]


def test_invalid_template_leaves_no_pdf(pdf_tools, tmp_path, monkeypatch):
    source = _write_plain_notebook(tmp_path)
    monkeypatch.setattr(export_module, "TEMPLATE_NAME", "no_such_template")
    with pytest.raises(Exception, match="no_such_template"):
        export_pdf(source, tmp_path / "plain.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.ipynb"]


def test_missing_xelatex_names_install_script(tmp_path, monkeypatch):
    source = _write_plain_notebook(tmp_path)
    monkeypatch.setattr(export_module.shutil, "which", lambda name: None)
    with pytest.raises(MissingSystemTools, match="tools/install_system_packages.sh"):
        export_pdf(source, tmp_path / "plain.pdf")
    assert not (tmp_path / "plain.pdf").exists()


def test_svg_only_figure_is_refused(tmp_path, monkeypatch, kit):
    nb = kit.build_notebook()
    nb.cells[4].outputs = [nbformat.v4.new_output(
        "display_data", data={"image/svg+xml": "<svg/>", "text/plain": "<Figure>"})]
    source = tmp_path / "svg.ipynb"
    nbformat.write(nb, source)
    monkeypatch.setattr(export_module.shutil, "which",
                        lambda name: None if name == "inkscape" else "/usr/bin/" + name)
    with pytest.raises(PdfExportError, match="cell 4 has an SVG-only figure"):
        export_pdf(source, tmp_path / "svg.pdf")


def test_widget_outputs_are_dropped(tmp_path, kit):
    nb = kit.build_notebook()
    widget = {"application/vnd.jupyter.widget-view+json": {"model_id": "x"},
              "text/plain": "HBox(children=(FloatProgress(value=0.0),))"}
    nb.cells[3].outputs = [nbformat.v4.new_output("display_data", data=widget),
                           nbformat.v4.new_output("stream", name="stdout", text="kept\n")]
    cleaned = export_module._check_and_clean(nb, tmp_path / "x.ipynb")
    assert [o.output_type for o in cleaned.cells[3].outputs] == ["stream"]


def test_latex_source_sets_cjk_fonts_title_and_escaped_authors(pdf_tools, executed_notebook, kit):
    from nbconvert.exporters import LatexExporter

    nb = nbformat.read(executed_notebook, as_version=4)
    nb.metadata["authors"] = [{"name": "王小明"}, {"name": "A_B & C"}]
    exporter = LatexExporter(template_name=export_module.TEMPLATE_NAME,
                             extra_template_basedirs=[str(export_module.TEMPLATE_DIR)])
    latex, _ = exporter.from_notebook_node(nb)
    # Latin text in Latin Modern; CJK characters switch to Noto CJK TC (serif, sans, mono).
    assert r"\setmainfont{Latin Modern Roman}" in latex
    assert r"\newfontfamily\reportcjkrm{Noto Serif CJK TC}" in latex
    assert r"\newfontfamily\reportcjksf{Noto Sans CJK TC}" in latex
    assert r"\newfontfamily\reportcjktt{Noto Sans Mono CJK TC}" in latex
    assert r'\XeTeXlinebreaklocale "zh"' in latex
    assert r"\title{" + kit.TITLE + "}" in latex
    assert r"\author{王小明, A\_B \& C}" in latex


@pytest.mark.slow
def test_exported_pdf_passes_cli_check(default_pdf, kit):
    proc = subprocess.run(
        [sys.executable, "-m", "helpers.pdf.check", str(default_pdf),
         "--require", kit.ANSWER, "--require", kit.SECTION, "--min-images", "1"],
        cwd=kit.REPO_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert read_pdf(default_pdf).pages >= 1
