"""Make matplotlib draw Chinese (Traditional) titles and labels.

matplotlib's default DejaVu Sans has no CJK glyphs: a title like "顯著圖" renders as boxes
with "Glyph ... missing from font(s)" warnings, and the PDF then shows boxes too. Debian's
fonts-noto-cjk ships "Noto Sans CJK TC" (see tools/install_system_packages.sh).
"""

from __future__ import annotations

__all__ = ["CJK_FONTS", "find_cjk_font", "use_cjk_font"]

# First choice Traditional Chinese; the other Noto CJK faces hold the same Han glyphs.
CJK_FONTS = ("Noto Sans CJK TC", "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR")


def _available_families() -> set[str]:
    from matplotlib import font_manager

    return {entry.name for entry in font_manager.fontManager.ttflist}


def _add_fonts_missing_from_cache() -> None:
    """Register system font files that matplotlib's cached font list does not know yet."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    known = {entry.fname for entry in manager.ttflist}
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                manager.addfont(path)
            except Exception:  # noqa: BLE001 - a broken font file must not stop the report
                continue


def find_cjk_font(candidates=CJK_FONTS) -> str | None:
    """Return the first installed family of ``candidates``, or None.

    If none is known, system fonts missing from matplotlib's cached list (fonts installed
    after matplotlib first ran, cache in ~/.cache/matplotlib) are added once and it retries.
    """
    for attempt in range(2):
        families = _available_families()
        for name in candidates:
            if name in families:
                return name
        if attempt == 0:
            _add_fonts_missing_from_cache()
    return None


def use_cjk_font() -> bool:
    """Configure ``matplotlib.rcParams`` for Chinese text; return whether a CJK font was found.

    Puts the CJK font first in ``font.sans-serif`` (keeping the previous entries as
    fallbacks), selects the sans-serif family, and sets ``axes.unicode_minus = False``
    (negative tick labels use the ASCII hyphen-minus, which every font has; the usual
    setting for CJK fonts, some of which lack U+2212). When no CJK font is installed only
    ``axes.unicode_minus`` is changed and False is returned.
    """
    import matplotlib

    matplotlib.rcParams["axes.unicode_minus"] = False
    name = find_cjk_font()
    if name is None:
        return False
    previous = [f for f in matplotlib.rcParams["font.sans-serif"] if f != name]
    matplotlib.rcParams["font.sans-serif"] = [name, *previous]
    matplotlib.rcParams["font.family"] = ["sans-serif"]
    return True
