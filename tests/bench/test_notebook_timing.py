"""Seconds per report section from papermill's cell durations (bench/notebook_timing.py)."""
from __future__ import annotations

import json

import nbformat
import pytest

from datetime import datetime, timedelta, timezone

from bench.notebook_timing import SET_UP, cell_at, cell_times, report_estimate, run_summary, section_seconds

START = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def _code(source: str, seconds: float | None, outputs=()) -> nbformat.NotebookNode:
    """A code cell as papermill leaves it: cells run back to back from START."""
    cell = nbformat.v4.new_code_cell(source, outputs=list(outputs))
    if seconds is not None:
        global _clock
        begin, _clock = _clock, _clock + timedelta(seconds=seconds)
        cell.metadata["papermill"] = {"duration": seconds, "start_time": begin.isoformat(),
                                      "end_time": _clock.isoformat()}
    return cell


_clock = START


def _markdown(source: str, language: str | None = None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source)
    if language:
        cell.metadata["tags"] = [f"lang-{language}"]
    return cell


def notebook() -> nbformat.NotebookNode:
    global _clock
    _clock = START
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _code("run = open_report(globals())", 2.0),
        _markdown("# Report title", "en"), _markdown("# 報告", "zh-TW"),
        _markdown("## 1. Saliency\n\ntext", "en"), _markdown("## 1. 顯著圖", "zh-TW"),
        _code("\n# comment\nsaliency = cached(explainer, images)", 3.5),
        _markdown("Some prose with no heading", "en"),
        _code("show(grid)", 0.5),
        _markdown("### a sub-heading stays in its section", "en"),
        _code("more()", 1.0),
        _markdown("## 2. Filters", "en"), _markdown("## 2. 濾波器", "zh-TW"),
        _code("means = cached(channel_means, model)", 10.0),
        _code("never_executed()", None),
        _code("print('summary')", 0.1, [nbformat.v4.new_output(
            "stream", name="stdout", text="REPORT_RUN_SUMMARY " + json.dumps({"cache_hits": ["a"], "cache_misses": []}) + "\n")]),
    ]
    return nb


def test_seconds_are_summed_per_section_once_per_language():
    totals = section_seconds(notebook())
    assert list(totals) == [SET_UP, "1. Saliency", "2. Filters"]
    assert totals == pytest.approx({SET_UP: 2.0, "1. Saliency": 5.0, "2. Filters": 10.1})


def test_cells_keep_their_first_code_line():
    cells = cell_times(notebook())
    assert [c.first_line for c in cells][:2] == ["run = open_report(globals())", "# comment"]
    assert len(cells) == 6  # the cell without a recorded duration is left out


def test_the_cell_running_at_a_time_is_found():
    nb = notebook()
    assert cell_at(nb, START + timedelta(seconds=1)).first_line.startswith("run = open_report")
    assert cell_at(nb, START + timedelta(seconds=10)).first_line.startswith("means = cached")  # 7.0 .. 17.0 s
    assert cell_at(nb, START + timedelta(hours=1)) is None


def test_run_summary_is_read_from_the_output():
    assert run_summary(notebook()) == {"cache_hits": ["a"], "cache_misses": []}
    assert run_summary(nbformat.v4.new_notebook()) == {}


def test_report_estimate_is_what_the_set_up_showed():
    shown = {"seconds": {"0": 3.0, "1": 4.0}, "total": 7.0}
    cells = [_code("x = 1", 1.0, [nbformat.v4.new_output("stream", name="stdout", text="1\n")]),
             _code("estimate.show()", 2.0, [nbformat.v4.new_output("display_data", data={"text/markdown": "about 7 s"},
                                                                   metadata={"report_estimate": shown})])]
    assert report_estimate(nbformat.v4.new_notebook(cells=cells)) == shown
    assert report_estimate(nbformat.v4.new_notebook(cells=cells[:1])) == {}
