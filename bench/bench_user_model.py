"""Time the report on a user's own model, against the target of issue 20: the cold default-data
report on ``torchvision:resnet18`` at 224 px takes at most 3 minutes on the 2-core CPU.

In one run, with ``python -m helpers.runner.run_report`` (the command ``make report`` runs):

1. builds (once, under ``.cache/bench/``) a ``torchvision:resnet18`` state_dict with one output per
   class of the demo data: random weights (seeded), BatchNorm statistics from demo training photos,
   so activations have the scale of a trained network's;
2. runs the default-data report on it cold (empty result cache), then warm (same cache), in a copy
   of the working tree taken at the start; input 224 px, torchvision's own preprocessing (ImageNet
   normalisation, centre crop);
3. prints wall seconds (kernel start-up included), the kernel's peak memory, results computed / read
   from the cache, seconds per report section, the costliest cells, and the target's verdict.

Run:  .venv/bin/python bench/bench_user_model.py           (the measurement: a quiet machine, ~5 min)
      .venv/bin/python bench/bench_user_model.py --tiny    (smoke run: tiny report parameters)
Everything printed is also written to bench/last_user_model_run.txt (``--save``).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_report import (describe, load_average, run_report_step, section_table, snapshot_tree,  # noqa: E402
                                start_run)

ARCHITECTURE = "torchvision:resnet18"
INPUT_SIZE = 224
TARGET_S = 180.0
# The README test's tiny parameters: every section runs, on a handful of images.
TINY = {"n_images": "3", "smoothgrad_samples": "2", "lime_samples": "10", "lime_segments": "8", "ascent_steps": "2",
        "ascent_grid_steps": "2", "n_grid_filters": "2", "trust_steps": "2", "trust_random_steps": "1",
        "n_measure": "6"}


def build_checkpoint(path: Path, calibration_images: int = 32, seed: int = 0) -> Path:
    """A resnet18 state_dict for the demo data's classes; BatchNorm statistics from its photos."""
    if path.is_file():
        return path
    import torch
    import torchvision

    from helpers.data.default_dataset import default_data_dir
    from helpers.data.food11 import Food11Split
    from helpers.models.preprocessing import IMAGENET_MEAN, IMAGENET_STD

    training = Food11Split(default_data_dir(), "training", INPUT_SIZE, "center_crop")
    torch.manual_seed(seed)
    model = torchvision.models.resnet18(weights=None, num_classes=training.num_classes)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # a plain average over the calibration batches
    images, _, _ = training.load_many(range(min(calibration_images, len(training))))
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    model.train()
    with torch.no_grad():
        for batch in ((images - mean) / std).split(8):
            model(batch)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.eval().state_dict(), path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/bench_user_model.py", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT / ".cache" / "bench",
                        help="where the checkpoint, caches and outputs go (default .cache/bench)")
    parser.add_argument("--tiny", action="store_true", help="tiny report parameters (a smoke run, not the measure)")
    parser.add_argument("--skip-warm", action="store_true")
    parser.add_argument("--lang", default="en")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="extra report parameter (repeatable)")
    parser.add_argument("--live-tree", action="store_true",
                        help="run the project here instead of a copy of the working tree taken at the start")
    parser.add_argument("--top-cells", type=int, default=8, help="costliest cells listed for the cold run")
    parser.add_argument("--save", default=str(ROOT / "bench" / "last_user_model_run.txt"),
                        help="also write the output here ('' to skip)")
    args = parser.parse_args(argv)
    log, env, work, started = start_run("bench/bench_user_model.py", args, argv)
    tree = ROOT if args.live_tree else snapshot_tree(work / "tree-user-model")
    checkpoint = build_checkpoint(work / "resnet18-demo.pt")
    log(f"checkpoint: {checkpoint} ({ARCHITECTURE}, random weights, BatchNorm statistics from demo photos)")
    cache = work / "cache-resnet18"
    shutil.rmtree(cache, ignore_errors=True)
    parameters = {"model_arch": ARCHITECTURE, "checkpoint": str(checkpoint), "input_size": str(INPUT_SIZE),
                  "cache_dir": str(cache), "figures_dir": str(work / "figures-resnet18"),
                  **(TINY if args.tiny else {}), **dict(args.parameter)}
    steps = []
    for run in ("cold",) if args.skip_warm else ("cold", "warm"):
        step, _ = run_report_step(f"resnet18 {run}", args.lang, parameters, work, env, args.top_cells, tree)
        steps.append(step)
        describe(step, log)
    cold = steps[0]
    log("")
    if cold.returncode == 0:
        verdict = "met" if cold.seconds <= TARGET_S else "MISSED"
        note = " (tiny parameters: a smoke run, not the measure)" if args.tiny else ""
        log(f"{ARCHITECTURE} {INPUT_SIZE} px, default data, cold report: {cold.seconds:.0f} s, target <= "
            f"{TARGET_S:.0f} s: {verdict}{note}")
    section_table(steps, log)
    log("")
    log(f"total {time.perf_counter() - started:.0f} s, load average at end {load_average()}")
    return 0 if all(s.returncode == 0 for s in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
