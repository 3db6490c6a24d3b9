"""Check an exported report PDF: required texts (Chinese included), embedded images, pages.

Uses poppler-utils (``pdftotext``, ``pdfimages -list``, ``pdfinfo``); install them with
``tools/install_system_packages.sh``. A text counts as present if it occurs in the extracted
text verbatim or once all whitespace is removed from both (PDF line breaks split Chinese
sentences and words at arbitrary points).

CLI: ``python -m helpers.report.pdf_check PDF [--require TEXT ...] [--min-images N]
[--min-pages N]``; exit status 1 with a message naming what is missing.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PdfImage", "PdfReport", "read_pdf", "check_pdf", "main"]

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class PdfImage:
    page: int
    width: int
    height: int
    kind: str  # pdfimages' "type" column: image, smask, mask, stencil


@dataclass(frozen=True)
class PdfReport:
    path: Path
    pages: int
    text: str
    images: tuple[PdfImage, ...] = field(default_factory=tuple)

    @property
    def n_images(self) -> int:
        """Images proper (soft masks, i.e. alpha channels of PNGs, are not counted)."""
        return sum(1 for image in self.images if image.kind == "image")

    @property
    def has_cjk(self) -> bool:
        return bool(_CJK.search(self.text))

    def contains(self, needle: str) -> bool:
        return needle in self.text or _WS.sub("", needle) in _WS.sub("", self.text)


def _run(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        raise ValueError(
            f"{tool} not found (package poppler-utils); run tools/install_system_packages.sh"
        )
    proc = subprocess.run([tool, *args], capture_output=True, text=True, errors="replace")
    if proc.returncode != 0:
        raise ValueError(f"{tool} failed on {args[-1]!r}: {proc.stderr.strip() or proc.stdout}")
    return proc.stdout


def _parse_images(listing: str) -> tuple[PdfImage, ...]:
    images = []
    for line in listing.splitlines()[2:]:  # two header lines: titles and dashes
        cols = line.split()
        if len(cols) >= 5 and cols[0].isdigit():
            images.append(PdfImage(int(cols[0]), int(cols[3]), int(cols[4]), cols[2]))
    return tuple(images)


def read_pdf(pdf: Path) -> PdfReport:
    """Extract text, image list and page count from ``pdf`` (ValueError if unreadable)."""
    pdf = Path(pdf)
    if not pdf.is_file():
        raise ValueError(f"PDF not found: {pdf}")
    with pdf.open("rb") as handle:
        if handle.read(5) != b"%PDF-":
            raise ValueError(f"not a PDF file: {pdf}")
    info = _run("pdfinfo", str(pdf))
    match = re.search(r"^Pages:\s+(\d+)", info, flags=re.MULTILINE)
    if match is None:
        raise ValueError(f"pdfinfo reported no page count for {pdf}")
    text = _run("pdftotext", "-enc", "UTF-8", str(pdf), "-")
    images = _parse_images(_run("pdfimages", "-list", str(pdf)))
    return PdfReport(path=pdf, pages=int(match.group(1)), text=text, images=images)


def check_pdf(pdf, required_texts=(), min_images: int = 1, min_pages: int = 1) -> PdfReport:
    """Return the PDF's report, or raise AssertionError naming everything that is missing.

    ValueError if the file is missing, not a PDF, or poppler-utils are not installed.
    """
    if isinstance(required_texts, str):
        required_texts = (required_texts,)
    report = read_pdf(pdf)
    problems = []
    missing = [text for text in required_texts if not report.contains(text)]
    missing_cjk = [text for text in missing if _CJK.search(text)]
    if missing_cjk:
        hint = (
            "the PDF has no CJK characters at all: the LaTeX template set no CJK font "
            "(export with helpers.report.export_pdf / report_templates/cjk_pdf)"
            if not report.has_cjk
            else "other CJK text is present"
        )
        problems.append(f"missing Chinese text {missing_cjk} ({hint})")
    missing_other = [text for text in missing if not _CJK.search(text)]
    if missing_other:
        problems.append(f"missing text (e.g. section titles) {missing_other}")
    if report.n_images < min_images:
        problems.append(f"too few images: {report.n_images} < {min_images}")
    if report.pages < min_pages:
        problems.append(f"too few pages: {report.pages} < {min_pages}")
    if problems:
        raise AssertionError(f"{report.path}: " + "; ".join(problems))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.report.pdf_check",
        description="Check that a report PDF holds texts, images and pages.",
    )
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--require", action="append", default=[], metavar="TEXT",
                        help="text that must appear (repeatable)")
    parser.add_argument("--min-images", type=int, default=1)
    parser.add_argument("--min-pages", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        report = check_pdf(args.pdf, args.require, args.min_images, args.min_pages)
    except (AssertionError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{report.path}: OK, {report.pages} page(s), {report.n_images} image(s), "
          f"{len(args.require)} required text(s) found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
