"""Check an exported report PDF: required texts (Chinese included), images, pages, and that it
holds one language and no progress-bar junk.

Uses poppler-utils (``pdftotext``, ``pdfimages -list``, ``pdfinfo``; installed by
``tools/install_system_packages.sh``). A text counts as present if it occurs in the extracted
text verbatim or once all whitespace is removed from both (PDF line breaks split Chinese
sentences and words at arbitrary points).

CLI: ``python -m helpers.pdf.check PDF [--require TEXT ...] [--min-images N]
[--min-pages N] [--language LANG [--forbid TEXT ...]]``; exit status 1 naming what is wrong.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PROGRESS_MARKERS", "PdfImage", "PdfReport", "read_pdf", "check_pdf", "check_language", "main"]

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_WS = re.compile(r"\s+")
# What tqdm bars ("12.3it/s", " 40%|####") and Jupyter progress widgets ("HBox(") leave in a PDF.
PROGRESS_MARKERS = re.compile(r"\d\s*(?:it/s|s/it)|\d\s*%\s*\||HBox\(")


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
            "(export with helpers.pdf.export / report_templates/cjk_pdf)"
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


def check_language(pdf, language: str, foreign_phrases=()) -> PdfReport:
    """Return the PDF's report, or raise AssertionError if it holds text of another language or
    progress-bar text (:data:`PROGRESS_MARKERS`).

    Another language means: any CJK character when ``language`` is not Chinese, Japanese or
    Korean; and, for every language, any of ``foreign_phrases`` (e.g. sentences of the English
    prose, passed by the caller when checking a zh-TW PDF).
    """
    report = pdf if isinstance(pdf, PdfReport) else read_pdf(pdf)
    problems = []
    if not language.lower().startswith(("zh", "ja", "ko")):
        runs = list(re.finditer(f"{_CJK.pattern}+", report.text))
        if runs:
            samples = [_WS.sub(" ", report.text[max(0, m.start() - 12): m.end() + 12]) for m in runs[:3]]
            count = sum(len(m.group(0)) for m in runs)
            problems.append(f"{count} CJK character(s) in a {language!r} PDF, e.g. {samples}")
    found = [phrase for phrase in foreign_phrases if report.contains(phrase)]
    if found:
        problems.append(f"text of another language {found}")
    progress = sorted({match.group(0) for match in PROGRESS_MARKERS.finditer(report.text)})
    if progress:
        problems.append(f"progress-bar text {progress} (run with TQDM_DISABLE=1; export with "
                        "helpers.pdf.export, which drops widget outputs)")
    if problems:
        raise AssertionError(f"{report.path}: " + "; ".join(problems))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.pdf.check",
        description="Check that a report PDF holds texts, images and pages (and one language).",
    )
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--require", action="append", default=[], metavar="TEXT",
                        help="text that must appear (repeatable)")
    parser.add_argument("--min-images", type=int, default=1)
    parser.add_argument("--min-pages", type=int, default=1)
    parser.add_argument("--language", help="also check it holds only this language, no progress bars")
    parser.add_argument("--forbid", action="append", default=[], metavar="TEXT",
                        help="text of another language that must not appear (repeatable)")
    args = parser.parse_args(argv)
    if args.forbid and not args.language:
        parser.error("--forbid needs --language (the language the PDF should be in)")
    try:
        report = check_pdf(args.pdf, args.require, args.min_images, args.min_pages)
        if args.language:
            check_language(report, args.language, args.forbid)
    except (AssertionError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{report.path}: OK, {report.pages} page(s), {report.n_images} image(s), "
          f"{len(args.require)} required text(s) found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
