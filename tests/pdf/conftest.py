"""Fixtures for the PDF export tests: a tiny report-like notebook, executed once by papermill
(``pdf_tools``, the prerequisites' check, is in tests/conftest.py). PDF-producing tests are
marked ``slow``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # so `helpers` imports however pytest is started
    sys.path.insert(0, str(REPO_ROOT))

# Texts the tests look for; plain lower-case words survive pdftotext and pygments unchanged.
TITLE = "食物分類器報告測試"
SECTION = "顯著圖 Saliency"
ANSWER = "答：模型注意食物的紋理與邊緣。"
PARAM_DEFAULT = "paramdefaultsentinel"
PARAM_INJECTED = "injectedsentinel"
CODE_INPUT = "codeinputmarker"
OUTPUT_TEXT = "輸出結果 outputmarker"
REMOVED_INPUT = "removeinputcell"


def build_notebook(fail: bool = False) -> nbformat.NotebookNode:
    """A miniature report.ipynb: papermill parameters, Chinese prose, LaTeX, a PNG figure."""
    v4 = nbformat.v4
    setup = v4.new_code_cell(
        # The kernel must be the test runner's (the venv's) Python, not some system one. Compared
        # resolved: with .venv a symlink, the runner and the kernel spell the same prefix differently.
        f"import os, sys\nassert os.path.realpath(sys.prefix) == {os.path.realpath(sys.prefix)!r}, sys.prefix\n"
        f"sys.path.insert(0, {str(REPO_ROOT)!r})\n"
        "%config InlineBackend.figure_formats = ['png']",
        metadata={"tags": ["remove_cell"]},
    )
    params = v4.new_code_cell(f'param_value = "{PARAM_DEFAULT}"', metadata={"tags": ["parameters"]})
    prose = v4.new_markdown_cell(
        f"# {SECTION}\n\n{ANSWER}\n\n"
        "Saliency: $S(x) = \\max_c \\left|\\partial y_c / \\partial x\\right|$.\n\n"
        "$$\\mathrm{SmoothGrad}(x) = \\frac{1}{n}\\sum_{i=1}^{n} \\nabla f(x + \\epsilon_i)$$"
    )
    code = v4.new_code_cell(f'{CODE_INPUT} = 41 + 1\nprint("{OUTPUT_TEXT}", {CODE_INPUT})')
    figure = v4.new_code_cell(
        "import numpy as np\nimport matplotlib.pyplot as plt\n"
        "from helpers.plotting.fonts import use_cjk_font\n"
        "assert use_cjk_font()\n"
        "fig, ax = plt.subplots(figsize=(3, 2))\n"
        "ax.imshow(np.random.default_rng(0).random((16, 16)), cmap='hot')\n"
        "ax.set_title('顯著圖（飯）')\nplt.show()"
    )
    hidden_input = v4.new_code_cell(f'print("{REMOVED_INPUT}")', metadata={"tags": ["remove_input"]})
    cells = [setup, params, prose, code, figure, hidden_input]
    if fail:
        cells.insert(4, v4.new_code_cell('raise ValueError("模型檔案不存在")'))
    nb = v4.new_notebook(cells=cells)
    nb.metadata["title"] = TITLE
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def run_with_papermill(source: Path, output: Path) -> None:
    import papermill

    os.environ.setdefault("TQDM_DISABLE", "1")
    papermill.execute_notebook(
        str(source),
        str(output),
        parameters={"param_value": PARAM_INJECTED},
        kernel_name="python3",
        cwd=str(source.parent),
        progress_bar=False,
        log_output=False,
        execution_timeout=300,
    )


@pytest.fixture(scope="session")
def executed_notebook(tmp_path_factory) -> Path:
    """The miniature report run by papermill (so it holds a real injected-parameters cell)."""
    folder = tmp_path_factory.mktemp("report_nb")
    source = folder / "mini_report.ipynb"
    nbformat.write(build_notebook(), source)
    output = folder / "mini_report.executed.ipynb"
    run_with_papermill(source, output)
    return output


@pytest.fixture(scope="session")
def default_pdf(pdf_tools, executed_notebook, tmp_path_factory) -> Path:
    """The executed miniature report exported with default options (code hidden)."""
    from helpers.pdf.export import export_pdf

    pdf = tmp_path_factory.mktemp("report_pdf") / "mini_report.pdf"
    return export_pdf(executed_notebook, pdf)


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """Constants and builders for tests (fixtures instead of `from conftest import`, which
    depends on pytest's import mode and on other folders' conftest.py files)."""
    return SimpleNamespace(
        REPO_ROOT=REPO_ROOT, TITLE=TITLE, SECTION=SECTION, ANSWER=ANSWER,
        PARAM_DEFAULT=PARAM_DEFAULT, PARAM_INJECTED=PARAM_INJECTED, CODE_INPUT=CODE_INPUT,
        OUTPUT_TEXT=OUTPUT_TEXT, REMOVED_INPUT=REMOVED_INPUT,
        build_notebook=build_notebook, run_with_papermill=run_with_papermill,
    )
