"""Fixtures shared by every test folder: the PDF prerequisites.

Tests that need xelatex/pandoc/poppler/Noto CJK skip when those are missing, except under CI
(environment variable CI set), where they fail instead, since CI runs
tools/install_system_packages.sh first.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

TOOLS = ("xelatex", "pandoc", "pdftotext", "pdfimages", "pdfinfo", "fc-list")
FONTS = ("Noto Serif CJK TC", "Noto Sans CJK TC", "Noto Sans Mono CJK TC")


def missing_pdf_tools() -> list[str]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if shutil.which("fc-list"):
        families = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
        missing += [font for font in FONTS if font not in families]
    return missing


@pytest.fixture(scope="session")
def pdf_tools() -> None:
    missing = missing_pdf_tools()
    if missing:
        message = f"PDF export prerequisites missing {missing}: run tools/install_system_packages.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
