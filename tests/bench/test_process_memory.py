"""Peak memory of a process tree, grandchildren included (bench/process_memory.py)."""
from __future__ import annotations

import os
import subprocess
import sys

from bench.process_memory import PeakMemoryMonitor, vm_hwm_kib

# A parent that starts a child; the child fills 200 MiB, frees it, says so and waits for a line on
# stdin: its peak stays in VmHWM although its current RSS has dropped.
GRANDCHILD = ("import sys; b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096]); del b; "
              "print('ready', flush=True); sys.stdin.readline()")
PARENT = ("import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', sys.argv[1], 'marker-grandchild'], "
          "stdin=sys.stdin, stdout=sys.stdout); p.wait()")


def test_peak_of_a_grandchild_is_seen_after_it_freed_the_memory():
    parent = subprocess.Popen([sys.executable, "-c", PARENT, GRANDCHILD], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        monitor = PeakMemoryMonitor(parent.pid, sample_command="marker-grandchild")
        monitor.poll()  # called by hand: no timing involved
        grandchild = monitor.peak_gib("marker-grandchild")
        assert grandchild is not None and grandchild >= 0.19
        # the current RSS is sampled too (when was it high?): after the free it is well below the peak
        assert len(monitor.samples) == 1 and monitor.highest_sample()[1] < grandchild - 0.1
        assert monitor.peak_gib() >= grandchild
        assert monitor.peak_gib("no such command") is None
    finally:
        parent.stdin.write("\n")
        parent.stdin.close()
        parent.wait()


def test_vm_hwm_of_this_process_and_of_a_missing_one():
    assert vm_hwm_kib(os.getpid()) > 1000
    assert vm_hwm_kib(2 ** 22 + 12345) is None
