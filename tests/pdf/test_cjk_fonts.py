"""use_cjk_font lets matplotlib draw Chinese titles without missing-glyph warnings."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers.plotting.fonts import use_cjk_font  # noqa: E402

TITLE = "顯著圖：模型注意食物 −0.5"


def _draw_with_chinese_title() -> list[str]:
    fig, ax = plt.subplots(figsize=(2, 2))
    try:
        ax.set_title(TITLE)
        ax.set_xlabel("像素")
        ax.plot([-1, 0, 1], [1, -1, 0])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png")
    finally:
        plt.close(fig)
    return [str(w.message) for w in caught]


def test_use_cjk_font_sets_rcparams_and_draws_chinese_without_warnings(pdf_tools):
    with matplotlib.rc_context():
        assert use_cjk_font() is True
        assert matplotlib.rcParams["font.sans-serif"][0] == "Noto Sans CJK TC"
        assert matplotlib.rcParams["font.family"] == ["sans-serif"]
        assert matplotlib.rcParams["axes.unicode_minus"] is False
        messages = _draw_with_chinese_title()
    assert not [m for m in messages if "missing from font" in m or "findfont" in m], messages


def test_default_font_would_warn_so_the_check_is_meaningful(pdf_tools):
    with matplotlib.rc_context({"font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans"]}):
        messages = _draw_with_chinese_title()
    assert any("missing from font" in m for m in messages), messages


def test_use_cjk_font_twice_keeps_one_entry(pdf_tools):
    with matplotlib.rc_context():
        use_cjk_font()
        use_cjk_font()
        assert matplotlib.rcParams["font.sans-serif"].count("Noto Sans CJK TC") == 1


def test_without_cjk_font_returns_false_and_leaves_fonts(monkeypatch):
    import helpers.plotting.fonts as fonts

    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    with matplotlib.rc_context():
        before = list(matplotlib.rcParams["font.sans-serif"])
        assert fonts.use_cjk_font() is False
        assert matplotlib.rcParams["font.sans-serif"] == before
        assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_font_missing_from_matplotlib_cache_is_found_after_rescan(pdf_tools, monkeypatch):
    from matplotlib import font_manager

    import helpers.plotting.fonts as fonts

    manager = font_manager.fontManager
    stale = [entry for entry in manager.ttflist if "CJK" not in entry.name]
    monkeypatch.setattr(manager, "ttflist", stale)  # as if the cache predates fonts-noto-cjk
    assert fonts.find_cjk_font() == "Noto Sans CJK TC"
    manager._findfont_cached.cache_clear()
