"""Absolute times of the heavy methods on the device the code picks (CUDA when present).

The CPU ratios come from ``bench_methods.py``; this script answers "how long on a GPU?": per image,
the plain forward and forward+backward passes of both models, SmoothGrad x guided backprop
(n=200), LIME (1000 samples) and Integrated Gradients (50 steps), with CUDA synchronised around
every timing. Run:  .venv/bin/python bench/bench_device.py [--device auto] [--n 200] [--lime-samples 1000]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench_methods import build_model, images_for, plain_pass  # noqa: E402
from helpers.device import pick_device  # noqa: E402
from helpers.explain import GuidedBackprop, IntegratedGradients, LimeExplainer, SmoothGrad  # noqa: E402
from helpers.explain.base import frozen_eval  # noqa: E402


def timed(fn, device: torch.device, repeats: int = 3) -> float:
    """Median wall time of ``fn`` after one warm-up, synchronising CUDA so queued work counts."""
    def once() -> float:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - start
    once()
    return statistics.median(once() for _ in range(repeats))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--lime-samples", type=int, default=1000)
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    device = pick_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"device {device} ({name}), torch {torch.__version__}")
    print(f"{'model':8} {'what':38} {'ms/image':>10}  {'x plain passes':>14}")
    for model_name in ("classic", "default"):
        model, side, _ = build_model(model_name)
        model = model.to(device)
        x = torch.rand(args.batch, 3, side, side, device=device)
        with frozen_eval(model):
            forward = timed(lambda: plain_pass(model, x, False), device) / args.batch
            backward = timed(lambda: plain_pass(model, x, True), device) / args.batch
        images = images_for(side, args.images).to(device)
        rows = [
            ("forward pass", forward, 1, forward),
            ("forward+backward (input grad)", backward, 1, backward),
            (f"SmoothGrad x GB n={args.n}",
             timed(lambda: SmoothGrad(GuidedBackprop(model), 0.2, args.n, batch_size=args.batch)
                   .attribute(images), device, 1) / args.images, args.n, backward),
            ("integrated gradients 50 steps",
             timed(lambda: IntegratedGradients(model, n_steps=50).attribute(images), device, 1) / args.images,
             50, backward),
            (f"LIME {args.lime_samples} samples",
             timed(lambda: LimeExplainer(model, num_samples=args.lime_samples, batch_size=100).explain(images),
                   device, 1) / args.images, args.lime_samples, forward),
        ]
        for what, seconds, passes, unit in rows:
            print(f"{model_name:8} {what:38} {seconds * 1e3:10.2f}  {seconds / (passes * unit):14.2f}")
    print("command: python bench/bench_device.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
