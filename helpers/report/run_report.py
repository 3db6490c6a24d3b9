"""Run the whole report: execute report.ipynb with papermill, then export the PDF.

``python -m helpers.report.run_report --lang en|zh-TW [-p name value ...]`` (``make report
lang=zh-TW`` calls it) writes

* ``outputs/report.<lang>.ipynb``: the executed notebook;
* ``report.pdf``: the PDF to hand in, in the chosen language (the latest run wins), and the same
  file as ``outputs/report.<lang>.pdf`` so both languages can be kept side by side;
* ``figures/*.png``: the figures (stable names).

If papermill fails (e.g. a bad parameter), it prints the notebook's one-line error, exits with
status 1 and removes ``report.pdf`` and ``outputs/report.<lang>.pdf`` from earlier runs, so no
PDF is left that looks complete but does not match the parameters asked for.
"""
from __future__ import annotations

import argparse
import ast
import os
import shutil
import sys
import time
from pathlib import Path

from helpers.report.i18n import LANGUAGES, load_texts

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = PROJECT_ROOT / "report.ipynb"
OUTPUTS = PROJECT_ROOT / "outputs"
PDF = PROJECT_ROOT / "report.pdf"


def _value(text: str):
    """``-p`` values as Python literals when they parse (0.2, None, ["0_1"]), else strings."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def execute(language: str, parameters: dict, output: Path, timeout: int = 3600) -> Path:
    """Execute report.ipynb with papermill (no progress bars) into ``output``."""
    import papermill

    os.environ.setdefault("TQDM_DISABLE", "1")  # the kernel inherits it: no bars in the notebook
    output.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(str(NOTEBOOK), str(output), parameters={**parameters, "language": language},
                               kernel_name="python3", cwd=str(PROJECT_ROOT), progress_bar=False,
                               log_output=False, execution_timeout=timeout)
    return output


def set_title(notebook: Path, language: str) -> None:
    """Give the executed notebook the report's title (LaTeX uses it on the PDF's first page)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["title"] = load_texts(language)("pdf_title")
    nb.metadata["authors"] = []
    nbformat.write(nb, notebook)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.report.run_report",
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
    parameters = {name: _value(value) for name, value in args.parameter}
    executed = args.output_dir / f"report.{args.lang}.ipynb"
    copies = [args.pdf.resolve(), (args.output_dir / f"report.{args.lang}.pdf").resolve()]
    started = time.perf_counter()
    import papermill

    try:
        execute(args.lang, parameters, executed)
    except papermill.PapermillExecutionError as error:
        for stale in copies:
            stale.unlink(missing_ok=True)
        message = str(error.evalue).strip() or error.ename
        print(f"error: the report stopped in cell {error.exec_count}: {error.ename}: {message}", file=sys.stderr)
        print(f"The executed notebook with the error is {executed}; no PDF was written.", file=sys.stderr)
        return 1
    executed_s = time.perf_counter() - started
    print(f"executed notebook: {executed} ({executed_s:.0f} s)")
    if args.no_pdf:
        return 0
    from helpers.report.export_pdf import PdfExportError, export_pdf

    set_title(executed, args.lang)
    try:
        pdf = export_pdf(executed, copies[1], show_code=args.show_code)
    except PdfExportError as error:
        for stale in copies:
            stale.unlink(missing_ok=True)
        print(f"error: {error}", file=sys.stderr)
        return 1
    if copies[0] != copies[1]:
        tmp = copies[0].with_name(f".{copies[0].name}.part")
        shutil.copyfile(pdf, tmp)
        os.replace(tmp, copies[0])
    print(f"PDF: {copies[0]} (also {copies[1]}), figures: {PROJECT_ROOT / 'figures'}/, "
          f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
