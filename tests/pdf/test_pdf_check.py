"""check_pdf names what a PDF lacks: Chinese text, section titles, images, pages."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from helpers.pdf.check import check_pdf, read_pdf


@pytest.mark.slow
def test_report_of_exported_pdf(default_pdf, kit):
    report = check_pdf(default_pdf, required_texts=(kit.ANSWER, kit.SECTION), min_images=1)
    assert report.pages >= 1 and report.n_images == 1 and report.has_cjk
    # matplotlib PNGs carry an alpha soft mask: listed by pdfimages but not counted.
    assert [image.kind for image in report.images] == ["image", "smask"]


@pytest.mark.slow
def test_missing_things_are_named(default_pdf):
    with pytest.raises(AssertionError) as excinfo:
        check_pdf(default_pdf, required_texts=("模型沒有注意背景", "Deletion curve"),
                  min_images=3, min_pages=5)
    message = str(excinfo.value)
    assert "missing Chinese text ['模型沒有注意背景'] (other CJK text is present)" in message
    assert "missing text (e.g. section titles) ['Deletion curve']" in message
    assert "too few images: 1 < 3" in message
    assert "too few pages: 1 < 5" in message


@pytest.mark.slow
def test_stock_nbconvert_pdf_without_cjk_font_is_caught(pdf_tools, kit, tmp_path):
    """The trap: plain `jupyter nbconvert --to pdf` exits 0 and drops all Chinese."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# Saliency\n\n{kit.ANSWER}")])
    source = tmp_path / "stock.ipynb"
    nbformat.write(nb, source)
    proc = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "pdf", str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    with pytest.raises(AssertionError, match="the PDF has no CJK characters at all"):
        check_pdf(tmp_path / "stock.pdf", required_texts=(kit.ANSWER, "Saliency"), min_images=0)


def test_whitespace_from_line_breaks_is_ignored(tmp_path):
    import helpers.pdf.check as pdf_check

    report = pdf_check.PdfReport(path=tmp_path / "x.pdf", pages=1, text="答：模型注\n意食物 Saliency\nmap")
    assert report.contains("答：模型注意食物") and report.contains("Saliency map")
    assert not report.contains("模型忽略食物")


def test_not_a_pdf_is_a_value_error(pdf_tools, tmp_path):
    fake = tmp_path / "fake.pdf"
    fake.write_text("not a pdf")
    with pytest.raises(ValueError, match="not a PDF"):
        read_pdf(fake)
    with pytest.raises(ValueError, match="PDF not found"):
        check_pdf(tmp_path / "absent.pdf")


@pytest.mark.slow
def test_cli_reports_missing_text(default_pdf, kit):
    proc = subprocess.run(
        [sys.executable, "-m", "helpers.pdf.check", str(default_pdf),
         "--require", kit.ANSWER, "--require", "不存在的句子"],
        cwd=kit.REPO_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1
    assert "missing Chinese text ['不存在的句子']" in proc.stderr


def _report(tmp_path, text):
    import helpers.pdf.check as pdf_check

    return pdf_check.PdfReport(path=tmp_path / "x.pdf", pages=1, text=text)


def test_check_language_names_cjk_in_an_english_pdf(tmp_path):
    from helpers.pdf.check import check_language

    clean = "The model\u2019s map: edit/search, 95 % of 0.5 s/image, HBoxes."
    assert check_language(_report(tmp_path, clean), "en").text == clean
    with pytest.raises(AssertionError, match=r"3 CJK character\(s\) in a 'en' PDF, e.g. \['Saliency 顯著圖 map'\]"):
        check_language(_report(tmp_path, "Saliency 顯著圖 map"), "en")


def test_check_language_names_foreign_phrases_and_progress_text(tmp_path):
    from helpers.pdf.check import check_language

    text = "答：模型注意食物。\nThe model looks\nat the food.\n 40%|████ | 4/10 [00:01<00:02, 3.2it/s]\nHBox(children=())"
    with pytest.raises(AssertionError) as excinfo:
        check_language(_report(tmp_path, text), "zh-TW",
                       foreign_phrases=["The model looks at the food.", "not there"])
    message = str(excinfo.value)
    assert "text of another language ['The model looks at the food.']" in message
    assert "progress-bar text ['0%|', '2it/s', 'HBox(']" in message
    assert "CJK" not in message  # Chinese is the zh-TW PDF's own language
    check_language(_report(tmp_path, "答：模型注意食物。"), "zh-TW", foreign_phrases=["The model"])


@pytest.mark.slow
def test_cli_checks_the_language(default_pdf, kit):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "helpers.pdf.check", str(default_pdf), *args],
                              cwd=kit.REPO_ROOT, capture_output=True, text=True, timeout=60)

    proc = run("--language", "en")
    assert proc.returncode == 1 and "CJK character(s) in a 'en' PDF" in proc.stderr
    proc = run("--language", "zh-TW", "--forbid", "outputmarker")
    assert proc.returncode == 1 and "text of another language ['outputmarker']" in proc.stderr
    assert run("--language", "zh-TW", "--forbid", "absent english sentence").returncode == 0
