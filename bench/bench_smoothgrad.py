"""SmoothGrad as the report uses it: the cost of its two SmoothGrads, and how the map converges with n.

``pair`` (section 4's call shape): ``SmoothGrad(Saliency(model))`` and
``SmoothGrad(GuidedBackprop(model))`` with the report's settings (sigma 0.2, n 50, batch 16,
seed 0) on the report's number of demo photos, timed as two separate calls (no partner alive:
each runs its own passes) and as a pair (both built first, as in the notebook: one forward pass
per noisy batch serves both). Runs are interleaved and medians shown; the maps must be equal.

``convergence``: the map after n samples against the map after ``--n-max`` (200) samples, for
the same seed (the n-sample map is what the report gives with ``smoothgrad_samples = n``): Spearman
rank correlation of |map| per image (helpers.measures.rank_correlation), for SmoothGrad and
SmoothGrad x guided backprop on the default model. The per-sample maps are computed once and
averaged cumulatively (checked against SmoothGrad itself).

Run:  .venv/bin/python bench/bench_smoothgrad.py pair [--models classic,default] [--repeats 3] [--baseline REV]
      .venv/bin/python bench/bench_smoothgrad.py convergence [--images 5] [--n 10,20,50,100]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from helpers.data.default_dataset import DEFAULT_DATA_DIR  # noqa: E402
from helpers.data.layout import open_split  # noqa: E402
from helpers.explain import GuidedBackprop, Saliency, SharedPasses, SmoothGrad  # noqa: E402
from helpers.models.registry import load_model  # noqa: E402

BENCH_CHECKPOINT = ROOT / ".cache" / "bench" / "classic.pt"  # made by bench/bench_report.py


def model_and_images(name: str, count: int) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """The model (classic: the benchmark checkpoint when built, else random weights), ``count``
    demo photos at its input size, and its predicted classes (the report's targets)."""
    checkpoint = BENCH_CHECKPOINT if name == "classic" and BENCH_CHECKPOINT.is_file() else None
    torch.manual_seed(0)
    loaded = load_model(name, checkpoint, device="cpu")
    split = open_split(DEFAULT_DATA_DIR, "evaluation", loaded.input_size, loaded.resize_mode)
    step = max(1, len(split) // count)  # spread over the classes (files are sorted by label)
    images, _, _ = split.load_many(list(range(0, step * count, step))[:count])
    with torch.no_grad():
        predicted = loaded.model(images).argmax(1)
    return loaded.model, images, predicted


def smoothgrad_at(revision: str):
    """The SmoothGrad class of helpers/explain/smoothgrad.py at a git revision (for before/after)."""
    import importlib.util
    import subprocess

    source = subprocess.run(["git", "show", f"{revision}:helpers/explain/smoothgrad.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader("helpers.explain._smoothgrad_at_revision", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "helpers.explain"
    exec(compile(source, f"{revision}:helpers/explain/smoothgrad.py", "exec"), module.__dict__)
    return module.SmoothGrad


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def bench_pair(args) -> None:
    settings = dict(sigma=args.sigma, n_samples=args.n, batch_size=args.batch_size, seed=0)
    for name in args.models.split(","):
        model, images, target = model_and_images(name, args.images or (11 if name == "classic" else 10))

        def separate():  # no SharedPasses group: each call runs its own passes
            plain = SmoothGrad(Saliency(model, reduction="max_abs"), **settings).attribute(images, target)
            guided = SmoothGrad(GuidedBackprop(model, reduction="max_abs"), **settings).attribute(images, target)
            return plain, guided

        def pair():
            group = SharedPasses()
            explainers = [SmoothGrad(Saliency(model, reduction="max_abs"), **settings, share_passes=group),
                          SmoothGrad(GuidedBackprop(model, reduction="max_abs"), **settings, share_passes=group)]
            return tuple(e.attribute(images, target) for e in explainers)

        def baseline():
            old = smoothgrad_at(args.baseline)
            return tuple(old(e(model, reduction="max_abs"), **settings).attribute(images, target)
                         for e in (Saliency, GuidedBackprop))

        runs = {"separate": separate, "pair": pair}
        if args.baseline:
            runs = {f"{args.baseline} (separate)": baseline, **runs}
        pair()  # warm-up (oneDNN primitives)
        times: dict[str, list[float]] = {label: [] for label in runs}
        maps: dict[str, tuple] = {}
        for _ in range(args.repeats):  # interleaved: each round sees the same machine load
            for label, fn in runs.items():
                seconds, maps[label] = timed(fn)
                times[label].append(seconds)
        print(f"{name}: {len(images)} images x n={args.n} at batch {args.batch_size}, both SmoothGrads "
              f"(median of {args.repeats} interleaved runs):", flush=True)
        reference = times[next(iter(runs))]
        for label in runs:
            ratio = statistics.median(t / r for t, r in zip(times[label], reference))
            largest = max(float((a - b).abs().max() / b.abs().max()) for a, b in zip(maps[label], maps["separate"]))
            print(f"  {label:28s} {statistics.median(times[label]):7.1f} s  (runs "
                  f"{', '.join(f'{t:.1f}' for t in times[label])})  ratio to the first row {ratio:.2f}; "
                  f"max |map - separate map| / max |map| = {largest:.1e}", flush=True)


def per_sample_maps(explainer, images: torch.Tensor, target: torch.Tensor, sigma: float, n_max: int,
                    batch_size: int) -> torch.Tensor:
    """(n_max, N, ...) maps of the noisy copies SmoothGrad(seed=0) makes, in the same passes (same
    noise, same batches: the (image, sample) pairs sample by sample), so that their running mean
    is SmoothGrad's map for every n at once."""
    generator = torch.Generator().manual_seed(0)
    n = len(images)
    flat = images.reshape(n, -1)
    stdev = (sigma * (flat.amax(1) - flat.amin(1))).reshape(-1, 1, 1, 1)
    draws = torch.stack([torch.randn(tuple(images.shape[1:]), generator=generator) for _ in range(n_max)])
    out = None
    for start in range(0, n * n_max, batch_size):
        pairs = torch.arange(start, min(start + batch_size, n * n_max))
        rows, samples = pairs % n, pairs // n
        maps = explainer.attribute(images[rows] + draws[samples] * stdev[rows], target[rows])
        if out is None:
            out = maps.new_zeros((n_max, n) + tuple(maps.shape[1:]))
        out[samples, rows] = maps
    return out


def bench_convergence(args) -> None:
    from helpers.measures import rank_correlation

    model, images, target = model_and_images(args.model, args.images or 5)
    checkpoints = [int(v) for v in args.n_list.split(",")]
    print(f"{args.model} model, {len(images)} demo photos, sigma {args.sigma}, same seed: Spearman of |map after n| "
          f"with |map after {args.n_max}| (mean [min, max] over images)", flush=True)
    for label, explainer in (("SmoothGrad", Saliency(model, reduction="max_abs")),
                             ("SmoothGrad x guided backprop", GuidedBackprop(model, reduction="max_abs"))):
        start = time.perf_counter()
        # Check the noise and passes against SmoothGrad itself on a short run (same batches: equal
        # to rounding; within the long run, batches differ, which moves maps by ~1e-3 at a few pixels).
        first = checkpoints[0]
        short = per_sample_maps(explainer, images, target, args.sigma, first, args.batch_size).mean(0)
        check = SmoothGrad(type(explainer)(model, reduction="max_abs"), sigma=args.sigma, n_samples=first,
                           batch_size=args.batch_size, seed=0).attribute(images, target)
        torch.testing.assert_close(short, check, rtol=1e-5, atol=1e-7)
        maps = per_sample_maps(explainer, images, target, args.sigma, args.n_max, args.batch_size)
        running = maps.cumsum(0)
        final = running[-1] / args.n_max
        cells = []
        for n in checkpoints:
            rho = rank_correlation(running[n - 1] / n, final)
            cells.append(f"n={n}: {np.nanmean(rho):.3f} [{np.nanmin(rho):.3f}, {np.nanmax(rho):.3f}]")
        print(f"  {label:30s} " + "  ".join(cells) + f"  ({time.perf_counter() - start:.0f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/bench_smoothgrad.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    pair = sub.add_parser("pair", help="time section 4's two SmoothGrads, separately and as a pair")
    pair.add_argument("--models", default="classic,default")
    pair.add_argument("--n", type=int, default=50)
    pair.add_argument("--images", type=int, default=None, help="default: the report's (11 classic, 10 default)")
    pair.add_argument("--repeats", type=int, default=3)
    pair.add_argument("--baseline", default="", metavar="REV",
                      help="also time helpers/explain/smoothgrad.py as it was at this git revision (before/after)")
    conv = sub.add_parser("convergence", help="Spearman of the n-sample map with the n_max-sample map")
    conv.add_argument("--model", default="default")
    conv.add_argument("--images", type=int, default=5)
    conv.add_argument("--n", dest="n_list", default="10,20,50,100")
    conv.add_argument("--n-max", type=int, default=200)
    for p in (pair, conv):
        p.add_argument("--sigma", type=float, default=0.2)
        p.add_argument("--batch-size", type=int, default=16)
        p.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print("command: " + " ".join([Path(sys.executable).name, "bench/bench_smoothgrad.py"] + (argv or sys.argv[1:])))
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, load average at start "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    start = time.perf_counter()
    bench_pair(args) if args.mode == "pair" else bench_convergence(args)
    print(f"total {time.perf_counter() - start:.0f} s, load average at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
