"""How long the report will take: a short calibration times the model's passes on the picked device,
multiplied by the passes each section needs at the chosen parameters (cached sections are free).

Cached sections: a section counts as cached when a run through ``run_report`` completed it before
with the same model weights, data files, computing code of ``helpers`` and the parameters its
results depend on (:data:`SECTION_GROUPS`); the runner records completed sections in
``<cache_dir>/report_sections.json``, which goes when the cache folder is cleared. A section run
elsewhere (Jupyter) counts as computed: the estimate errs long rather than short.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from helpers.explain.base import frozen_eval, temporary_channels_last
from helpers.models.fast_copy import make_fast_copy
from helpers.report.cache import PROJECT_ROOT, model_fingerprint
from helpers.runner.progress import ESTIMATE_KEY, done_signatures
from helpers.trust.timing import time_per_image

# Parameters that results depend on, by group; SECTION_GROUPS says which groups each section reads.
GROUPS = {"data": ("data_dir", "model_arch", "model_kwargs", "normalize", "resize", "checkpoint", "channel_order",
                   "input_size", "split", "batch_size"),
          "images": ("image_ids", "n_images", "n_measure", "seed"), "1": ("saliency_variant",),
          "2": ("layer", "filter_index", "n_grid_filters", "ascent_steps", "ascent_grid_steps", "ascent_size", "seed"),
          "3": ("lime_samples", "lime_segments"), "4": ("smoothgrad_sigma", "smoothgrad_samples"),
          "5": ("trust_steps", "trust_substrate", "trust_random_steps")}
SECTION_GROUPS = {"0": ("data",), "1": ("data", "images", "1"), "2": ("data", "2"), "3": ("data", "images", "3"),
                  "4": ("data", "images", "4"), "5": ("data", "images", "3", "4", "5")}
# Seconds per section that are not model passes, measured on a quiet 2-core CPU: CACHED_OVERHEAD
# (drawing the figures, the measures on cached maps) is paid by every run; OVERHEAD, paid by a
# computed section, adds the work beside the passes (LIME's segmentation and fits, ascent set-up).
CACHED_OVERHEAD = {"0": 2.0, "1": 2.0, "2": 2.0, "3": 2.0, "4": 4.0, "5": 2.0}
OVERHEAD = {"0": 3.0, "1": 2.0, "2": 8.0, "3": 10.0, "4": 5.0, "5": 6.0}
# Seconds of a run outside every cell: the kernel's start-up and papermill reading and writing the
# notebook (3.7 s measured with the runner's papermill engine on the 2-core CPU; 5.1-7.2 s with
# papermill's own). The set-up's own time is measured in the run.
START_AND_END = 4.0
RESULT_CODE = ("setup.py", "cache.py", "cached.py")  # of helpers/report: the rest narrates
NO_RESULT_CODE = ("plotting", "runner", "pdf", "training")  # packages of helpers the report's results never run
# What each section's passes are timed by (PassCosts fields): a cached section needs none of them.
NEEDS = {"0": ("forward", "decode"), "1": ("backward",), "2": ("forward", "ascent"), "3": ("lime",),
         "4": ("backward", "noisy"), "5": ("backward", "curve", "lime")}
LANGUAGES = ("en", "zh-TW")


@dataclass(frozen=True)
class PassCosts:
    """Seconds per image: ``forward`` at ``batch_size`` in channels_last (as section 0's predictions
    run), ``backward`` a forward+backward with respect to the input at ``batch_size``, ``decode``
    reading one image of the split, ``lime`` one perturbed sample through LIME's classifier function
    (on its faster copy, channels_last input), ``curve`` a forward at ``batch_size`` of section 5's
    deletion/insertion curves (on the faster copy, channels_last, inference mode);
    ``ascent_one`` / ``ascent_grid``: a gradient-ascent step of both methods for one filter / for
    the filter grid; ``noisy_forward`` / ``noisy_backward``: a forward / a forward+backward at
    ``batch_size`` on the faster copy SmoothGrad runs its noisy passes on (channels_last input)."""

    forward: float
    backward: float
    decode: float
    ascent_one: float
    ascent_grid: float
    lime: float = 0.0
    curve: float = 0.0
    noisy_forward: float = 0.0
    noisy_backward: float = 0.0


def calibrate(model: torch.nn.Module, images: torch.Tensor, batch_size: int, ascent: Callable[[str, int, int], Any],
              grid: int, decode: float = 0.0, repeats: int = 1, ascent_steps: int = 4,
              lime_predict: Callable[[np.ndarray], Any] | None = None,
              needs: Collection[str] = ("forward", "backward", "decode", "curve", "lime", "ascent", "noisy"),
              ) -> PassCosts:
    """Time the passes as the explainers run them (eval mode, frozen weights) on ``images`` (a few
    real ones, repeated to the report's batch sizes). ``ascent(method, filters, steps)`` runs
    section 2's gradient ascent: timed with ``ascent_steps`` steps (its start and end count as one).
    ``lime_predict``: LIME's classifier function (:meth:`LimeExplainer.predict_fn`); without it a
    LIME sample costs a forward. Only the costs in ``needs`` are timed (the others are 0): a
    section served from the cache needs none. Each kind of pass runs once untimed on two images
    first: a first call's set-up is no cost of the report."""
    device = next(model.parameters()).device
    one = torch.empty(1, device=device)  # times a call that takes no images (on the model's device)

    def batch(n: int) -> torch.Tensor:
        return images.repeat(-(-n // len(images)), 1, 1, 1)[:n].to(device)

    def per_image(fn: Callable[[Any], Any], x: Any) -> float:
        fn(x[:2])
        return time_per_image(fn, x, repeats)

    def gradient(x: torch.Tensor, net: torch.nn.Module = model) -> None:
        x = x.clone().requires_grad_(True)
        torch.autograd.grad(net(x).max(1).values.sum(), x)

    def step(filters: int) -> float:  # one step of each method
        ascent("plain", filters, 1)
        return sum(time_per_image(lambda _: ascent(method, filters, ascent_steps), one, repeats)
                   for method in ("plain", "fourier")) / (ascent_steps + 1)

    x_lime, x_batch = batch(max(batch_size, 32)), batch(batch_size)
    forward = backward = curve = lime = ascent_one = ascent_grid = noisy_forward = noisy_backward = 0.0
    with frozen_eval(model):
        if "forward" in needs or ("lime" in needs and lime_predict is None):
            with torch.no_grad(), temporary_channels_last(model, True):  # as section 0's predictions run
                forward = per_image(model, x_batch.contiguous(memory_format=torch.channels_last))
        if "backward" in needs:
            backward = per_image(gradient, x_batch)
        if "curve" in needs:  # section 5's curves run on the faster copy (the model where none can be made)
            curve_net = make_fast_copy(model, x_batch[:2]) or model
            with torch.inference_mode(), temporary_channels_last(curve_net, True):
                curve = per_image(curve_net, x_batch.contiguous(memory_format=torch.channels_last))
        if "lime" in needs:
            lime = forward if lime_predict is None else \
                per_image(lime_predict, x_lime.permute(0, 2, 3, 1).cpu().double().numpy())
        if "noisy" in needs:  # SmoothGrad's passes, on the copy it makes (or the model where it makes none)
            copy = make_fast_copy(model, x_batch[:2])
            net = model if copy is None else copy
            x_noisy = x_batch.contiguous(memory_format=torch.channels_last)
            noisy_backward = per_image(lambda x: gradient(x, net), x_noisy)
            with torch.no_grad():
                noisy_forward = per_image(net, x_noisy)
    if "ascent" in needs:
        ascent_one, ascent_grid = step(1), step(grid)
    return PassCosts(forward, backward, decode if "decode" in needs else 0.0, ascent_one, ascent_grid, lime, curve,
                     noisy_forward, noisy_backward)


def section_seconds(costs: PassCosts, p: Mapping[str, Any], n_images: int, n_split: int,
                    cached: Collection[str] = (), use_cache: bool = True, n_measured: int | None = None
                    ) -> dict[str, float]:
    """Seconds per section ("0" to "5") of report.ipynb at parameters ``p``, for ``n_images``
    shown images, ``n_measured`` measured ones (the numbers of sections 1, 4 and 5; None = the
    shown ones) and a split of ``n_split``; a section in ``cached`` costs its :data:`CACHED_OVERHEAD`.
    Passes per image: 0: a forward; 1: a gradient (measured images); 2: ascent steps (both
    methods) for the chosen filter and for the grid, a forward (shown images); 3: lime_samples
    LIME samples (shown images); 4, on the measured images: three gradients (vanilla, guided
    backprop; the vanilla one is section 1's with saliency_variant "max_abs" and a cache) and
    Guided Grad-CAM (two), then smoothgrad_samples passes on the faster copy that serve both
    SmoothGrads (a forward and two backwards = 2 gradients - 1 forward); 5, on the measured
    images: Grad-CAM, 3 curve end points and 2 x (trust_steps - 1) curve forwards for each of 8
    maps, trust_random_steps x 4 maps on the randomised model; on the shown images LIME's curves
    (its own end points, LIME and the two baselines: 3 maps) and its stability (lime_samples more LIME samples: the first explanation is section 3's);
    without a cache section 5 also recomputes 3 and 4."""
    f, g, n = costs.forward, costs.backward, n_images
    m = n if n_measured is None else max(n_measured, n)
    noisy = 2 * costs.noisy_backward - costs.noisy_forward
    lime, smooth = n * p["lime_samples"] * costs.lime, m * (4 * g + p["smoothgrad_samples"] * noisy)
    reused = m * g if use_cache and p["saliency_variant"] == "max_abs" else 0.0  # section 1's map is the vanilla one
    steps = p["trust_steps"] - 1
    seconds = {"0": n_split * (f + costs.decode), "1": m * g,
               "2": p["ascent_steps"] * costs.ascent_one + p["ascent_grid_steps"] * costs.ascent_grid + n * f,
               "3": lime, "4": smooth - reused,
               "5": m * (g + (3 + 16 * steps) * costs.curve + 4 * p["trust_random_steps"] * g)
                    + n * ((3 + 6 * steps) * costs.curve + p["lime_samples"] * costs.lime)
                    + (0 if use_cache else lime + smooth)}
    return {k: CACHED_OVERHEAD[k] if k in cached else OVERHEAD[k] + s for k, s in seconds.items()}


def section_signatures(p: Mapping[str, Any], model: torch.nn.Module, files: Collection[Path],
                       root: Path = PROJECT_ROOT) -> dict[str, str]:
    """Per section, a hash of what its cached results depend on (see the module docstring)."""
    digest = hashlib.sha256(model_fingerprint(model).encode())
    for path in sorted(Path(f) for f in files):
        stat = path.stat()
        digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    for source in sorted((root / "helpers").rglob("*.py")):  # the code that computes results (edits err long)
        package = source.relative_to(root / "helpers").parts[0]
        if package not in NO_RESULT_CODE and (package != "report" or source.name in RESULT_CODE):
            digest.update(source.read_bytes())
    common = digest.hexdigest()
    return {k: hashlib.sha256(json.dumps([common] + [[name, repr(p.get(name))] for g in groups for name in GROUPS[g]])
                              .encode()).hexdigest()[:32] for k, groups in SECTION_GROUPS.items()}


def duration(seconds: float, language: str = "en") -> str:
    """ "about 40 s" / "about 7 min" (zh-TW: "約 40 秒" / "約 7 分鐘")."""
    value, unit = (round(seconds), 0) if seconds < 90 else (round(seconds / 60), 1)
    return {"en": ("about {} s", "about {} min"), "zh-TW": ("約 {} 秒", "約 {} 分鐘")}[language][unit].format(value)


@dataclass
class Estimate:
    """Seconds per section, the sections served from the cache, and what the runner needs to record
    completed sections (``signatures``, ``cache_dir``; None when the cache is off); ``outside``:
    seconds of the run outside the sections (the set-up as it took in this run, START_AND_END)."""

    seconds: dict[str, float]
    cached: list[str]
    device: str
    costs: PassCosts
    signatures: dict[str, str]
    cache_dir: str | None
    outside: float = 0.0

    @property
    def total(self) -> float:
        """The whole run: every section and what runs outside them (a warm run is mostly the latter)."""
        return sum(self.seconds.values()) + self.outside

    def text(self, language: str = "en") -> str:
        """One sentence: "about 7 min on this CPU; cached results reused: Q1, Q3" (zh-TW: "第 1、3 節")."""
        kind = {"cuda": "GPU"}.get(self.device, self.device.upper())
        sections = [k for k in self.cached if k != "0"]
        if language == "zh-TW":
            names = ["預測結果"] * ("0" in self.cached) + ([f"第 {'、'.join(sections)} 節"] if sections else [])
            reused = "全部沿用快取結果" if len(self.cached) == len(self.seconds) else \
                f"沿用快取結果：{'、'.join(names)}" if names else "沒有可沿用的快取結果"
            return f"在這台電腦的 {kind} 上{duration(self.total, language)}；{reused}"
        names = ["predictions"] * ("0" in self.cached) + [f"Q{k}" for k in sections]
        reused = "all results cached" if len(self.cached) == len(self.seconds) else \
            f"cached results reused: {', '.join(names)}" if names else "no cached results"
        return f"{duration(self.total)} on this {kind}; {reused}"

    def show(self, language: str = "en") -> None:
        """Display the sentence; the runner reads the numbers from the output's metadata."""
        from IPython.display import Markdown, display

        label, end = {"en": ("**Estimated run time:** ", "."), "zh-TW": ("**預估執行時間**：", "。")}[language]
        data = {**asdict(self), "total": self.total, "text": {k: self.text(k) for k in LANGUAGES}}
        display(Markdown(label + self.text(language) + end), metadata={ESTIMATE_KEY: data})


def estimate_report(run: Any, repeats: int = 1) -> Estimate:
    """The estimate for an opened report (:func:`helpers.report.setup.open_report`); takes a few
    seconds: the calibration runs the model at the report's batch sizes."""
    from helpers.explain import ActivationMaximization, LimeExplainer
    from helpers.report.setup import explained_count

    p, split = vars(run.params), run.split
    start = time.perf_counter()
    set_up = start - run.opened_at if hasattr(run, "opened_at") else 0.0
    images = split.load_many(range(min(8, len(split))))[0]
    decode = (time.perf_counter() - start) / max(len(images), 1)
    if not len(images):
        images = torch.rand(1, 3, run.loaded.input_size, run.loaded.input_size)

    def ascent(method: str, filters: int, steps: int) -> None:  # as section 2 runs it
        ActivationMaximization(run.model, run.layer, method=method, steps=steps, image_size=run.ascent_size,
                               channels_last=p["model_arch"] == "classic").run(list(range(filters)))

    signatures = section_signatures(p, run.model, [r.path for r in split.records])
    done = set(done_signatures(run.cache.root)) if run.cache.enabled else set()
    cached = [k for k, s in signatures.items() if s in done]
    grid = min(p["n_grid_filters"], run.layer_filters)
    needs = {need for k in signatures if k not in cached for need in NEEDS[k]}
    lime_predict = None
    if "lime" in needs:
        with frozen_eval(run.model):  # LIME's classifier function as section 3 runs it
            lime_predict = LimeExplainer(run.model, batch_size=p["batch_size"]).predict_fn(
                images[:1].to(run.loaded.device))
    costs = calibrate(run.model, images, p["batch_size"], ascent, grid, decode, repeats, lime_predict=lime_predict,
                      needs=needs)
    n_images = len(p["image_ids"]) or explained_count(p["n_images"], (r.label for r in split.records))
    n_measured = min(max(p["n_measure"], n_images), len(split))
    seconds = section_seconds(costs, p, n_images, len(split), cached, run.cache.enabled, n_measured)
    cache_dir = str(Path(run.cache.root).resolve()) if run.cache.enabled else None
    return Estimate(seconds, cached, run.loaded.device.type, costs, signatures, cache_dir, set_up + START_AND_END)
