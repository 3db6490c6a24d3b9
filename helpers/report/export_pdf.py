"""Export an executed notebook (e.g. papermill's output of report.ipynb) to a PDF that keeps
Chinese text, figures and formulas.

Why not plain ``jupyter nbconvert --to pdf``: it exits 0 but silently drops every Chinese
character (no CJK font in the stock LaTeX template), prints papermill's parameters cells,
turns progress widgets into ``HBox(children=...)`` junk and crashes on SVG-only figures.
This module uses nbconvert's PDFExporter with the project template
``report_templates/cjk_pdf`` and:

* removes cells tagged ``parameters``, ``injected-parameters`` or ``remove_cell``, the inputs
  of cells tagged ``remove_input`` and the outputs of cells tagged ``remove_output``;
* hides all code inputs (and In/Out prompts) unless ``show_code=True``; outputs are kept;
* drops Jupyter widget outputs (progress bars), which have no PDF form;
* refuses a notebook holding an error output (papermill's failed cell), or an SVG-only
  figure, with a message saying which cell;
* writes the PDF atomically: a temporary file in the target folder renamed into place, so a
  failed export never leaves a partial file under the target name (an older PDF there is
  kept untouched).

CLI: ``python -m helpers.report.export_pdf NOTEBOOK [PDF] [--show-code]``.
System needs (xelatex, pandoc, CJK fonts): ``tools/install_system_packages.sh``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

__all__ = [
    "TEMPLATE_DIR",
    "TEMPLATE_NAME",
    "REMOVE_CELL_TAGS",
    "REMOVE_INPUT_TAGS",
    "REMOVE_OUTPUT_TAGS",
    "PdfExportError",
    "MissingSystemTools",
    "NotebookHasErrors",
    "find_error_outputs",
    "make_exporter",
    "export_pdf",
    "main",
]

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
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) or []:
            if output.get("output_type") == "error":
                found.append((index, str(output.get("ename", "")), str(output.get("evalue", ""))))
    return found


def _require_tools() -> None:
    missing = [tool for tool in ("xelatex", "pandoc") if shutil.which(tool) is None]
    if missing:
        raise MissingSystemTools(
            f"PDF export needs {' and '.join(missing)}, not found on PATH. "
            f"Run {INSTALL_SCRIPT} (as root, or it prints the sudo apt-get command)."
        )


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
    exporter = CjkPDFExporter(
        config=config,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
    )
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
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise


def _latex_error_summary(log: str, max_lines: int = 15) -> str:
    lines = log.splitlines()
    marked = [i for i, line in enumerate(lines) if line.startswith("!")]
    if marked:
        start = marked[0]
        return "\n".join(lines[start : start + max_lines])
    return "\n".join(lines[-max_lines:])


def export_pdf(notebook: Path, pdf: Path | None = None, show_code: bool = False) -> Path:
    """Export ``notebook`` to ``pdf`` (default: same name with ``.pdf``) and return its path.

    Raises ``NotebookHasErrors`` for a notebook with an error output, ``MissingSystemTools``
    when xelatex/pandoc are missing, ``PdfExportError`` when LaTeX fails. On any failure no
    file is written under ``pdf`` (an existing one is left untouched).
    """
    notebook = Path(notebook).resolve()
    pdf = Path(pdf).resolve() if pdf is not None else notebook.with_suffix(".pdf")
    if pdf == notebook:
        raise PdfExportError(f"refusing to overwrite the notebook itself: {notebook}")
    if pdf.suffix.lower() != ".pdf":
        raise PdfExportError(f"output file must end in .pdf, got {pdf.name}")
    nb = nbformat.read(notebook, as_version=4)
    _check_and_clean(nb, notebook)
    _require_tools()

    from nbconvert.exporters.pdf import LatexFailed

    exporter = make_exporter(show_code=show_code)
    modified = _dt.datetime.fromtimestamp(notebook.stat().st_mtime)
    resources = {
        "metadata": {
            "name": notebook.stem,
            "path": str(notebook.parent),
            "modified_date": f"{modified:%B} {modified.day}, {modified:%Y}",
        }
    }
    cwd = os.getcwd()  # PDFExporter chdirs into a temporary folder; restore even on failure
    try:
        data, _ = exporter.from_notebook_node(nb, resources=resources)
    except LatexFailed as exc:
        raise PdfExportError(
            f"xelatex failed on {notebook.name}; first error:\n{_latex_error_summary(str(exc))}"
        ) from exc
    finally:
        os.chdir(cwd)
    if not data.startswith(b"%PDF"):
        raise PdfExportError(f"nbconvert returned something that is not a PDF for {notebook}")
    _atomic_write(pdf, data)
    return pdf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.report.export_pdf",
        description="Export an executed notebook to PDF with Chinese fonts, hiding "
        "papermill parameter cells and (by default) code inputs.",
    )
    parser.add_argument("notebook", type=Path, help="executed .ipynb (e.g. papermill output)")
    parser.add_argument("pdf", type=Path, nargs="?", help="output PDF (default: NOTEBOOK.pdf)")
    parser.add_argument("--show-code", action="store_true", help="keep code inputs")
    args = parser.parse_args(argv)
    try:
        out = export_pdf(args.notebook, args.pdf, show_code=args.show_code)
    except (PdfExportError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
