"""run_report: results move into place only when the whole run succeeded; a failed or interrupted
run leaves the previous notebook, PDFs and figures byte-identical and keeps its partial notebook.

The execute and export steps are replaced by fakes that write a small notebook, PNGs and a PDF (or
fail), so these tests need neither the real report nor LaTeX. The language filter is the real
:func:`helpers.report.notebook_language.keep_language`.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

import nbformat
import pytest

from helpers.report import run_report as rr


class Project:
    """A temporary project: where the runner writes, and fakes for its steps."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.outputs = root / "outputs"
        self.pdf = root / "report.pdf"
        self.figures = root / "figures"
        self.version = "new"
        self.fail_in: str | None = None  # "execute", "export" or None
        self.failure: BaseException = RuntimeError("boom")
        self.executed_parameters: dict = {}

    def execute(self, language: str, parameters: dict, output: Path, timeout: int = 3600) -> Path:
        self.executed_parameters = parameters
        figures = Path(parameters["figures_dir"])
        figures.mkdir(parents=True, exist_ok=True)
        for name in ("q1_saliency", "q2_filters"):
            (figures / f"{name}.png").write_bytes(f"png {name} {self.version}".encode())
        v4 = nbformat.v4
        nb = v4.new_notebook(cells=[
            v4.new_code_cell(f"figures_dir = {parameters['figures_dir']!r}", metadata={"tags": ["injected-parameters"]}),
            v4.new_markdown_cell("English prose", metadata={"tags": ["lang-en"]}),
            v4.new_markdown_cell("中文說明", metadata={"tags": ["lang-zh-TW"]}),
            v4.new_code_cell("print('both')"),
        ])
        nbformat.write(nb, output)  # papermill writes the notebook as it goes: a failure leaves it partial
        if self.fail_in == "execute":
            raise self.failure
        return output

    def export(self, notebook: Path, pdf: Path, show_code: bool = False) -> Path:
        if self.fail_in == "export":
            raise self.failure
        pdf.write_bytes(f"%PDF {self.version} {notebook.name}".encode())
        return pdf

    def run(self, *extra: str, lang: str = "en") -> int:
        return rr.main(["--lang", lang, "--output-dir", str(self.outputs), "--pdf", str(self.pdf), *extra])

    def snapshot(self) -> dict[str, bytes]:
        """Every file of the project (a failed run's kept folder aside), with its bytes."""
        return {str(p.relative_to(self.root)): p.read_bytes() for p in sorted(self.root.rglob("*"))
                if p.is_file() and not p.relative_to(self.root).as_posix().startswith("outputs/failed-")}


@pytest.fixture
def project(tmp_path, monkeypatch) -> Project:
    project = Project(tmp_path / "project")
    project.root.mkdir()
    monkeypatch.setattr(rr, "FIGURES", project.figures)
    monkeypatch.setattr(rr, "execute", project.execute)
    monkeypatch.setattr(rr, "export", project.export)
    return project


def _leftovers(project: Project) -> list[str]:
    """Temporary run folders and staged/backup files that must not survive a run."""
    return [str(p) for p in project.root.rglob("*") if p.name.startswith(".") and
            any(mark in p.name for mark in (".run-", ".new-", ".old-"))]


def test_success_moves_notebook_pdfs_and_figures_into_place(project, capsys):
    assert not project.outputs.exists()  # a fresh clone has no outputs/: the runner creates it
    assert project.run() == 0
    notebook = project.outputs / "report.en.ipynb"
    assert project.pdf.read_bytes() == b"%PDF new report.en.ipynb"
    assert (project.outputs / "report.en.pdf").read_bytes() == project.pdf.read_bytes()
    assert sorted(p.name for p in (project.figures / "en").iterdir()) == ["q1_saliency.png", "q2_filters.png"]
    nb = nbformat.read(notebook, as_version=4)
    sources = [cell.source for cell in nb.cells]
    assert "English prose" in sources and "中文說明" not in sources  # one language only
    # the notebook ran with a temporary figures folder but names the final one, not a folder that is gone
    assert ".run-" in project.executed_parameters["figures_dir"]
    assert f"figures_dir = {str(project.figures / 'en')!r}" in sources[0] and ".run-" not in notebook.read_text()
    assert not _leftovers(project) and not (project.outputs / "failed-en").exists()
    assert str(project.pdf) in capsys.readouterr().out


def test_each_language_has_its_own_figures_and_a_rerun_replaces_the_whole_folder(project):
    assert project.run() == 0
    english = {p.name: p.read_bytes() for p in (project.figures / "en").iterdir()}
    (project.figures / "en" / "stale_from_an_older_version.png").write_bytes(b"old")
    project.version = "zh"
    assert project.run(lang="zh-TW") == 0
    assert {p.name: p.read_bytes() for p in (project.figures / "zh-TW").iterdir()} == {
        "q1_saliency.png": b"png q1_saliency zh", "q2_filters.png": b"png q2_filters zh"}
    assert (project.figures / "en" / "stale_from_an_older_version.png").exists()  # zh-TW left en alone
    assert (project.outputs / "report.en.ipynb").exists() and (project.outputs / "report.zh-TW.pdf").exists()
    project.version = "en2"
    assert project.run() == 0
    assert sorted(p.name for p in (project.figures / "en").iterdir()) == sorted(english)  # no mix of runs
    assert (project.figures / "en" / "q1_saliency.png").read_bytes() == b"png q1_saliency en2"


def _papermill_error() -> BaseException:
    from papermill.exceptions import PapermillExecutionError

    return PapermillExecutionError(3, 2, "check()", "ReportParameterError",
                                   "smoothgrad_sigma must be > 0, got -1", [])


@pytest.mark.parametrize("step, failure, code, said", [
    ("execute", "papermill", 1, "stopped in cell 2: ReportParameterError: smoothgrad_sigma must be > 0"),
    ("execute", KeyboardInterrupt(), 130, "interrupted (Ctrl-C)"),
    ("export", "latex", 1, "PdfExportError: xelatex failed on report.en.ipynb"),
    ("export", KeyboardInterrupt(), 130, "interrupted (Ctrl-C)"),
])
def test_a_failed_or_interrupted_run_leaves_previous_outputs_byte_identical(project, capsys, step, failure,
                                                                           code, said):
    assert project.run() == 0
    before = project.snapshot()
    assert {"report.pdf", "outputs/report.en.pdf", "outputs/report.en.ipynb", "figures/en/q1_saliency.png"} <= set(before)
    capsys.readouterr()
    if failure == "papermill":
        failure = _papermill_error()
    elif failure == "latex":
        from helpers.report.export_pdf import PdfExportError
        failure = PdfExportError("xelatex failed on report.en.ipynb; first error:\n! Undefined control sequence.")
    project.version, project.fail_in, project.failure = "broken", step, failure
    assert project.run() == code
    assert project.snapshot() == before
    err = capsys.readouterr().err.strip()
    partial = project.outputs / "failed-en" / "report.en.ipynb"
    assert len(err.splitlines()) == 1 and said in err and str(partial) in err
    assert partial.is_file() and not _leftovers(project)


def test_sigterm_is_an_interruption_too(project, capsys):
    assert project.run() == 0
    before = project.snapshot()

    def killed(*args, **kwargs):
        Project.execute(project, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)

    previous = signal.getsignal(signal.SIGTERM)
    rr.execute = killed  # the fixture's monkeypatch restores the real one
    assert project.run() == 143
    assert project.snapshot() == before and "terminated (SIGTERM)" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) == previous


def test_an_interrupt_while_moving_results_puts_everything_back(project, monkeypatch, capsys):
    assert project.run() == 0
    before = project.snapshot()
    project.version = "new2"
    real_replace = os.replace

    def replace(source, target):  # Ctrl-C just as the figures folder is renamed into place
        if Path(target) == project.figures / "en" and ".new-" in Path(source).name:
            raise KeyboardInterrupt
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    assert project.run() == 130
    monkeypatch.setattr(os, "replace", real_replace)
    assert project.snapshot() == before and not _leftovers(project)


def test_an_older_failed_run_is_replaced(project, capsys):
    project.fail_in, project.failure = "execute", RuntimeError("first")
    assert project.run() == 1
    (project.outputs / "failed-en" / "marker").write_text("older failure")
    project.failure = RuntimeError("second")
    assert project.run() == 1
    assert not (project.outputs / "failed-en" / "marker").exists()
    assert "RuntimeError: second" in capsys.readouterr().err


def test_figures_dir_given_by_the_user_keeps_their_other_files(project, tmp_path):
    mine = tmp_path / "my_figures"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    (mine / "q1_saliency.png").write_bytes(b"older")
    assert project.run("-p", "figures_dir", str(mine)) == 0
    assert (mine / "notes.txt").read_text() == "mine"
    assert (mine / "q1_saliency.png").read_bytes() == b"png q1_saliency new"
    assert not (project.figures / "en").exists() and not _leftovers(project)


def test_output_dir_that_is_a_file_is_one_clear_error(project, capsys):
    project.outputs.write_text("not a folder")
    assert project.run() == 1
    assert "is a file" in capsys.readouterr().err


def test_no_pdf_keeps_earlier_pdfs_and_writes_the_notebook(project):
    assert project.run() == 0
    project.version = "second"
    assert project.run("--no-pdf") == 0
    assert project.pdf.read_bytes() == b"%PDF new report.en.ipynb"
    assert (project.figures / "en" / "q1_saliency.png").read_bytes() == b"png q1_saliency second"
