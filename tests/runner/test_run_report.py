"""run_report: results move into place only when the whole run succeeded; a failed or interrupted
run leaves the previous notebook, PDFs and figures byte-identical and keeps its partial notebook.

The execute and export steps are replaced by fakes that write a small notebook, PNGs and a PDF (or
fail), so these tests need neither the real report nor LaTeX. The language filter is the real
:func:`helpers.pdf.language.keep_language`.
"""
from __future__ import annotations

import os
import signal
from pathlib import Path

import nbformat
import pytest

from helpers.runner import run_report as rr


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
        self.stop_at = 4  # a failing execute stops before this cell (in section 0)
        self.cache = root.parent / "cache"  # the result cache: outside the outputs, kept by failed runs too

    def execute(self, language: str, parameters: dict, output: Path, timeout: int = 3600,
                hooks: dict | None = None) -> Path:
        self.executed_parameters = parameters
        figures = Path(parameters["figures_dir"])
        figures.mkdir(parents=True, exist_ok=True)
        for name in ("q1_saliency", "q2_filters"):
            (figures / f"{name}.png").write_bytes(f"png {name} {self.version}".encode())
        v4 = nbformat.v4
        estimate = {"seconds": {"0": 5.0, "1": 7.0}, "total": 12.0, "cache_dir": str(self.cache),
                    "signatures": {"0": "sig0", "1": "sig1"}, "text": {"en": "about 12 s", "zh-TW": "約 12 秒"}}
        nb = v4.new_notebook(cells=[
            v4.new_code_cell(f"figures_dir = {parameters['figures_dir']!r}", metadata={"tags": ["injected-parameters"]}),
            v4.new_markdown_cell("## 0. Data\n\nEnglish prose", metadata={"tags": ["lang-en"]}),
            v4.new_markdown_cell("## 0. 資料\n\n中文說明", metadata={"tags": ["lang-zh-TW"]}),
            v4.new_code_cell("estimate.show()", outputs=[v4.new_output(
                "display_data", data={"text/markdown": "Estimated: about 12 s."}, metadata={"report_estimate": estimate})]),
            v4.new_markdown_cell("## 1. Saliency", metadata={"tags": ["lang-en"]}),
            v4.new_code_cell("print('both')", outputs=[v4.new_output("stream", name="stdout", text="both\n")]),
        ])
        for index, cell in enumerate(nb.cells):  # as nbclient calls the hooks (on_cell_executed: code cells)
            if self.fail_in == "execute" and self.stop_at == index:
                break
            (hooks or {}).get("on_cell_start", lambda **kw: None)(cell=cell, cell_index=index)
            if cell.cell_type == "code":
                (hooks or {}).get("on_cell_executed", lambda **kw: None)(cell=cell, cell_index=index, execute_reply={})
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
    assert any("English prose" in s for s in sources) and not any("中文說明" in s for s in sources)  # one language
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
        from helpers.pdf.export import PdfExportError
        failure = PdfExportError("xelatex failed on report.en.ipynb; first error:\n! Undefined control sequence.")
    project.version, project.fail_in, project.failure = "broken", step, failure
    assert project.run() == code
    assert project.snapshot() == before
    err = capsys.readouterr().err.strip()
    partial = project.outputs / "failed-en" / "report.en.ipynb"
    errors = [line for line in err.splitlines() if line.startswith("error:")]  # the others: progress lines
    assert len(errors) == 1 and said in errors[0] and str(partial) in errors[0]
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


def _notebook_text(notebook: Path) -> str:
    """Everything a reader of the notebook or of its PDF sees: sources and outputs."""
    nb = nbformat.read(notebook, as_version=4)
    return "\n".join([cell.source for cell in nb.cells] + [str(out.get("text", "")) + str(out.get("data", ""))
                                                           for cell in nb.cells for out in cell.get("outputs", [])])


PROGRESS_MARKS = ("] 0. Data:", "done in", "started", "s left")


def test_progress_goes_to_stderr_never_into_the_notebook_or_the_pdf(project, monkeypatch, capsys):
    from helpers.runner.progress import done_signatures

    def export(notebook: Path, pdf: Path, show_code: bool = False) -> Path:
        pdf.write_text(_notebook_text(notebook), encoding="utf-8")  # a "PDF" with all the notebook's text
        return pdf

    monkeypatch.setattr(rr, "export", export)
    assert project.run() == 0
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert [line.split("] ", 1)[1].split(":")[0] for line in lines if "started" in line] == [
        "0. Data", "1. Saliency", "PDF export"]
    assert any(line.endswith("estimate: about 12 s") for line in lines) and "\r" not in err  # not a terminal
    assert "0. Data: done in 0 s (estimate 5 s), about 7 s left" in err
    for text in (_notebook_text(project.outputs / "report.en.ipynb"), project.pdf.read_text(encoding="utf-8")):
        assert "Estimated: about 12 s." in text  # the report states the estimate ...
        assert not [mark for mark in PROGRESS_MARKS if mark in text]  # ... but holds no progress line
    assert done_signatures(project.cache) == ["sig0", "sig1"]  # completed sections count as cached next time


def test_an_interrupt_says_where_it_stopped_and_what_was_kept(project, capsys):
    project.fail_in, project.failure = "execute", KeyboardInterrupt()
    assert project.run() == 130
    error = capsys.readouterr().err.splitlines()[-1]
    assert error.startswith(f"error: interrupted (Ctrl-C) in 0. Data after 0:00; results computed so far stay "
                            f"cached in {project.cache} for the next run; previous outputs left unchanged; ")


def test_before_the_estimate_the_parameters_say_what_was_cached(project, capsys):
    project.fail_in, project.failure, project.stop_at = "execute", KeyboardInterrupt(), 2
    assert project.run("-p", "use_cache", "False") == 130
    assert "in 0. Data after 0:00; nothing was cached (use_cache=False)" in capsys.readouterr().err
    assert project.run("-p", "cache_dir", "/somewhere/cache") == 130
    assert "results computed so far stay cached in /somewhere/cache" in capsys.readouterr().err


def test_execute_gives_papermill_the_hooks_and_kills_the_kernel_at_once(tmp_path, monkeypatch):
    import papermill

    calls = []
    monkeypatch.setattr(papermill, "execute_notebook", lambda *args, **kwargs: calls.append(kwargs))
    hooks = {"on_cell_start": print, "on_cell_executed": print}
    rr.execute("en", {}, tmp_path / "out.ipynb", hooks=hooks)
    (kwargs,) = calls
    assert kwargs["shutdown_kernel"] == "immediate" and kwargs["on_cell_start"] is print
    assert kwargs["on_cell_executed"] is print and kwargs["progress_bar"] is False
    assert kwargs["extra_arguments"] == ["--IPKernelApp.log_level=ERROR"]  # no kernel warnings amid the progress


def _real_notebook(path: Path, work: str) -> Path:
    """A miniature report for a real kernel: sections as report.ipynb has them and the estimate
    shown by the real Estimate.show; ``work`` is the code of section 1."""
    import os
    import sys

    v4 = nbformat.v4
    root = Path(rr.__file__).resolve().parents[2]
    # The kernel must be this venv's Python (compared resolved: a symlinked .venv spells it otherwise).
    kernel_check = f"import os, sys\nassert os.path.realpath(sys.prefix) == {os.path.realpath(sys.prefix)!r}, sys.prefix\n"
    cells = [v4.new_code_cell(kernel_check + f"sys.path.insert(0, {str(root)!r})\n%config InlineBackend.figure_formats = ['png']",
                              metadata={"tags": ["remove_cell"]}),
             v4.new_code_cell("language = 'en'\nfigures_dir = 'figures'", metadata={"tags": ["parameters"]}),
             v4.new_markdown_cell("# Mini report", metadata={"tags": ["lang-en"]}),
             v4.new_markdown_cell("## 0. Data\n\nThe data.", metadata={"tags": ["lang-en"]}),
             v4.new_markdown_cell("## 0. 資料", metadata={"tags": ["lang-zh-TW"]}),
             v4.new_code_cell("from helpers.runner.estimate import Estimate, PassCosts\n"
                              "Estimate({'0': 2.0, '1': 3.0}, [], 'cpu', PassCosts(1, 1, 0, 0, 0), {}, None).show(language)"),
             v4.new_markdown_cell("## 1. Work", metadata={"tags": ["lang-en"]}),
             v4.new_code_cell(work)]
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_real_run_prints_progress_and_the_pdf_holds_none_of_it(pdf_tools, tmp_path, monkeypatch, capsys):
    import subprocess

    monkeypatch.setattr(rr, "NOTEBOOK", _real_notebook(tmp_path / "mini.ipynb", "print('worked')"))
    monkeypatch.setattr(rr, "FIGURES", tmp_path / "figures")
    assert rr.main(["--output-dir", str(tmp_path / "outputs"), "--pdf", str(tmp_path / "report.pdf")]) == 0
    err = capsys.readouterr().err
    assert "0. Data: started" in err and "estimate: about 5 s on this CPU; no cached results" in err
    assert "1. Work: done in" in err and "PDF export: done in" in err
    assert "IPKernelApp" not in err  # the kernel's start-up warning would cut into a progress line
    text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Estimated run time: about 5 s on this CPU" in text and "worked" in text
    assert not [mark for mark in ("done in", "started", "s left") if mark in text]
    assert not [mark for mark in ("done in", "started", "s left")
                if mark in _notebook_text(tmp_path / "outputs" / "report.en.ipynb")]


@pytest.mark.slow
def test_ctrl_c_stops_a_real_run_and_its_kernel_at_once(tmp_path):
    import subprocess
    import sys
    import time

    import psutil

    work = "import time\nstart = time.time()\nwhile time.time() - start < 300:\n    sum(i * i for i in range(10000))"
    notebook = _real_notebook(tmp_path / "busy.ipynb", work)
    runner = subprocess.Popen(
        [sys.executable, "-c", "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
         f"import helpers.runner.run_report as rr; from pathlib import Path; rr.NOTEBOOK = Path({str(notebook)!r})\n"
         f"sys.exit(rr.main(['--no-pdf', '--output-dir', {str(tmp_path / 'outputs')!r}]))"],
        cwd=Path(rr.__file__).resolve().parents[2], stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not lines or "1. Work: started" not in lines[-1]:  # the busy cell comes next
            lines.append(runner.stderr.readline())
            assert lines[-1], "".join(lines)  # the runner ended before section 1
        (kernel,) = [p for p in psutil.Process(runner.pid).children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
        runner.send_signal(signal.SIGINT)
        stopped = time.monotonic()
        assert runner.wait(timeout=60) == 130
        seconds = time.monotonic() - stopped
        kernel.wait(timeout=10)  # raises TimeoutExpired if the kernel were still computing
    finally:
        runner.kill()
    error = runner.stderr.read().strip().splitlines()[-1]
    assert error.startswith("error: interrupted (Ctrl-C) in 1. Work after ") and "previous outputs left unchanged" in error
    assert seconds < 10, f"the runner took {seconds:.1f} s to stop"


def test_input_paths_typed_in_another_folder_are_taken_from_that_folder(project, tmp_path, monkeypatch):
    """``-p model_arch my_model.py:Net`` typed in the user's folder: the notebook runs in the
    project's folder, so the runner hands it the file in the user's folder, not one in the project's."""
    elsewhere = tmp_path / "mine"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert project.run("--no-pdf", "-p", "model_arch", "models/my_model.py:Net", "-p", "checkpoint", "net.pth",
                       "-p", "data_dir", "../food", "-p", "smoothgrad_samples", "2") == 0
    given = project.executed_parameters
    assert given["model_arch"] == f"{elsewhere / 'models' / 'my_model.py'}:Net"
    assert (given["checkpoint"], given["data_dir"]) == (str(elsewhere / "net.pth"), str(elsewhere / "../food"))
    assert given["smoothgrad_samples"] == 2


@pytest.mark.parametrize("arch, checkpoint, data_dir", [
    ("models/my_model.py:Net", "net.pth", "food"),      # from the project's folder: as typed
    ("torchvision:resnet18", "None", "default"),        # no path to resolve
])
def test_paths_typed_in_the_project_s_folder_or_no_paths_stay_as_given(project, monkeypatch, arch, checkpoint,
                                                                          data_dir, tmp_path):
    monkeypatch.chdir(rr.PROJECT_ROOT if arch.endswith(":Net") else tmp_path)
    assert project.run("--no-pdf", "-p", "model_arch", arch, "-p", "checkpoint", checkpoint,
                       "-p", "data_dir", data_dir) == 0
    given = project.executed_parameters
    assert (given["model_arch"], given["checkpoint"], given["data_dir"]) == (arch, None if checkpoint == "None"
                                                                             else checkpoint, data_dir)


def test_model_kwargs_in_json_reach_the_notebook_as_a_dict(project):
    """``-p model_kwargs '{"widths": [32, 64], "bias": false, "head": null}'``: JSON, as papermill's ``-p``
    takes it, not Python (a string there would stop the first cell as "not valid")."""
    assert project.run("--no-pdf", "-p", "model_kwargs", '{"widths": [32, 64], "bias": false, "head": null}',
                       "-p", "normalize", '{"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}',
                       "-p", "layer", "features.3") == 0
    given = project.executed_parameters
    assert given["model_kwargs"] == {"widths": [32, 64], "bias": False, "head": None}
    assert given["normalize"] == {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]} and given["layer"] == "features.3"
