"""The default model on the embedded demo data, through the README's route
(``python -m helpers.runner.run_report``) at tiny parameters, in both languages, down to the PDF:
the report's title and section headings of that language only, answers, every figure, readable
figure sizes, several pages, no progress or parameter text."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers.report.params import NOTEBOOK
from helpers.pdf.check import check_language, check_pdf

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parents[2]

TINY = {"n_images": 3, "smoothgrad_samples": 2, "lime_samples": 16, "lime_segments": 20, "ascent_steps": 4,
        "ascent_grid_steps": 2, "n_grid_filters": 2, "trust_steps": 2, "trust_random_steps": 1,
        "n_measure": 6, "device": "cpu"}


@pytest.fixture(scope="module")
def pdf_ready():
    missing = [tool for tool in ("xelatex", "pandoc", "pdftotext", "pdfimages", "pdfinfo") if not shutil.which(tool)]
    if missing:
        message = f"PDF prerequisites missing {missing}: run tools/install_system_packages.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def headings(language: str) -> list[str]:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return [line.lstrip("#").strip() for c in nb.cells if f"lang-{language}" in c.metadata.get("tags", [])
            for line in c.source.splitlines() if line.startswith("#")]


@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_default_model_pdf(demo_data_or_skip, pdf_ready, tmp_path, language):
    pdf = tmp_path / "report.pdf"
    args = [sys.executable, "-m", "helpers.runner.run_report", "--lang", language, "--pdf", str(pdf),
            "--output-dir", str(tmp_path / "out"), "-p", "cache_dir", str(tmp_path / "cache"),
            "-p", "figures_dir", str(tmp_path / "figures")]
    for name, value in TINY.items():
        args += ["-p", name, str(value)]
    proc = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=1500,
                          env={**os.environ, "TQDM_DISABLE": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert str(pdf) in proc.stdout
    figures = sorted((tmp_path / "figures").glob("*.png"))
    assert len({re.sub(r"_\d+$", "", p.stem) for p in figures}) == 12
    answer = "答：" if language == "zh-TW" else "Answer."
    report = check_pdf(pdf, [*headings(language), answer], min_images=len(figures), min_pages=8)
    english = [h for h in headings("en") if len(h.split()) >= 3]
    check_language(report, language, foreign_phrases=english if language == "zh-TW" else ())
    assert "smoothgrad_samples = " not in report.text, "parameters cell printed"
    assert "PosixPath" not in report.text
    if language == "zh-TW":
        assert "穀物與豆類" in report.text
    assert (tmp_path / "out" / f"report.{language}.pdf").read_bytes() == pdf.read_bytes()
    title = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert headings(language)[0] in title, "the PDF's title is the report's title"
    # Figures are drawn at their print size (labels >= 7 pt there, tests/plotting) and saved at
    # 150 dpi: printed at 100 %, each image's resolution in the PDF stays 150 ppi (LaTeX shrinking
    # a figure to fit would raise it, and shrink its labels below 7 pt).
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout.splitlines()[2:]
    ppi = [float(line.split()[12]) for line in listing if line.split()]
    assert len(ppi) >= len(figures) and all(145 <= v <= 155 for v in ppi), ppi
