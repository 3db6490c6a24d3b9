#!/usr/bin/env bash
# Install the Debian packages the PDF export of report.ipynb needs (XeLaTeX, pandoc, CJK fonts,
# poppler tools for checking PDFs). Idempotent: when everything is present it exits 0 at once
# and prints nothing.
#
# Why these packages (Debian 12, all with --no-install-recommends, ~690 MB, ~1-2 min):
#   texlive-xetex              xelatex, fontspec/unicode-math; pulls texlive-latex-extra
#                              (adjustbox, tcolorbox, titling, enumitem, upquote) and
#                              fonts-lmodern (Latin Modern Math) as hard dependencies
#   texlive-fonts-recommended  eurosym.sty (loaded by nbconvert's LaTeX template)
#   texlive-plain-generic      ulem.sty, soul.sty (loaded by nbconvert's LaTeX template)
#   pandoc                     markdown cells -> LaTeX
#   fonts-noto-cjk             Noto Serif/Sans/Sans Mono CJK TC: without them every Chinese
#                              character silently vanishes from the PDF (report_templates/cjk_pdf
#                              switches to them per character; Latin text stays in Latin Modern.
#                              Not xeCJK: Debian 12's texlive-lang-cjk ships xeCJK.sty without the
#                              ctexhook.sty it loads, which is in the ~130 MB texlive-lang-chinese)
#   poppler-utils              pdftotext / pdfimages / pdfinfo / pdffonts / pdftoppm to check the PDF
#
# Usage: tools/install_system_packages.sh   (as root, or it prints the sudo command to run)
set -euo pipefail

PACKAGES=(texlive-xetex texlive-fonts-recommended texlive-plain-generic pandoc fonts-noto-cjk poppler-utils)
COMMANDS=(xelatex pandoc pdftotext pdfimages pdfinfo pdffonts fc-list)
FONTS=("Noto Serif CJK TC" "Noto Sans CJK TC" "Noto Sans Mono CJK TC")

find_missing() {
    missing=()
    local cmd font families
    for cmd in "${COMMANDS[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || missing+=("command $cmd")
    done
    if command -v fc-list >/dev/null 2>&1; then
        families="$(fc-list : family 2>/dev/null || true)"
        for font in "${FONTS[@]}"; do
            grep -qF "$font" <<<"$families" || missing+=("font \"$font\"")
        done
    fi
    summary=""
    if [ "${#missing[@]}" -gt 0 ]; then
        summary="${missing[0]}"
        for item in "${missing[@]:1}"; do summary+=", $item"; done
    fi
}

find_missing
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "PDF export prerequisites missing: $summary" >&2
install_cmd="apt-get install -y --no-install-recommends ${PACKAGES[*]}"

if [ "${EUID:-$(id -u)}" -ne 0 ]; then
    echo "Not running as root; install them with:" >&2
    echo "  sudo apt-get update && sudo $install_cmd" >&2
    echo "then clear matplotlib's font cache once: rm -rf ~/.cache/matplotlib" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-get not found: this script supports Debian/Ubuntu only. Needed packages: ${PACKAGES[*]}" >&2
    exit 1
fi

echo "Installing (about 700 MB, 1-2 min): ${PACKAGES[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
# Fonts installed after matplotlib first ran are invisible to its cached font list.
rm -rf "${XDG_CACHE_HOME:-$HOME/.cache}/matplotlib" "${MPLCONFIGDIR:-/nonexistent}"/fontlist-*.json 2>/dev/null || true
hash -r
find_missing
if [ "${#missing[@]}" -gt 0 ]; then
    echo "Still missing after installing: $summary" >&2
    exit 1
fi
echo "Installed PDF export prerequisites." >&2
