"""Run the whole report: execute report.ipynb with papermill, then export the PDF; nothing is lost
when a run fails.

``python -m helpers.runner.run_report --lang en|zh-TW [-p name value ...]`` (``make report
lang=zh-TW`` calls it) writes

* ``outputs/report.<lang>.ipynb``: the executed notebook, holding only that language's prose;
* ``report.pdf``: the PDF to hand in, in the chosen language (the latest run wins), and the same
  file as ``outputs/report.<lang>.pdf`` so both languages can be kept side by side;
* ``figures/<lang>/*.png``: the figures (stable names; one folder per language, so a zh-TW run
  never overwrites the English figures). ``-p figures_dir DIR`` puts them in DIR instead.

Each run works in a fresh folder ``outputs/.run-<random>/`` (notebook, figures, PDF) and moves its
results into place with renames only when every step succeeded. A failed run (bad parameter,
error in a cell, LaTeX failure) or an interrupted one (Ctrl-C, SIGTERM) leaves the previous outputs
byte-identical, prints one line with the error and the partial notebook kept for debugging in
``outputs/failed-<lang>/``, and exits with status 1 (130 after Ctrl-C, 143 after SIGTERM).

While it runs, stderr says which section runs, for how long, and about how long is left (one line
per section, redrawn in place in a terminal; plain lines at section boundaries in a log), from the
estimate the report's set-up makes (:mod:`helpers.runner.estimate`, :mod:`helpers.runner.progress`);
nothing of it goes into the notebook or the PDF. Ctrl-C kills the kernel at once and says what the
next run can reuse (the results cached so far).

The steps :func:`execute` and :func:`export` are module-level functions, so tests can replace them.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import secrets
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from helpers.report.messages import LANGUAGES
from helpers.runner.progress import RunProgress

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = PROJECT_ROOT / "report.ipynb"
OUTPUTS = PROJECT_ROOT / "outputs"
PDF = PROJECT_ROOT / "report.pdf"
FIGURES = PROJECT_ROOT / "figures"  # figures of language <lang> go to FIGURES / <lang>
EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED = 1, 130, 143


def _value(text: str):
    """``-p`` values as Python literals when they parse (0.2, None, ["0_1"]), else as JSON (a
    ``model_kwargs`` written ``{"pretrained": false}``, as papermill's own ``-p`` takes it), else strings."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    if text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def from_callers_folder(parameters: dict, cwd: Path) -> dict:
    """``parameters`` with the input paths given relative to the shell's folder ``cwd`` made absolute:
    the model file of ``model_arch`` ("path.py:Class"), ``checkpoint`` and ``data_dir``. The notebook
    runs in the project's folder, where a path the user typed from elsewhere would name another file.
    Run from the project's folder, they stay as given (section 0 shows them as typed)."""
    if Path(cwd).resolve() == PROJECT_ROOT:
        return dict(parameters)

    def absolute(path: str) -> str:
        given = Path(path).expanduser()
        return path if given.is_absolute() else str(Path(cwd).resolve() / given)

    resolved = dict(parameters)
    arch = resolved.get("model_arch")
    if isinstance(arch, str) and ":" in arch:
        file, _, class_name = arch.rpartition(":")
        if file.endswith(".py"):
            resolved["model_arch"] = f"{absolute(file)}:{class_name}"
    for name, keep in (("checkpoint", (None, "None", "")), ("data_dir", ("default", ""))):
        value = resolved.get(name)
        if isinstance(value, str) and value not in keep:
            resolved[name] = absolute(value)
    return resolved


def execute(language: str, parameters: dict, output: Path, timeout: int = 3600, hooks: dict | None = None) -> Path:
    """Execute report.ipynb with papermill (no progress bars) into ``output``; ``hooks``: nbclient's
    ``on_cell_start`` etc. (:meth:`RunProgress.hooks`)."""
    import papermill

    from helpers.runner.papermill_engine import register

    os.environ.setdefault("TQDM_DISABLE", "1")  # the kernel inherits it: no bars in the notebook
    output.parent.mkdir(parents=True, exist_ok=True)
    # The kernel runs in its own session, so Ctrl-C reaches only this process: "immediate" kills
    # the kernel at once when the run stops, instead of a graceful shutdown it cannot hear while busy.
    papermill.execute_notebook(str(NOTEBOOK), str(output), parameters={**parameters, "language": language},
                               kernel_name="python3", engine_name=register(), cwd=str(PROJECT_ROOT),
                               progress_bar=False, log_output=False, execution_timeout=timeout,
                               shutdown_kernel="immediate",
                               # the kernel shares our stderr: its start-up warnings would break the progress lines
                               extra_arguments=["--IPKernelApp.log_level=ERROR"], **(hooks or {}))
    return output


def export(notebook: Path, pdf: Path, show_code: bool = False) -> Path:
    """Export the executed notebook to ``pdf`` (see :mod:`helpers.pdf.export`)."""
    from helpers.pdf.export import export_pdf

    return export_pdf(notebook, pdf, show_code=show_code)


def finalize_notebook(notebook: Path, language: str, moved: dict[str, str]) -> None:
    """Keep only ``language``'s prose (the PDF takes its title from the first heading left) and
    replace the run folder's paths by where the files end up (``moved``: old -> new, applied in
    order), so the notebook does not point at a folder that is gone."""
    import nbformat

    from helpers.pdf.language import keep_language

    nb = keep_language(nbformat.read(notebook, as_version=4), language)
    text = nbformat.writes(nb)
    for old, new in moved.items():  # JSON-escaped, as the paths appear in the file
        text = text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
    notebook.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class ReportOutputs:
    """Where a successful run puts its results."""

    notebook: Path
    pdf: Path | None
    pdf_copy: Path | None
    figures: Path


class ReportRunFailed(RuntimeError):
    """A run that failed or was interrupted; the previous outputs were left as they were."""

    def __init__(self, message: str, partial: Path | None, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.partial = partial
        self.exit_code = exit_code


class _Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that the run's clean-up code runs."""


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    def handler(signum, frame):
        raise _Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _only_figures(folder: Path) -> bool:
    """True when ``folder`` is absent or holds nothing but PNG files: safe to replace as a whole."""
    return not folder.exists() or (folder.is_dir() and all(p.is_file() and p.suffix.lower() == ".png"
                                                            for p in folder.iterdir()))


def _staging_name(final: Path, token: str) -> Path:
    return final.with_name(f".{final.name}.new-{token}")


def _stage(source: Path, final: Path, token: str, copy: bool = False) -> Path:
    """Put ``source`` next to ``final`` (same folder, so the last step is a plain rename)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    staged = _staging_name(final, token)
    if not copy:
        try:
            os.replace(source, staged)
            return staged
        except OSError:  # another file system: copy instead
            pass
    try:
        if source.is_dir():
            shutil.copytree(source, staged)
        else:
            shutil.copyfile(source, staged)
    except BaseException:
        _remove(staged)  # no half-copied file may stay next to the user's outputs
        raise
    return staged


def _commit(moves: list[tuple[Path, Path]], token: str) -> None:
    """Rename each staged path onto its final place; on any error or interrupt put everything back."""
    done: list[tuple[Path, Path | None]] = []
    try:
        for staged, final in moves:
            backup = None
            if final.exists() or final.is_symlink():
                backup = final.with_name(f".{final.name}.old-{token}")
                os.replace(final, backup)
            done.append((final, backup))
            os.replace(staged, final)
    except BaseException:
        for final, backup in reversed(done):
            _remove(final)
            if backup is not None:
                os.replace(backup, final)
        raise
    for _, backup in done:
        if backup is not None:
            _remove(backup)


def _describe(error: BaseException) -> str:
    """One line for the error of a failed step."""
    if type(error).__name__ == "PapermillExecutionError":
        message = (str(getattr(error, "evalue", "")).strip() or getattr(error, "ename", "")).splitlines()
        return (f"the report stopped in cell {getattr(error, 'exec_count', '?')}: {getattr(error, 'ename', '')}: "
                f"{message[0] if message else ''}")
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _figures_target(language: str, parameters: dict) -> tuple[Path, str]:
    """Final figures folder and how the notebook should name it (relative paths are the
    notebook's, i.e. relative to the project root, where papermill runs it)."""
    given = parameters.get("figures_dir")
    if given:
        path = Path(str(given)).expanduser()
        return (path if path.is_absolute() else PROJECT_ROOT / path), str(given)
    final = FIGURES / language
    try:
        shown = str(final.relative_to(PROJECT_ROOT))
    except ValueError:
        shown = str(final)
    return final, shown


def _kept_results(parameters: dict, estimate: dict | None) -> str:
    """What a stopped run leaves for the next one: the results it cached (the estimate, once the
    report made it, knows the resolved cache folder; before that the parameters say it)."""
    from helpers.report.params import notebook_parameters

    values = {**notebook_parameters(NOTEBOOK), **parameters}
    cache = estimate.get("cache_dir") if estimate else (values["cache_dir"] if values.get("use_cache", True) else None)
    return f"results computed so far stay cached in {cache} for the next run" if cache else \
        "nothing was cached (use_cache=False)"


def run_report(language: str, parameters: dict, output_dir: Path = OUTPUTS, pdf: Path | None = PDF,
               show_code: bool = False, progress_stream: TextIO | None = None) -> ReportOutputs:
    """Execute the report into a fresh run folder, export it (unless ``pdf`` is None) and move the
    notebook, figures and PDFs into place only when all of that succeeded.

    Raises :class:`ReportRunFailed` (also for Ctrl-C and SIGTERM, with exit codes 130 and 143)
    after keeping the run folder as ``output_dir/failed-<language>/``; the previous outputs are
    then untouched.
    """
    output_dir = Path(output_dir).expanduser().resolve()
    if output_dir.exists() and not output_dir.is_dir():
        raise ReportRunFailed(f"the output folder {output_dir} is a file: pass --output-dir a folder", None)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportRunFailed(f"cannot create the output folder {output_dir}: {error}", None) from error
    token = secrets.token_hex(4)
    run_dir = output_dir / f".run-{token}"
    run_dir.mkdir()
    executed = run_dir / f"report.{language}.ipynb"
    run_figures = run_dir / "figures"
    run_figures.mkdir()
    figures, figures_shown = _figures_target(language, parameters)
    outputs = ReportOutputs(output_dir / executed.name, pdf.expanduser().resolve() if pdf else None,
                            output_dir / f"report.{language}.pdf" if pdf else None, figures)
    moves: list[tuple[Path, Path]] = []
    progress = RunProgress(language, stream=progress_stream)
    try:
        with _sigterm_raises():
            execute(language, {**parameters, "figures_dir": str(run_figures)}, executed, hooks=progress.hooks())
            finalize_notebook(executed, language, {str(run_figures): figures_shown, str(run_dir): str(output_dir)})
            if pdf:
                progress.step("PDF export")
            _stage_all(moves, run_dir, executed, run_figures, outputs, show_code, token)
            _commit(moves, token)
            progress.close(completed=True)
    except BaseException as error:
        where = progress.close(completed=False)
        for staged, _ in moves:  # staged but not committed (a failed copy, a rolled-back commit)
            _remove(staged)
        partial = _keep_failed_run(run_dir, output_dir, language, executed.name)
        if not isinstance(error, Exception | KeyboardInterrupt | _Terminated):
            raise  # SystemExit and the like: the run folder is kept, the exception goes on
        code = {KeyboardInterrupt: EXIT_INTERRUPTED, _Terminated: EXIT_TERMINATED}.get(type(error), EXIT_FAILED)
        message = {EXIT_INTERRUPTED: "interrupted (Ctrl-C)", EXIT_TERMINATED: "terminated (SIGTERM)"}.get(code)
        message = f"{message} {where}; {_kept_results(parameters, progress.estimate)}" if message else _describe(error)
        raise ReportRunFailed(message, partial, code) from error
    shutil.rmtree(run_dir, ignore_errors=True)
    return outputs


def _stage_all(moves: list[tuple[Path, Path]], run_dir: Path, executed: Path, run_figures: Path,
               outputs: ReportOutputs, show_code: bool, token: str) -> None:
    """Export the PDF inside the run folder, then stage every result next to its final place
    (appending ``(staged, final)`` to ``moves`` as it goes, so a failure can remove them)."""
    if outputs.pdf is not None:
        run_pdf = export(executed, run_dir / outputs.pdf_copy.name, show_code=show_code)
        if outputs.pdf != outputs.pdf_copy:
            moves.append((_stage(run_pdf, outputs.pdf, token, copy=True), outputs.pdf))
        moves.append((_stage(run_pdf, outputs.pdf_copy, token), outputs.pdf_copy))
    moves.append((_stage(executed, outputs.notebook, token), outputs.notebook))
    if _only_figures(outputs.figures):
        moves.append((_stage(run_figures, outputs.figures, token), outputs.figures))
    else:  # a folder with other files in it (the user's): replace our PNGs one by one, keep the rest
        for png in sorted(run_figures.glob("*.png")):
            moves.append((_stage(png, outputs.figures / png.name, token), outputs.figures / png.name))


def _keep_failed_run(run_dir: Path, output_dir: Path, language: str, notebook_name: str) -> Path | None:
    """Keep the run folder as ``failed-<language>`` (replacing an older one); the partial notebook."""
    failed = output_dir / f"failed-{language}"
    try:
        _remove(failed)
        os.replace(run_dir, failed)
    except OSError:
        failed = run_dir  # keep it where it is rather than lose it
    notebook = failed / notebook_name
    return notebook if notebook.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.runner.run_report",
                                     description="Execute report.ipynb with papermill and export report.pdf.")
    parser.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the report")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="notebook parameter (repeatable), e.g. -p smoothgrad_samples 50")
    parser.add_argument("--pdf", type=Path, default=PDF, help="PDF to write (default: report.pdf)")
    parser.add_argument("--output-dir", type=Path, default=OUTPUTS,
                        help="folder for the executed notebook and the language's PDF copy (default: outputs/)")
    parser.add_argument("--no-pdf", action="store_true", help="only execute the notebook")
    parser.add_argument("--show-code", action="store_true", help="keep code cells in the PDF")
    args = parser.parse_args(argv)
    # paths typed in the shell are relative to its folder; the notebook runs in the project's
    parameters = from_callers_folder({name: _value(value) for name, value in args.parameter}, Path.cwd())
    started = time.perf_counter()
    try:
        done = run_report(args.lang, parameters, args.output_dir, None if args.no_pdf else args.pdf,
                          show_code=args.show_code)
    except ReportRunFailed as error:
        kept = (f"the partial notebook is kept for debugging: {error.partial}" if error.partial
                else "no notebook was written")
        print(f"error: {error}; previous outputs left unchanged; {kept}", file=sys.stderr)
        return error.exit_code
    pdfs = f"PDF: {done.pdf} (also {done.pdf_copy}), " if done.pdf else ""
    print(f"executed notebook: {done.notebook}, {pdfs}figures: {done.figures}/, "
          f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
