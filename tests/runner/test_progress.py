"""RunProgress: what the runner prints while papermill executes the report.

The nbclient hooks are called here by hand with cells like the report's (headings tagged per
language, the estimate in an output's metadata) and a fake clock, so the lines are checked exactly.
"""
from __future__ import annotations

import io

import nbformat
import pytest

from helpers.runner.progress import RunProgress, done_signatures, record_done, section_heading

v4 = nbformat.v4
ESTIMATE = {"seconds": {"0": 40.0, "1": 20.0}, "total": 60.0, "cached": [], "cache_dir": "/cache",
            "signatures": {"0": "sig0", "1": "sig1"},
            "text": {"en": "about 60 s on this CPU; no cached results", "zh-TW": "約 60 秒"}}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def heading(text: str, language: str) -> nbformat.NotebookNode:
    return v4.new_markdown_cell(f"## {text}\n\nProse.", metadata={"tags": [f"lang-{language}"]})


def run_cells(progress: RunProgress, clock: Clock) -> None:
    """The report's shape: set-up code, section 0 (with the estimate cell), section 1, appendix."""
    cells = [(v4.new_code_cell("run = open_report(globals())"), 5),
             (heading("0. What is explained", "en"), 0), (heading("0. 解釋的對象", "zh-TW"), 0),
             (v4.new_code_cell("estimate_report(run).show()", outputs=[v4.new_output(
                 "display_data", data={"text/markdown": "about 60 s"}, metadata={"report_estimate": ESTIMATE})]), 10),
             (v4.new_code_cell("predictions = ..."), 30),
             (heading("1. Saliency maps", "en"), 0), (heading("1. Saliency map", "zh-TW"), 0),
             (v4.new_code_cell("saliency = ..."), 25),
             (heading("Appendix: layers", "en"), 0), (heading("附錄：卷積層", "zh-TW"), 0),
             (v4.new_code_cell("table(...)"), 1)]
    for index, (cell, seconds) in enumerate(cells):
        progress.on_cell_start(cell=cell, cell_index=index)
        clock.now += seconds
        progress.on_cell_executed(cell=cell, cell_index=index, execute_reply={})


def test_plain_lines_at_section_boundaries_outside_a_terminal():
    stream, clock, recorded = io.StringIO(), Clock(), []
    progress = RunProgress("en", stream, interactive=False, clock=clock, record=lambda d, s: recorded.append((d, s)))
    run_cells(progress, clock)
    progress.close(completed=True)
    assert stream.getvalue().splitlines() == [
        "[5 s] set-up: done in 5 s",
        "[5 s] 0. What is explained: started",
        "[15 s] estimate: about 60 s on this CPU; no cached results",
        "[45 s] 0. What is explained: done in 40 s (estimate 40 s), about 20 s left",
        "[45 s] 1. Saliency maps: started (estimate 20 s), about 20 s left",
        "[70 s] 1. Saliency maps: done in 25 s (estimate 20 s), about 0 s left",
        "[70 s] Appendix: layers: started",
        "[71 s] Appendix: layers: done in 1 s",
    ]
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()
    assert recorded == [("/cache", "sig0"), ("/cache", "sig1")]  # completed numbered sections only


def test_terminal_line_is_redrawn_in_place_and_ends_with_the_section():
    stream, clock = io.StringIO(), Clock()
    progress = RunProgress("zh-TW", stream, interactive=True, clock=clock, record=lambda d, s: None, redraw_seconds=None)
    run_cells(progress, clock)
    written = stream.getvalue()
    assert "\r\x1b[K[0:05] 0. 解釋的對象: started" in written  # the run's language picks the heading
    assert "What is explained" not in written
    assert "\r\x1b[K[0:45] 0. 解釋的對象: done in 0:40 (estimate 0:40), about 0:20 left\n" in written
    assert "\r\x1b[K[0:15] estimate: 約 60 秒\n" in written
    clock.now += 3
    progress.redraw()
    assert stream.getvalue().endswith("\r\x1b[K[1:14] 附錄：卷積層: running 0:04")
    progress.close(completed=True)
    assert stream.getvalue().endswith("附錄：卷積層: done in 0:04\n")


def test_a_stopped_section_is_not_recorded_and_close_says_where():
    stream, clock, recorded = io.StringIO(), Clock(), []
    progress = RunProgress("en", stream, interactive=False, clock=clock, record=lambda d, s: recorded.append(s))
    progress.on_cell_start(cell=heading("0. What is explained", "en"), cell_index=0)
    progress.on_cell_executed(cell=v4.new_code_cell(outputs=[v4.new_output(
        "display_data", data={}, metadata={"report_estimate": ESTIMATE})]), cell_index=1)
    clock.now += 61
    assert progress.close(completed=False) == "in 0. What is explained after 1:01"
    assert stream.getvalue().splitlines()[-1].endswith("0. What is explained: stopped (estimate 40 s), about 20 s left")
    assert recorded == []


def test_a_record_that_cannot_be_written_does_not_stop_the_run():
    def read_only(cache_dir, signature):
        raise PermissionError("read-only")

    progress = RunProgress("en", io.StringIO(), interactive=False, clock=Clock(), record=read_only)
    progress.on_cell_start(cell=heading("0. What is explained", "en"), cell_index=0)
    progress.on_cell_executed(cell=v4.new_code_cell(outputs=[v4.new_output(
        "display_data", data={}, metadata={"report_estimate": ESTIMATE})]), cell_index=1)
    progress.close(completed=True)  # no exception


@pytest.mark.parametrize("source, tags, language, expected", [
    ("## 4. SmoothGrad\n\ntext", ["lang-en"], "en", ("4. SmoothGrad", "4")),
    ("## 4. SmoothGrad", ["lang-en"], "zh-TW", None),
    ("## Appendix: layers", [], "zh-TW", ("Appendix: layers", None)),
    ("# Title\n\n## 2. Filters", ["lang-en", "other"], "en", ("2. Filters", "2")),
    ("### 2.1 Detail", ["lang-en"], "en", None),
])
def test_section_heading(source, tags, language, expected):
    assert section_heading(v4.new_markdown_cell(source, metadata={"tags": tags}), language) == expected


def test_record_keeps_the_newest_signatures(tmp_path):
    assert done_signatures(tmp_path / "absent") == []
    for signature in ("a", "b", "c", "a"):
        record_done(tmp_path, signature, keep=2)
    assert done_signatures(tmp_path) == ["c", "a"]
    (tmp_path / "report_sections.json").write_text("{broken")
    assert done_signatures(tmp_path) == []

