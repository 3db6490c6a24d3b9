"""One language per report: which language a notebook is in, the cells kept for it, and the
cjk_pdf template printing only that language (its title, fonts and figure sizes too)."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from helpers.pdf.export import TEMPLATE_DIR, TEMPLATE_NAME, export_pdf
from helpers.pdf.language import keep_language, language_of_cell, notebook_language
from helpers.pdf.check import check_language, check_pdf

v4 = nbformat.v4
EN_TITLE = "Explaining a CNN food classifier"
ZH_TITLE = "解釋 CNN 食物分類器"
EN_PROSE = "The model's saliency map follows the food's edges."
ZH_PROSE = "答：模型注意食物的紋理與邊緣。"
SYMBOLS = "雜訊 σ ≥ 0.1，25℃ ‧ ※ Ⅱ"  # not in Latin Modern: they must come from the CJK font
SHARED = "sharedcellmarker"


def _png(width_in: float, height_in: float) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=50)
    ax.plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _marker(language: str):
    return v4.new_output("display_data", data={"text/plain": ""}, metadata={"report_language": language})


def build_report(language: str | None = "zh-TW", marker: bool = True, papermill: bool = True,
                 injected: bool = True, figures: tuple = ()) -> nbformat.NotebookNode:
    """A report-shaped notebook: parameters (en by default), papermill's injected cell, a set-up
    cell displaying the language marker, prose per language, a shared formula and figures."""
    cells = [v4.new_code_cell('language = "en"  # "en" or "zh-TW"', metadata={"tags": ["parameters"]})]
    if injected and language:
        cells.append(v4.new_code_cell(f'language = "{language}"', metadata={"tags": ["injected-parameters"]}))
    cells.append(v4.new_code_cell("check_parameters()", outputs=[_marker(language)] if marker and language else []))
    cells += [
        v4.new_markdown_cell(f"# {EN_TITLE}\n\n{EN_PROSE}", metadata={"tags": ["lang-en"]}),
        v4.new_markdown_cell(f"# {ZH_TITLE}\n\n{ZH_PROSE}\n\n{SYMBOLS}", metadata={"tags": ["lang-zh-TW"]}),
        v4.new_markdown_cell(f"## Saliency {SHARED}\n\n$$S(x) = \\max_c |\\partial y_c / \\partial x|$$"),
        v4.new_code_cell('print("english output")', metadata={"tags": ["lang-en"]},
                         outputs=[v4.new_output("stream", name="stdout", text="englishcodeoutput\n")]),
    ]
    for width, height in figures:
        cells.append(v4.new_code_cell("show()", outputs=[v4.new_output(
            "display_data", data={"image/png": _png(width, height), "text/plain": "<Figure>"})]))
    nb = v4.new_notebook(cells=cells)
    if papermill and language:
        nb.metadata["papermill"] = {"parameters": {"language": language}}
    return nb


# --- which language, which cells (no LaTeX needed) ---------------------------------------------

def test_language_of_cell_reads_the_lang_tag():
    assert language_of_cell(v4.new_markdown_cell("x", metadata={"tags": ["remove_input", "lang-zh-TW"]})) == "zh-TW"
    assert language_of_cell(v4.new_markdown_cell("x", metadata={"tags": ["parameters"]})) is None
    assert language_of_cell(v4.new_markdown_cell("x")) is None


def test_notebook_language_sources_in_order():
    nb = build_report("zh-TW")
    nb.metadata["papermill"]["parameters"]["language"] = "en"  # the marker wins over papermill
    assert notebook_language(nb) == "zh-TW"
    assert notebook_language(build_report("zh-TW", marker=False)) == "zh-TW"  # papermill
    # injected-parameters comes after parameters: the last assignment is what ran
    assert notebook_language(build_report("zh-TW", marker=False, papermill=False)) == "zh-TW"
    assert notebook_language(build_report("zh-TW", marker=False, papermill=False, injected=False)) == "en"
    assert notebook_language(v4.new_notebook(cells=[v4.new_markdown_cell("# x")])) == "en"


def test_parameters_cell_with_magics_and_other_names():
    cell = v4.new_code_cell('%matplotlib inline\nlanguages = ["en"]\nlanguage = "zh-TW"  # chosen\nx = 1',
                            metadata={"tags": ["parameters"]})
    assert notebook_language(v4.new_notebook(cells=[cell])) == "zh-TW"


def test_keep_language_drops_other_language_cells_and_copies():
    nb = build_report("zh-TW")
    kept = keep_language(nb)
    sources = "\n".join(cell.source for cell in kept.cells)
    assert ZH_PROSE in sources and SHARED in sources and "check_parameters" in sources
    assert EN_PROSE not in sources and "english output" not in sources  # code cells too
    assert len(nb.cells) == len(kept.cells) + 2  # the input is untouched
    english = "\n".join(cell.source for cell in keep_language(nb, "EN").cells)
    assert EN_PROSE in english and ZH_PROSE not in english


# --- the template's LaTeX (needs pandoc) ---------------------------------------------------------

def _latex(nb, name="report.executed", resources=None) -> str:
    from nbconvert.exporters import LatexExporter

    exporter = LatexExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATE_DIR)])
    latex, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name}, **(resources or {})})
    return latex


def _body(latex: str) -> str:
    """The document body with pandoc's line wrapping undone."""
    return re.sub(r"\s+", " ", latex[latex.index(r"\begin{document}"):])


@pytest.mark.parametrize("sources", [
    {},  # marker output
    {"marker": False},  # papermill parameters
    {"marker": False, "papermill": False},  # injected-parameters cell
])
def test_template_prints_only_the_notebooks_language(pdf_tools, sources):
    latex = _latex(build_report("zh-TW", **sources))
    body = _body(latex)
    assert ZH_PROSE in body and SHARED in body
    assert EN_PROSE.split("'")[0] not in body and "englishcodeoutput" not in body
    assert r"\title{" + ZH_TITLE + "}" in latex and ZH_TITLE not in body  # the heading is the title
    assert "check\\PYZus{}parameters" in body and 'language' not in body  # parameters cells skipped


def test_template_defaults_to_english_and_exporter_language_wins(pdf_tools):
    body = _body(_latex(build_report(None)))
    assert EN_PROSE.split("'")[0] in body and ZH_PROSE not in body
    # export_pdf passes its language in resources: it overrides the notebook's marker
    body = _body(_latex(build_report("zh-TW"), resources={"report_language": "en"}))
    assert EN_PROSE.split("'")[0] in body and ZH_PROSE not in body


def test_template_title_date_fonts_and_figure_cap(pdf_tools):
    nb = build_report("en")
    latex = _latex(nb)
    assert r"\title{" + EN_TITLE + "}" in latex and r"\hypersetup{pdftitle={" + EN_TITLE + "}}" in latex
    assert r"\date{}" in latex and r"\author{}" in latex  # no date or author unless set
    assert r"\setmainfont{Latin Modern Roman}" in latex and "{Noto Serif CJK TC}" in latex
    assert r"\adjustimage{max size={\linewidth}{0.8\textheight}}" in _latex(build_report("en", figures=[(2, 2)]))
    nb.metadata.update(title="Homework 5", date="2025-05-01", authors=[{"name": "王小明"}])
    latex = _latex(nb)
    assert r"\title{Homework 5}" in latex and r"\date{2025-05-01}" in latex and r"\author{王小明}" in latex
    assert r"\section{" + EN_TITLE + "}" in _body(latex)  # a different metadata title keeps the heading
    no_heading = v4.new_notebook(cells=[v4.new_markdown_cell("plain text")])
    assert r"\title{food101.en}" in _latex(no_heading, name="food101.en")


# --- whole PDFs (xelatex) --------------------------------------------------------------------------

def _pdffonts(pdf) -> str:
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout


def _pdfinfo_title(pdf) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return re.search(r"^Title:\s*(.*)$", info, flags=re.MULTILINE).group(1).strip()


def _image_sizes_in_inches(pdf) -> list[tuple[float, float]]:
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    sizes = []
    for line in listing.splitlines()[2:]:
        cols = line.split()
        if cols[2] == "image":
            sizes.append((int(cols[3]) / float(cols[12]), int(cols[4]) / float(cols[13])))
    return sizes


@pytest.fixture(scope="module")
def exported(pdf_tools, tmp_path_factory):
    """en and zh-TW PDFs of one notebook (wide and tall figures), through export_pdf."""
    folder = tmp_path_factory.mktemp("language_pdf")
    pdfs = {}
    for language in ("en", "zh-TW"):
        source = folder / f"report.{language}.ipynb"
        nbformat.write(build_report(language, figures=[(12, 3), (4, 16)]), source)
        pdfs[language] = export_pdf(source)
    return pdfs


@pytest.mark.slow
def test_english_pdf_latin_fonts_only_english(exported):
    pdf = exported["en"]
    report = check_pdf(pdf, [EN_TITLE, "The model’s saliency map", SHARED], min_images=2)
    check_language(report, "en")  # no CJK character at all
    assert "englishcodeoutput" in report.text
    fonts = _pdffonts(pdf)
    assert "LMRoman10-Regular" in fonts and "CJK" not in fonts  # the apostrophe is Latin Modern's
    assert _pdfinfo_title(pdf) == EN_TITLE


@pytest.mark.slow
def test_chinese_pdf_keeps_every_chinese_character_and_english_in_latin(exported):
    pdf = exported["zh-TW"]
    report = check_pdf(pdf, [ZH_TITLE, ZH_PROSE, SHARED, SYMBOLS], min_images=2)
    check_language(report, "zh-TW", foreign_phrases=[EN_TITLE, "saliency map follows", "englishcodeoutput"])
    assert report.text.count("答") == 1
    fonts = _pdffonts(pdf)
    assert "NotoSerifCJK" in fonts and "LMRoman" in fonts  # "CNN", "Saliency" stay in Latin Modern
    assert _pdfinfo_title(pdf) == ZH_TITLE


@pytest.mark.slow
def test_figures_fit_the_text_block(exported):
    text_width_in, text_height_in = (210 - 50) / 25.4, (297 - 50) / 25.4  # A4, 2.5 cm margins
    sizes = _image_sizes_in_inches(exported["en"])  # pdfimages rounds ppi: 1 % tolerance
    assert len(sizes) == 2
    for width, height in sizes:
        assert width <= 1.01 * text_width_in and height <= 1.01 * 0.8 * text_height_in, sizes
    wide, tall = sizes  # 12 x 3 and 4 x 16 inches: both capped, aspect ratio kept
    assert wide[0] == pytest.approx(text_width_in, rel=0.01) and wide[0] / wide[1] == pytest.approx(4.0, rel=0.02)
    assert tall[1] == pytest.approx(0.8 * text_height_in, rel=0.01) and tall[1] / tall[0] == pytest.approx(4.0, rel=0.02)


@pytest.mark.slow
def test_plain_nbconvert_with_the_template_prints_one_language(pdf_tools, tmp_path):
    source = tmp_path / "report.zh-TW.ipynb"
    nbformat.write(build_report("zh-TW", marker=False), source)  # papermill metadata only
    jupyter = shutil.which("jupyter", path=str(sys.executable).rsplit("/", 1)[0]) or "jupyter"
    proc = subprocess.run(
        [jupyter, "nbconvert", "--to", "pdf", "--no-input",
         f"--TemplateExporter.extra_template_basedirs={TEMPLATE_DIR}", "--template", TEMPLATE_NAME, str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    pdf = source.with_suffix(".pdf")
    report = check_pdf(pdf, [ZH_TITLE, ZH_PROSE], min_images=0)
    check_language(report, "zh-TW", foreign_phrases=[EN_TITLE, "saliency map follows", "englishcodeoutput"])
    assert _pdfinfo_title(pdf) == ZH_TITLE


def test_line_break_between_chinese_characters_is_no_space(pdf_tools):
    nb = build_report("zh-TW")
    nb.cells.append(v4.new_markdown_cell("這次執行時\n算出來的 and\nEnglish", metadata={"tags": ["lang-zh-TW"]}))
    nb.cells.append(v4.new_code_cell("answer()", outputs=[v4.new_output(
        "display_data", data={"text/markdown": "只有在數字\n支持時", "text/plain": "<Markdown>"})]))
    body = _body(_latex(nb))
    assert "這次執行時算出來的 and English" in body and "只有在數字支持時" in body


@pytest.mark.slow
def test_marker_displayed_by_a_kernel_decides_the_language(pdf_tools, kit):
    """The contract end to end: a real kernel runs display_language_marker after the parameters."""
    from nbclient import NotebookClient

    setup = v4.new_code_cell(
        f"import sys\nsys.path.insert(0, {str(kit.REPO_ROOT)!r})\n"
        "from helpers.pdf.language import display_language_marker\n"
        'display_language_marker("zh-TW")')
    prose = [cell for cell in build_report(None).cells if cell.cell_type == "markdown"]
    nb = v4.new_notebook(cells=[setup, *prose])  # no parameters, no papermill metadata: "en" without the marker
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    assert [output.metadata for output in nb.cells[0].outputs] == [{"report_language": "zh-TW"}]
    assert notebook_language(nb) == "zh-TW"
    body = _body(_latex(nb))
    assert ZH_PROSE in body and EN_PROSE.split("'")[0] not in body
