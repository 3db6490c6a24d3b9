"""Where an executed report spends its time: papermill records each cell's duration in the cell's
metadata (``metadata.papermill.duration``); this sums them per section heading."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat

SET_UP = "set-up (before the first heading)"


@dataclass
class CellTime:
    section: str
    first_line: str
    seconds: float
    start: datetime | None = None
    end: datetime | None = None


def _when(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _heading(markdown: str, max_level: int) -> str | None:
    for line in markdown.splitlines():
        stripped = line.lstrip()
        level = len(stripped) - len(stripped.lstrip("#"))
        if 1 <= level <= max_level and stripped[level:level + 1] == " ":
            return stripped[level:].strip()
    return None


def cell_times(notebook: nbformat.NotebookNode, max_level: int = 2) -> list[CellTime]:
    """One entry per executed code cell, under the latest heading of level <= ``max_level`` above it.
    Headings tagged with another language than the first tagged one (``lang-zh-TW`` twins of
    ``lang-en`` cells) are skipped, so a two-language notebook is split once."""
    section, out, first_language = SET_UP, [], None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            heading = _heading(cell.source, max_level)
            tags = cell.get("metadata", {}).get("tags", [])
            language = next((t for t in tags if t.startswith("lang-")), None)
            if heading is None:
                continue
            if language is not None:
                first_language = first_language or language
                if language != first_language:
                    continue  # the same heading in another language
            section = heading
            continue
        if cell.cell_type != "code":
            continue
        record = cell.get("metadata", {}).get("papermill", {})
        if record.get("duration") is None:
            continue
        first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
        out.append(CellTime(section, first_line[:90], float(record["duration"]), _when(record.get("start_time")),
                            _when(record.get("end_time"))))
    return out


def section_seconds(notebook: nbformat.NotebookNode, max_level: int = 2) -> dict[str, float]:
    """Seconds per section, in the notebook's order."""
    totals: dict[str, float] = {}
    for cell in cell_times(notebook, max_level):
        totals[cell.section] = totals.get(cell.section, 0.0) + cell.seconds
    return totals


def cell_at(notebook: nbformat.NotebookNode, when: datetime) -> CellTime | None:
    """The executed cell that was running at ``when`` (a time-zone aware datetime), if any."""
    for cell in cell_times(notebook):
        if cell.start and cell.end and cell.start <= when <= cell.end:
            return cell
    return None


def run_summary(notebook: nbformat.NotebookNode) -> dict:
    """The report's ``REPORT_RUN_SUMMARY`` line (cache hits and misses, figures), {} if absent."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            if output.get("output_type") == "stream" and "REPORT_RUN_SUMMARY " in text:
                return json.loads(text.split("REPORT_RUN_SUMMARY ", 1)[1].splitlines()[0])
    return {}


def report_estimate(notebook: nbformat.NotebookNode) -> dict:
    """The run-time estimate the report's set-up showed (seconds per section "0"-"5", total), {} if absent."""
    from helpers.runner.progress import shown_estimate

    return next((found for cell in notebook.cells if (found := shown_estimate(cell.get("outputs", [])))), {})


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(Path(path), as_version=4)
