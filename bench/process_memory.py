"""Peak resident memory of a process tree (the report's Jupyter kernel is a child of run_report).

Linux keeps each process's high-water mark of resident memory as ``VmHWM`` in /proc/<pid>/status,
so polling it now and then still gives the true peak up to the last poll (a sampled RSS would miss
short peaks). ``ru_maxrss`` is no use here: RUSAGE_CHILDREN reports only the largest single child
once it has been waited for, and the kernel is a grandchild.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


def _status_kib(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def vm_hwm_kib(pid: int) -> int | None:
    """Peak resident set size of ``pid`` in KiB, or None when it is gone or unreadable."""
    return _status_kib(pid, "VmHWM")


def vm_rss_kib(pid: int) -> int | None:
    """Current resident set size of ``pid`` in KiB, or None when it is gone or unreadable."""
    return _status_kib(pid, "VmRSS")


@dataclass
class ProcessPeak:
    pid: int
    command: str
    peak_kib: int

    @property
    def peak_gib(self) -> float:
        return self.peak_kib / 2 ** 20


class PeakMemoryMonitor:
    """Poll the VmHWM of ``pid`` and all its descendants every ``interval`` seconds in a thread.

    ``with PeakMemoryMonitor(proc.pid) as monitor: proc.wait()``; then ``monitor.peaks`` holds one
    :class:`ProcessPeak` per process seen and :meth:`peak_gib` the largest matching a command.
    ``samples`` holds (unix time, current RSS in KiB) of the processes whose command contains
    ``sample_command``, one per poll: they tell WHEN the memory was high (the peak itself comes
    from VmHWM, which a poll cannot miss).
    """

    def __init__(self, pid: int, interval: float = 0.5, sample_command: str = "ipykernel") -> None:
        self.pid, self.interval, self.sample_command = pid, interval, sample_command
        self.peaks: dict[int, ProcessPeak] = {}
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def poll(self) -> None:
        try:
            root = psutil.Process(self.pid)
            processes = [root] + root.children(recursive=True)
        except psutil.NoSuchProcess:
            return
        now, sampled = time.time(), 0
        for process in processes:
            peak = vm_hwm_kib(process.pid)
            if peak is None:
                continue
            known = self.peaks.get(process.pid)
            if known is None:
                try:
                    command = " ".join(process.cmdline())
                except psutil.Error:
                    command = "?"
                known = self.peaks[process.pid] = ProcessPeak(process.pid, command, peak)
            else:
                known.peak_kib = max(known.peak_kib, peak)
            if self.sample_command and self.sample_command in known.command:
                sampled += vm_rss_kib(process.pid) or 0
        if sampled:
            self.samples.append((now, sampled))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemoryMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def highest_sample(self) -> tuple[float, float] | None:
        """(unix time, GiB) of the largest sampled RSS of the sampled processes, None if none."""
        if not self.samples:
            return None
        when, kib = max(self.samples, key=lambda sample: sample[1])
        return when, kib / 2 ** 20

    def peak_gib(self, command_contains: str = "") -> float | None:
        """The largest peak among processes whose command line contains the text (all when "")."""
        matching = [p.peak_gib for p in self.peaks.values() if command_contains in p.command]
        return max(matching) if matching else None
