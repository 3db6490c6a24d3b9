"""The default model on the embedded demo data, through the README's route
(``python -m helpers.report.run_report``) at tiny parameters, in Traditional Chinese, down to
the PDF: Chinese section titles and answers, every figure, several pages."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers.report.i18n import load_texts
from helpers.report.pdf_check import check_pdf

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parents[2]

TINY = {"n_images": 2, "smoothgrad_samples": 2, "lime_samples": 16, "lime_segments": 20, "ascent_steps": 2,
        "n_grid_filters": 2, "trust_images": 2, "trust_steps": 2, "trust_random_steps": 1,
        "trust_smoothgrad_samples": 2, "trust_lime_samples": 8, "trust_ig_steps": 2, "device": "cpu"}


@pytest.fixture(scope="module")
def pdf_ready():
    missing = [tool for tool in ("xelatex", "pandoc", "pdftotext", "pdfimages", "pdfinfo") if not shutil.which(tool)]
    if missing:
        message = f"PDF prerequisites missing {missing}: run tools/install_system_packages.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_default_model_chinese_pdf(demo_data_or_skip, pdf_ready, tmp_path):
    pdf = tmp_path / "report.pdf"
    args = [sys.executable, "-m", "helpers.report.run_report", "--lang", "zh-TW", "--pdf", str(pdf),
            "--output-dir", str(tmp_path / "out"), "-p", "cache_dir", str(tmp_path / "cache"),
            "-p", "figures_dir", str(tmp_path / "figures")]
    for name, value in TINY.items():
        args += ["-p", name, str(value)]
    proc = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "TQDM_DISABLE": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert str(pdf) in proc.stdout
    t = load_texts("zh-TW")
    titles = [t(key).lstrip("#").strip() for key in ("setup_title", "q1_title", "q2_title", "q3_title",
                                                        "q4_title", "q5_title")]
    report = check_pdf(pdf, [t("pdf_title"), *titles, "答：", "穀物與豆類"], min_images=11, min_pages=5)
    assert "HBox" not in report.text and "it/s" not in report.text, "progress bar text in the PDF"
    assert "smoothgrad_samples = " not in report.text, "parameters cell printed"
    assert (tmp_path / "out" / "report.zh-TW.pdf").read_bytes() == pdf.read_bytes()
    nb = nbformat.read(tmp_path / "out" / "report.zh-TW.ipynb", as_version=4)
    assert nb.metadata["title"] == t("pdf_title")
    assert len(list((tmp_path / "figures").glob("*.png"))) == 11
