"""Time ``python -m helpers.explain`` as a user runs it, against issue 22's target: cold start plus
one ``smoothgrad-guided`` map on the default model in at most 15 s on this 2-core CPU (imports
and model loading count).

Each run is a fresh process (nothing warm but the OS file cache) writing into a temporary folder:
the whole command's wall time, the time until its map is done (the command's own progress line),
and, in another fresh process, the imports alone. Medians of ``--runs`` runs; the load average
at start and end says how busy the machine was.

Run:  .venv/bin/python bench/bench_cli.py [--runs 5] [--photo PATH] [--method smoothgrad-guided] [--threads N]
Everything printed is also written to bench/last_cli_run.txt (``--save``).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PHOTO = ROOT / ".cache" / "demo_data" / "evaluation" / "4_61.jpeg"
TARGET_S = 15.0
_MAP_LINE = re.compile(r"^\[\d+/\d+\] \S+: \d+ photos? \((\d+\.\d+) s\)$", re.M)


def user_environment() -> dict[str, str]:
    """The environment a user's shell gives: no test or benchmark settings."""
    return {k: v for k, v in os.environ.items() if k not in ("TQDM_DISABLE", "OMP_NUM_THREADS", "PYTEST_CURRENT_TEST")}


def time_command(photo: Path, method: str, extra: list[str]) -> tuple[float, float]:
    """(wall seconds of the whole command, seconds from its start of work to its last map)."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "helpers.explain", str(photo), "--method", method, "--out", out,
                               *extra],
                              cwd=ROOT, env=user_environment(), capture_output=True, text=True)
        wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"the command failed (exit {proc.returncode}): {proc.stderr.strip()}")
    maps = [float(s) for s in _MAP_LINE.findall(proc.stderr)]
    return wall, maps[-1] if maps else float("nan")


def time_imports() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import helpers.explain.__main__"], cwd=ROOT, env=user_environment(),
                   check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per measurement")
    parser.add_argument("--photo", type=Path, default=DEFAULT_PHOTO, help="the photo to explain")
    parser.add_argument("--method", default="smoothgrad-guided", help="the method")
    parser.add_argument("--threads", type=int, default=None,
                        help="pass --threads to the command (not given: the command's default)")
    parser.add_argument("--save", type=Path, default=ROOT / "bench" / "last_cli_run.txt",
                        help="also write the output here")
    args = parser.parse_args(argv)
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"bench_cli {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
        f"load average at start {os.getloadavg()[0]:.2f}")
    shown = args.photo.relative_to(ROOT) if args.photo.is_relative_to(ROOT) else args.photo
    extra = ["--threads", str(args.threads)] if args.threads else []
    say(f"command: python -m helpers.explain {shown} --method {args.method} --out <temporary folder> "
        f"{' '.join(extra)}  (default model, default settings)")
    walls, maps, imports = [], [], []
    for run in range(1, args.runs + 1):
        wall, mapped = time_command(args.photo, args.method, extra)
        imported = time_imports()
        walls.append(wall)
        maps.append(mapped)
        imports.append(imported)
        say(f"  run {run}: whole command {wall:5.1f} s, of which computing the map {mapped:4.1f} s; "
            f"imports alone {imported:4.1f} s")
    median = statistics.median(walls)
    say(f"median of {args.runs}: whole command {median:.1f} s (target <= {TARGET_S:.0f} s: "
        f"{'met' if median <= TARGET_S else 'MISSED'}), map {statistics.median(maps):.1f} s, "
        f"imports {statistics.median(imports):.1f} s")
    say(f"load average at end {os.getloadavg()[0]:.2f}")
    if args.save:
        args.save.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if median <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
