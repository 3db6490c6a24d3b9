"""Export an executed notebook (e.g. papermill's output of report.ipynb) to a PDF in one
language, with Chinese text, figures and formulas.

Plain ``jupyter nbconvert --to pdf`` exits 0 but drops every Chinese character, prints the
parameters cells and both languages' prose, turns progress widgets into ``HBox(...)`` junk and
crashes on SVG-only figures. This module uses nbconvert's PDFExporter with the project template
``report_templates/cjk_pdf`` (fonts, title, figure sizes, language filter: see its header) and:

* keeps only the report language's cells (:mod:`helpers.pdf.language`);
* removes cells tagged ``parameters``, ``injected-parameters`` or ``remove_cell``, the inputs of
  cells tagged ``remove_input``, the outputs of cells tagged ``remove_output``, and widget outputs;
* hides code inputs and prompts unless ``show_code=True``;
* refuses a missing or unreadable ``.ipynb``, one holding an error output (papermill's failed
  cell) or an SVG-only figure, with one message saying what to do;
* writes the PDF atomically, so a failed export leaves an older PDF there untouched.

CLI: ``python -m helpers.pdf.export NOTEBOOK [PDF] [--show-code] [--language LANG]``.
System needs (xelatex, pandoc, CJK fonts): ``tools/install_system_packages.sh``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from helpers.pdf.language import keep_language, notebook_language

__all__ = ["TEMPLATE_DIR", "TEMPLATE_NAME", "REMOVE_CELL_TAGS", "REMOVE_INPUT_TAGS", "REMOVE_OUTPUT_TAGS",
           "PdfExportError", "MissingSystemTools", "NotebookHasErrors", "find_error_outputs",
           "read_notebook", "make_exporter", "export_pdf", "main"]

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = REPO_ROOT / "report_templates"
TEMPLATE_NAME = "cjk_pdf"
INSTALL_SCRIPT = "tools/install_system_packages.sh"

REMOVE_CELL_TAGS = frozenset({"parameters", "injected-parameters", "remove_cell"})
REMOVE_INPUT_TAGS = frozenset({"remove_input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove_output"})

_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_RASTER_OR_PDF = ("image/png", "image/jpeg", "application/pdf")


class PdfExportError(RuntimeError):
    """The notebook cannot be exported to PDF (the message says why and what to do)."""


class MissingSystemTools(PdfExportError):
    """xelatex or pandoc is not installed."""


class NotebookHasErrors(PdfExportError):
    """The notebook holds an error output, e.g. the cell where a papermill run failed."""


def find_error_outputs(nb) -> list[tuple[int, str, str]]:
    """Return ``(cell_index, ename, evalue)`` for every error output in ``nb``."""
    return [(index, str(output.get("ename", "")), str(output.get("evalue", "")))
            for index, cell in enumerate(nb.cells) for output in cell.get("outputs", []) or []
            if output.get("output_type") == "error"]


def read_notebook(path: Path):
    """Read ``path`` as a notebook, or raise PdfExportError saying what is wrong with the file."""
    path = Path(path)
    advice = "re-run the notebook or pass the executed .ipynb (e.g. papermill's output)"
    if not path.is_file():
        raise PdfExportError(f"{path} not found{' (it is a folder)' if path.is_dir() else ''}: {advice}")
    try:
        return nbformat.read(path, as_version=4)
    except nbformat.reader.NotJSONError as error:
        line = getattr(error.__cause__, "lineno", None)
        where = f"JSON error at line {line}" if line else "not JSON"
        raise PdfExportError(f"{path} is not a valid notebook ({where}): {advice}") from None
    except UnicodeDecodeError:
        raise PdfExportError(f"{path} is not a valid notebook (not UTF-8 text): {advice}") from None
    except Exception as error:  # noqa: BLE001 - valid JSON without a notebook's structure
        detail = (str(error).splitlines() or ["no notebook structure"])[0]
        raise PdfExportError(f"{path} is not a valid notebook ({type(error).__name__}: {detail}): "
                             f"{advice}") from None


def _require_tools() -> None:
    missing = [tool for tool in ("xelatex", "pandoc") if shutil.which(tool) is None]
    if missing:
        raise MissingSystemTools(f"PDF export needs {' and '.join(missing)}, not found on PATH. Run "
                                 f"{INSTALL_SCRIPT} (as root, or it prints the sudo apt-get command).")


def _check_and_clean(nb, source: Path):
    """Refuse error outputs and SVG-only figures; drop widget outputs. Mutates ``nb``."""
    errors = find_error_outputs(nb)
    papermill_failed = bool(nb.metadata.get("papermill", {}).get("exception"))
    if errors or papermill_failed:
        details = "; ".join(
            f"cell {i} ({ename}: {evalue.strip().splitlines()[0] if evalue.strip() else ''})"
            for i, ename, evalue in errors[:5]
        ) or "papermill recorded an exception"
        raise NotebookHasErrors(
            f"{source} contains error output(s): {details}. A PDF of a failed run would look "
            "complete but miss every result after the failure; fix the error and re-run the "
            "notebook (e.g. with papermill) before exporting."
        )
    if shutil.which("inkscape") is None:
        for index, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []) or []:
                data = output.get("data", {}) or {}
                if "image/svg+xml" in data and not any(m in data for m in _RASTER_OR_PDF):
                    raise PdfExportError(
                        f"{source}: cell {index} has an SVG-only figure, which the LaTeX route "
                        "cannot embed without inkscape. Emit PNG figures instead "
                        "(%config InlineBackend.figure_formats = ['png']) and re-run."
                    )
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if _WIDGET_MIME not in (o.get("data") or {})]
    return nb


def make_exporter(show_code: bool = False):
    """Return a configured ``nbconvert.PDFExporter`` using ``report_templates/cjk_pdf``."""
    from nbconvert.exporters import PDFExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    class CjkPDFExporter(PDFExporter):
        def run_bib(self, filename, raise_on_failure=False):  # noqa: ARG002
            # The report has no citations; bibtex would only fail and log a misleading warning.
            return False

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    config.TagRemovePreprocessor.remove_input_tags = set(REMOVE_INPUT_TAGS)
    config.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    exporter = CjkPDFExporter(config=config, template_name=TEMPLATE_NAME,
                              extra_template_basedirs=[str(TEMPLATE_DIR)])
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = not show_code
    exporter.exclude_output_prompt = not show_code
    # Make sure the tag filter runs even if a user config disabled the default one.
    exporter.register_preprocessor(TagRemovePreprocessor(config=config), enabled=True)
    return exporter


def _atomic_write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _latex_error_summary(log: str, max_lines: int = 15) -> str:
    lines = log.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("!")), max(0, len(lines) - max_lines))
    return "\n".join(lines[start : start + max_lines])


def export_pdf(notebook: Path, pdf: Path | None = None, show_code: bool = False,
               language: str | None = None) -> Path:
    """Export ``notebook`` to ``pdf`` (default: same name with ``.pdf``) in ``language`` (default:
    the notebook's, see :func:`~helpers.pdf.language.notebook_language`); return the path.

    Raises ``PdfExportError`` for a missing/invalid notebook or failed LaTeX run,
    ``NotebookHasErrors`` for an error output, ``MissingSystemTools`` without xelatex/pandoc.
    On any failure no file is written under ``pdf`` (an existing one is left untouched).
    """
    notebook = Path(notebook).resolve()
    pdf = Path(pdf).resolve() if pdf is not None else notebook.with_suffix(".pdf")
    if pdf == notebook:
        raise PdfExportError(f"refusing to overwrite the notebook itself: {notebook}")
    if pdf.suffix.lower() != ".pdf":
        raise PdfExportError(f"output file must end in .pdf, got {pdf.name}")
    nb = _check_and_clean(read_notebook(notebook), notebook)
    language = language or notebook_language(nb)
    nb = keep_language(nb, language)
    _require_tools()

    from nbconvert.exporters.pdf import LatexFailed

    resources = {"metadata": {"name": notebook.stem, "path": str(notebook.parent)},
                 "report_language": language}  # the template filters by it too
    cwd = os.getcwd()  # PDFExporter chdirs into a temporary folder; restore even on failure
    try:
        data, _ = make_exporter(show_code=show_code).from_notebook_node(nb, resources=resources)
    except LatexFailed as exc:
        raise PdfExportError(f"xelatex failed on {notebook.name}; first error:\n"
                             f"{_latex_error_summary(str(exc))}") from exc
    finally:
        os.chdir(cwd)
    if not data.startswith(b"%PDF"):
        raise PdfExportError(f"nbconvert returned something that is not a PDF for {notebook}")
    _atomic_write(pdf, data)
    return pdf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.pdf.export",
        description="Export an executed notebook to PDF in one language with Chinese fonts, "
        "hiding papermill parameter cells and (by default) code inputs.",
    )
    parser.add_argument("notebook", type=Path, help="executed .ipynb (e.g. papermill output)")
    parser.add_argument("pdf", type=Path, nargs="?", help="output PDF (default: NOTEBOOK.pdf)")
    parser.add_argument("--show-code", action="store_true", help="keep code inputs")
    parser.add_argument("--language", help="print this language's cells (default: the notebook's)")
    args = parser.parse_args(argv)
    try:
        out = export_pdf(args.notebook, args.pdf, show_code=args.show_code, language=args.language)
    except PdfExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
