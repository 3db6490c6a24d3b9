"""Where a report run is and how long is left, printed by the runner on stderr (never into the notebook).

:class:`RunProgress` follows papermill through nbclient's hooks: ``on_cell_start`` sees each ``## ``
heading of the run's language, ``on_cell_executed`` picks up the estimate that
:meth:`helpers.runner.estimate.Estimate.show` leaves in an output's metadata. In a terminal one line
per section is redrawn every second (name, elapsed, estimated time left); elsewhere (CI, a log
file) plain lines at section boundaries. Completed sections are recorded in ``cache_dir`` so that
the next estimate counts them as cached.
"""
from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO
from unicodedata import east_asian_width

RECORD = "report_sections.json"
ESTIMATE_KEY = "report_estimate"  # the output metadata where Estimate.show leaves its numbers


def done_signatures(cache_dir: str | Path) -> list[str]:
    """Signatures of the sections completed so far (oldest first; [] without a record)."""
    try:
        done = json.loads((Path(cache_dir) / RECORD).read_text())
    except (OSError, ValueError):
        return []
    return [s for s in done if isinstance(s, str)] if isinstance(done, list) else []


def record_done(cache_dir: str | Path, signature: str, keep: int = 500) -> None:
    """Add a completed section's signature to the record (the newest ``keep`` stay)."""
    done = [s for s in done_signatures(cache_dir) if s != signature][-(keep - 1):] + [signature]
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    (Path(cache_dir) / RECORD).write_text(json.dumps(done))


def shown_estimate(outputs: Any) -> dict | None:
    """The numbers of the estimate shown in a cell's ``outputs`` (None when it shows none)."""
    for output in outputs:
        found = output.get("metadata", {}).get(ESTIMATE_KEY)
        if isinstance(found, dict) and isinstance(found.get("seconds"), dict):
            return found
    return None


def section_heading(cell: Any, language: str) -> tuple[str, str | None] | None:
    """(heading, its number or None) of a markdown cell with a ``## `` heading in ``language``
    (untagged cells are every language's); None for any other cell."""
    tags = [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith("lang-")]
    if cell.get("cell_type") != "markdown" or (tags and f"lang-{language}" not in tags):
        return None
    heading = next((line[3:].strip() for line in cell.get("source", "").splitlines() if line.startswith("## ")), None)
    number = heading.split(".", 1)[0] if heading else ""
    return (heading, number if number.isdigit() else None) if heading else None


class RunProgress:
    """Pass :meth:`hooks` to papermill; :meth:`step` starts a step after the notebook (the PDF
    export), :meth:`close` ends the run. ``clock``, ``record`` and ``redraw_seconds`` are for tests."""

    def __init__(self, language: str, stream: TextIO | None = None, interactive: bool | None = None,
                 clock: Callable[[], float] = time.monotonic, record: Callable[[str, str], None] = record_done,
                 redraw_seconds: float | None = 1.0) -> None:
        self.language, self.stream, self.clock, self.record = language, stream or sys.stderr, clock, record
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.started = self.section_started = clock()
        self.section: str | None = "set-up"
        self.key: str | None = None
        self.estimate: dict | None = None
        self.begun: set[str | None] = set()
        self._lock, self._stop = threading.RLock(), threading.Event()  # a thread redraws the terminal line
        if self.interactive and redraw_seconds:
            threading.Thread(target=self._redraw_every, args=(redraw_seconds,), daemon=True).start()

    def hooks(self) -> dict[str, Callable[..., None]]:
        return {"on_cell_start": self.on_cell_start, "on_cell_executed": self.on_cell_executed}

    def on_cell_start(self, cell: Any, cell_index: int, **_: Any) -> None:
        heading = section_heading(cell, self.language)
        if heading:
            self.step(*heading)

    def on_cell_executed(self, cell: Any, cell_index: int, **_: Any) -> None:
        found = shown_estimate(cell.get("outputs", []))
        if found is not None:
            self.estimate = found
            text = found.get("text", {}).get(self.language, "")
            self._write(f"[{self._show(self.clock() - self.started)}] estimate: {text}", final=True)

    def step(self, name: str, key: str | None = None) -> None:
        """End the current section (completed) and start ``name`` (``key``: its number in the estimate)."""
        with self._lock:
            self._end(completed=True)
            self.section, self.section_started, self.key = name, self.clock(), key
            self.begun.add(key)
            self._write(self._line("started"), final=not self.interactive)

    def close(self, completed: bool) -> str:
        """End the run (``completed``: its last section finished); returns where it stopped."""
        with self._lock:
            self._stop.set()
            where = f"in {self.section or 'the run'} after {_clock(self.clock() - self.started)}"
            self._end(completed)
        return where

    def redraw(self) -> None:
        """Redraw the running section's terminal line (the thread calls this every second)."""
        with self._lock:
            if self.section is not None and not self._stop.is_set():
                self._write(self._line(f"running {_clock(self.clock() - self.section_started)}"), final=False)

    def _redraw_every(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            self.redraw()

    def _end(self, completed: bool) -> None:
        if self.section is None:
            return
        signature = (self.estimate or {}).get("signatures", {}).get(self.key)
        if completed and signature and self.estimate.get("cache_dir"):
            try:
                self.record(self.estimate["cache_dir"], signature)
            except OSError:  # a read-only cache: the next estimate counts the section as computed
                pass
        state = f"done in {self._show(self.clock() - self.section_started)}" if completed else "stopped"
        self._write(self._line(state, running=False), final=True)
        self.section = None

    def _show(self, seconds: float) -> str:
        return _clock(seconds) if self.interactive else f"{seconds:.0f} s"

    def _line(self, state: str, running: bool = True) -> str:
        seconds = (self.estimate or {}).get("seconds", {})
        guess, line = seconds.get(self.key), f"[{self._show(self.clock() - self.started)}] {self.section}: {state}"
        if self.estimate:  # left: the sections not begun, and what the running one has still to do
            left = sum(s for k, s in seconds.items() if k not in self.begun)
            left += max(guess - (self.clock() - self.section_started), 0.0) if running and guess else 0.0
            if guess is not None or left > 0:  # an unestimated step at the end (the PDF): no "0 s left"
                line += (f" (estimate {self._show(guess)})" if guess is not None else "") + f", about {self._show(left)} left"
        return line

    def _write(self, line: str, final: bool) -> None:
        with self._lock:
            if self.interactive:  # cut to the terminal's width (CJK takes two columns): a wrapped line cannot be redrawn
                width = shutil.get_terminal_size((100, 24)).columns - 1 - sum(east_asian_width(c) in "WF" for c in line)
                self.stream.write("\r\x1b[K" + line[:max(width, 0)] + "\n" * final)
            elif final:
                self.stream.write(line + "\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"
