"""Benchmark the trust metrics (helpers.trust) on this machine.

For the classic Food-11 CNN (128x128, random weights: cost does not depend on training) and the
default model (EfficientNet-Lite0 with the committed food head, 224x224) it prints:

* deletion + insertion: the shared end points (3 forward passes per image, once for all maps),
  then seconds per image per method at --steps (2 * (steps - 1) forward passes per image,
  batched), for saliency, Grad-CAM and the random baseline (the map's own cost is printed
  apart: it is the method's time, not the metric's);
* cascading randomisation: seconds per measured step (copy + re-init + one saliency map on the
  images), over --rand-steps steps, and the cascade's length;
* LIME stability: seconds per seed and image (--lime-samples forward passes each).

Each line gives wall seconds and CPU seconds of this process: on a shared machine the wall time
grows with the load while the CPU time stays close to the quiet machine's (a quiet 2-core run's
wall time is about CPU / 2 for these batched passes).

Run:  .venv/bin/python bench/bench_trust.py                 (about 1-2 minutes on 2 cores)
      .venv/bin/python bench/bench_trust.py --models classic --images 1 --steps 10
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # lime 0.2.0.1 always draws a bar
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from helpers.explain import GradCAM, Saliency  # noqa: E402
from helpers.trust import (DEFAULT_STEPS, cascade_layers, cascading_randomisation, curve_endpoints,  # noqa: E402
                           deletion_insertion, lime_stability, random_map, timed)


class Clock:
    """Wall and process CPU seconds since construction."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def per(self, n: int) -> str:
        return (f"{(time.perf_counter() - self.wall) / n:6.2f} s wall, "
                f"{(time.process_time() - self.cpu) / n:6.2f} s CPU")


def sample_images(n: int, side: int) -> torch.Tensor:
    """Real photos shipped with scikit-image (CC0), resized (squashed) to side x side."""
    from skimage import data, transform

    photos = [data.coffee(), data.chelsea(), data.astronaut(), data.rocket(), data.cat()]
    chosen = [photos[i % len(photos)] for i in range(n)]
    arrays = [transform.resize(p, (side, side), anti_aliasing=True).astype(np.float32) for p in chosen]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def build(name: str) -> tuple[nn.Module, int, str]:
    """(model in eval mode, input side, Grad-CAM layer)."""
    torch.manual_seed(0)
    if name == "classic":
        from helpers.models.classic import Food11CNN

        return Food11CNN().eval(), 128, "conv5"
    from helpers.models.default_model import load_default_model

    return load_default_model(), 224, "_conv_head"


def bench_model(name: str, args: argparse.Namespace) -> None:
    model, side, cam_layer = build(name)
    x = sample_images(args.images, side)
    n = x.shape[0]
    print(f"\n== {name} model, {side}x{side}, {n} image(s), batch_size {args.batch_size} ==")
    with torch.inference_mode():  # warm-up: first-call allocations would be charged to the first method
        model(x)
    Saliency(model).attribute(x[:1])
    methods = {"saliency": Saliency(model), "grad-cam": GradCAM(model, cam_layer),
               "random": lambda inputs, target: random_map(inputs)}
    clock = Clock()
    ends = curve_endpoints(model, x, substrate=args.substrate, batch_size=args.batch_size,
                           channels_last=args.channels_last)
    print(f"curve end points               {clock.per(n)} per image (3 passes, shared by every map)")
    for method_name, method in methods.items():
        fn = method.attribute if hasattr(method, "attribute") else method
        maps, map_seconds = timed(lambda inputs: fn(inputs, None), x)
        clock = Clock()
        res = deletion_insertion(model, x, maps, n_steps=args.steps, substrate=args.substrate,
                                 batch_size=args.batch_size, endpoints=ends, channels_last=args.channels_last)
        print(f"deletion+insertion  {method_name:10s} {clock.per(n)} per image (steps {args.steps}, "
              f"{2 * (args.steps - 1)} passes; map {map_seconds:.2f} s/image; areas del "
              f"{res.deletion_area.mean():.3f} ins {res.insertion_area.mean():.3f})")
    cascade = cascade_layers(model)
    clock = Clock()
    res = cascading_randomisation(model, x, lambda m: Saliency(m), max_steps=args.rand_steps)
    measured = len(res.layers) - 1
    print(f"randomisation       saliency   {clock.per(measured * n)} per step and image ({measured} steps of a "
          f"{len(cascade)}-layer cascade; final Spearman {res.spearman[-1].nanmean():.3f} with "
          f"{res.n_constant[-1]} constant map(s), SSIM {res.ssim[-1].mean():.3f})")
    clock = Clock()
    stab = lime_stability(model, x[:1], seeds=range(args.lime_seeds), top_k=5, num_samples=args.lime_samples,
                          n_segments=50, batch_size=args.batch_size)
    print(f"LIME stability      lime       {clock.per(args.lime_seeds)} per seed and image "
          f"({args.lime_samples} samples, "
          f"{args.lime_seeds} seeds; Jaccard top-5 {stab.mean_jaccard.mean():.2f}, score {stab.mean_score.mean():.2f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="classic,default", help="comma-separated: classic, default")
    parser.add_argument("--images", type=int, default=2)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="deletion/insertion steps")
    parser.add_argument("--substrate", default="zero", choices=("zero", "blur", "mean"))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--channels-last", action="store_true", help="curves in channels_last format")
    parser.add_argument("--rand-steps", type=int, default=3, help="measured randomisation steps")
    parser.add_argument("--lime-samples", type=int, default=100)
    parser.add_argument("--lime-seeds", type=int, default=2)
    args = parser.parse_args(argv)
    print("command:", " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()}")
    total = time.perf_counter()
    for name in args.models.split(","):
        bench_model(name.strip(), args)
    print(f"\ntotal {time.perf_counter() - total:.1f} s, load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
