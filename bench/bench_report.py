"""Time the whole report as a student would run it, against the targets of issue 12.

In one run, with ``python -m helpers.runner.run_report`` (the same command as ``make report``):

1. builds (once, under ``.cache/bench/``) an 11-class Food-11-layout folder with Food-11's 3,347
   evaluation images (512x384 JPEGs made from the demo photos) and small training/validation
   splits, and a classic 128 px checkpoint (random weights, BatchNorm statistics from the
   training images): see ``bench/report_fixture.py``;
2. times the classic report cold (empty result cache) and warm (same cache), the PDF export alone
   (``python -m helpers.pdf.export``), then the default report cold and warm;
3. for each run: wall seconds (kernel start-up included), the Jupyter kernel's peak resident memory
   (VmHWM of the run's process tree), results computed / read from the cache, and the seconds per
   report section (papermill records every cell's duration), plus the costliest cells;
4. prints the targets and ratios, and the load average at start and end (the machine may be shared:
   times under load are longer than a student's).

Issue 21 (numbers on ``n_measure`` images): ``--baseline 7cbe177`` also runs the report as it was
before (that commit, extracted with ``git archive``) side by side, each cold run of one tree followed
by the same run of the other, with the same parameters (the old report ignores ``n_measure``).
The targets are issue 21's: default cold <= 3 min at ``n_measure`` 50, classic (3,347 images) cold
<= 6 min, warm <= 30 s.

Run:  .venv/bin/python bench/bench_report.py                  (or: make bench-report)
      .venv/bin/python bench/bench_report.py --baseline 7cbe177 -p n_measure 50    (issue 21, ~25 min)
      .venv/bin/python bench/bench_report.py --evaluation-images 60 --only classic   (smoke run)
Everything printed is also written to bench/last_report_run.txt (``--save``).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.notebook_timing import (cell_at, cell_times, read, report_estimate, run_summary,  # noqa: E402
                                   section_seconds)
from bench.process_memory import PeakMemoryMonitor  # noqa: E402
from bench.report_fixture import (FOOD11_EVALUATION_COUNTS, build_classic_checkpoint, build_food11_folder,  # noqa: E402
                                  demo_photos)

TARGETS_S = {"classic cold": 360.0, "default cold": 180.0, "classic warm": 30.0, "default warm": 30.0,
             "PDF export": 60.0}  # issue 21's (issue 12's were 600 / 240 / 60 / 60)
PEAK_MEMORY_TARGET_GIB = 4.0


@dataclass
class Step:
    name: str
    seconds: float | None = None
    returncode: int = 0
    error: str = ""
    kernel_peak_gib: float | None = None
    tree_peak_gib: float | None = None
    load_before: float = 0.0
    load_after: float = 0.0
    computed: int | None = None
    from_cache: int | None = None
    sections: dict[str, float] = field(default_factory=dict)
    highest_sample: tuple[float, float] | None = None  # (unix time, GiB) of the kernel's largest sampled RSS
    peak_cell: str = ""
    costliest: list[tuple[str, str, float]] = field(default_factory=list)
    estimate: dict = field(default_factory=dict)  # what the report's set-up predicted (issue 14)


class Log:
    """print() that also appends to a file as it goes, so an interrupted run keeps its lines."""

    def __init__(self, path: Path | None) -> None:
        self.file = open(path, "w", encoding="utf-8") if path else None

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        if self.file:
            self.file.write(line + "\n")
            self.file.flush()


def snapshot_tree(destination: Path) -> Path:
    """Copy the working tree (tracked and untracked files git does not ignore) to ``destination``,
    linking the demo data in: the runs then measure the code as it was at the start, whatever is
    edited meanwhile (an edit between the cold and the warm run would change the cache keys and
    make the "warm" run cold again)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True).stdout.decode().split("\0")
    shutil.rmtree(destination, ignore_errors=True)
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    demo = ROOT / ".cache" / "demo_data"
    if demo.is_dir():
        (destination / ".cache").mkdir(exist_ok=True)
        (destination / ".cache" / "demo_data").symlink_to(demo, target_is_directory=True)
    return destination


def archive_tree(ref: str, destination: Path) -> Path:
    """The project as it was at git ``ref`` (``git archive``), with the demo data linked in: the
    report before a change, to run side by side with the working tree."""
    shutil.rmtree(destination, ignore_errors=True)
    destination.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
    demo = ROOT / ".cache" / "demo_data"
    if demo.is_dir():
        (destination / ".cache").mkdir(exist_ok=True)
        (destination / ".cache" / "demo_data").symlink_to(demo, target_is_directory=True)
    return destination


def tree_state() -> str:
    """The commit measured and how many files differ from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    changed = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    return f"commit {head.strip() or '?'} with {len(changed.splitlines())} uncommitted change(s)"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def timed_command(name: str, command: list[str], env: dict, cwd: Path) -> Step:
    """Run ``command`` in ``cwd``, timing it and tracking the peak memory of its process tree."""
    step = Step(name, load_before=os.getloadavg()[0])
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    with PeakMemoryMonitor(process.pid) as monitor:
        output, _ = process.communicate()
    step.seconds = time.perf_counter() - start
    step.load_after = os.getloadavg()[0]
    step.returncode = process.returncode
    if process.returncode != 0:
        step.error = " | ".join(output.strip().splitlines()[-3:])
    step.kernel_peak_gib = monitor.peak_gib("ipykernel")
    step.tree_peak_gib = monitor.peak_gib()
    step.highest_sample = monitor.highest_sample()
    return step


def report_command(language: str, parameters: dict[str, str], output_dir: Path) -> list[str]:
    command = [sys.executable, "-m", "helpers.runner.run_report", "--lang", language, "--no-pdf",
               "--output-dir", str(output_dir)]
    for name, value in parameters.items():
        command += ["-p", name, value]
    return command


def run_report_step(name: str, language: str, parameters: dict[str, str], work: Path, env: dict,
                    top_cells: int, tree: Path) -> tuple[Step, Path]:
    output_dir = work / name.replace(" ", "-")
    shutil.rmtree(output_dir, ignore_errors=True)
    step = timed_command(name, report_command(language, parameters, output_dir), env, tree)
    notebook = output_dir / f"report.{language}.ipynb"
    if step.returncode == 0 and notebook.is_file():
        nb = read(notebook)
        summary = run_summary(nb)
        step.computed, step.from_cache = len(summary.get("cache_misses", [])), len(summary.get("cache_hits", []))
        step.sections = section_seconds(nb)
        step.estimate = report_estimate(nb)
        cells = sorted(cell_times(nb), key=lambda c: -c.seconds)[:top_cells]
        step.costliest = [(c.section, c.first_line, c.seconds) for c in cells]
        if step.highest_sample is not None:
            cell = cell_at(nb, datetime.fromtimestamp(step.highest_sample[0], timezone.utc))
            if cell is not None:
                step.peak_cell = f"[{cell.section[:40]}] {cell.first_line[:70]}"
    return step, notebook


def describe(step: Step, log: Log) -> None:
    if step.returncode != 0:
        log(f"{step.name:13s} FAILED (exit {step.returncode}) after {step.seconds:.0f} s: {step.error}")
        return
    memory = f", kernel peak RSS {step.kernel_peak_gib:.2f} GiB" if step.kernel_peak_gib is not None else ""
    cache = (f", computed {step.computed}, from cache {step.from_cache}" if step.computed is not None else "")
    log(f"{step.name:13s} {step.seconds:7.1f} s{memory}{cache}  (load {step.load_before:.2f} -> {step.load_after:.2f})")
    if step.peak_cell:
        log(f"{'':13s} largest sampled kernel RSS {step.highest_sample[1]:.2f} GiB, in cell {step.peak_cell}")


def target_table(steps: list[Step], log: Log) -> None:
    log("")
    log(f"{'measure':28s} {'value':>10s} {'target':>10s} {'ratio':>7s}  verdict")
    for step in steps:
        target = TARGETS_S.get(step.name)
        if target is None or step.seconds is None:
            continue
        if step.returncode != 0:
            log(f"{step.name + ' (s)':28s} {'failed':>10s} {target:10.0f}")
            continue
        ratio = step.seconds / target
        log(f"{step.name + ' (s)':28s} {step.seconds:10.1f} {target:10.0f} {ratio:7.2f}  {'met' if ratio <= 1 else 'MISSED'}")
    for step in steps:  # the estimate shown in the set-up against the whole run's wall time
        if step.estimate.get("total") and step.returncode == 0:
            ratio = step.estimate["total"] / step.seconds
            log(f"{step.name + ' estimate/measured':28s} {ratio:10.2f} {'0.67-1.5':>10s} {'':7s}  "
                f"{'met' if 1 / 1.5 <= ratio <= 1.5 else 'MISSED'} (estimate {step.estimate['total']:.0f} s)")
    peaks = [s.kernel_peak_gib for s in steps if s.kernel_peak_gib is not None]
    if peaks:
        peak = max(peaks)
        ratio = peak / PEAK_MEMORY_TARGET_GIB
        log(f"{'kernel peak memory (GiB)':28s} {peak:10.2f} {PEAK_MEMORY_TARGET_GIB:10.0f} {ratio:7.2f}  "
            f"{'met' if ratio <= 1 else 'MISSED'}")


def section_table(steps: list[Step], log: Log) -> None:
    runs = [s for s in steps if s.sections]
    if not runs:
        return
    names: list[str] = []
    for step in runs:
        names += [n for n in step.sections if n not in names]
    log("")
    log("seconds per report section (sum of papermill's cell durations; the rest of a run is kernel start-up,")
    log("imports and papermill itself):")
    width = max(len(n) for n in names) if names else 10
    log(f"{'section':{width}s} " + " ".join(f"{s.name:>13s}" for s in runs))
    for name in names:
        log(f"{name:{width}s} " + " ".join(f"{s.sections[name]:13.1f}" if name in s.sections else f"{'':13s}"
                                             for s in runs))
    for step in runs:  # the estimate per section beside the measured seconds, by section number
        if step.estimate.get("seconds"):
            guess = step.estimate["seconds"]
            pairs = [f"{name.split('.')[0]}: {guess[name.split('.')[0]]:.0f}/{seconds:.0f}"
                     for name, seconds in step.sections.items() if name.split(".")[0] in guess]
            log(f"{'':{width}s} {step.name} estimate/measured s: " + ", ".join(pairs))
    log(f"{'(all cells)':{width}s} " + " ".join(f"{sum(s.sections.values()):13.1f}" for s in runs))
    log(f"{'(outside cells)':{width}s} " + " ".join(f"{s.seconds - sum(s.sections.values()):13.1f}" for s in runs))
    for step in runs:
        if "cold" not in step.name:
            continue
        log("")
        log(f"costliest cells, {step.name}:")
        for section, first_line, seconds in step.costliest:
            log(f"  {seconds:7.1f} s  [{section[:40]}]  {first_line}")


def start_run(script: str, args: argparse.Namespace, argv: list[str] | None) -> tuple[Log, dict, Path, float]:
    """What every report benchmark starts with: its log (``args.save``), the reports' environment,
    the work folder (``args.root``), the first lines (command, cores, load, code) and the start time."""
    log = Log(Path(args.save) if args.save else None)
    env = {**os.environ, "TQDM_DISABLE": "1", "PYTHONUNBUFFERED": "1"}
    log("command: " + " ".join([Path(sys.executable).name, script] + (argv or sys.argv[1:])))
    log(f"cpu cores {os.cpu_count()}, load average at start {load_average()}")
    log(f"code: {tree_state()}" + ("" if args.live_tree else ", copied at the start (edits made meanwhile are not measured)"))
    return log, env, args.root.resolve(), time.perf_counter()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/bench_report.py", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT / ".cache" / "bench",
                        help="where the data, checkpoint, caches and outputs go (default .cache/bench)")
    parser.add_argument("--evaluation-images", type=int, default=sum(FOOD11_EVALUATION_COUNTS))
    parser.add_argument("--training-per-class", type=int, default=20)
    parser.add_argument("--validation-per-class", type=int, default=10)
    parser.add_argument("--only", default="classic,default", help="which reports: classic, default or both")
    parser.add_argument("--lang", default="en")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="extra report parameter for every run (repeatable)")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--live-tree", action="store_true",
                        help="run the project here instead of a copy of the working tree taken at the start")
    parser.add_argument("--top-cells", type=int, default=8, help="costliest cells listed per cold run")
    parser.add_argument("--baseline", default="",
                        help="a git commit to run side by side (e.g. 7cbe177: the report before issue 21)")
    parser.add_argument("--save", default=str(ROOT / "bench" / "last_report_run.txt"),
                        help="also write the output here ('' to skip)")
    args = parser.parse_args(argv)
    reports = [r.strip() for r in args.only.split(",") if r.strip()]
    unknown = set(reports) - {"classic", "default"}
    if unknown:
        parser.error(f"--only takes classic and/or default, got {', '.join(sorted(unknown))}")
    log, env, work, started = start_run("bench/bench_report.py", args, argv)
    tree = ROOT if args.live_tree else snapshot_tree(work / "tree")

    steps: list[Step] = []
    if "classic" in reports:
        t0 = time.perf_counter()
        data = build_food11_folder(work / "food11", args.evaluation_images, args.training_per_class,
                                   args.validation_per_class, sources=demo_photos(ROOT / ".cache" / "demo_data"))
        checkpoint = build_classic_checkpoint(work / "classic.pt", data)
        log(f"fixture: {data} ({args.evaluation_images} evaluation, {11 * args.training_per_class} training, "
            f"{11 * args.validation_per_class} validation images), checkpoint {checkpoint} "
            f"({time.perf_counter() - t0:.0f} s, reused when unchanged)")
    extra = {name: value for name, value in args.parameter}
    trees = {"": tree}
    if args.baseline:
        trees[f" @{args.baseline}"] = archive_tree(args.baseline, work / "tree-baseline")
        log(f"baseline: commit {args.baseline}, run after each run of this tree with the same parameters")
    for report in reports:
        runs: dict[str, dict[str, str]] = {}
        for label in trees:
            cache = work / f"cache-{report}{label.replace(' @', '-')}"
            shutil.rmtree(cache, ignore_errors=True)
            runs[label] = {"cache_dir": str(cache), "figures_dir": str(work / f"figures-{report}{label.replace(' @', '-')}"),
                           **extra}
            if report == "classic":
                runs[label].update(data_dir=str(data), model_arch="classic", checkpoint=str(checkpoint))
        for run in ("cold", "warm"):
            for label, source in trees.items():  # interleaved: both trees see about the same load
                step, found = run_report_step(f"{report}{label} {run}", args.lang, runs[label], work, env,
                                              args.top_cells, source)
                steps.append(step)
                describe(step, log)
                if not label:
                    notebook = found
        if not args.skip_export and not any(s.name == "PDF export" for s in steps) and notebook.is_file():
            pdf = work / f"{report}.pdf"
            export = timed_command("PDF export", [sys.executable, "-m", "helpers.pdf.export", str(notebook),
                                                  str(pdf)], env, tree)
            steps.append(export)
            describe(export, log)

    target_table(steps, log)
    section_table(steps, log)
    log("")
    log(f"total {time.perf_counter() - started:.0f} s, load average at end {load_average()}")
    return 0 if all(s.returncode == 0 for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
