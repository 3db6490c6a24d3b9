"""The report's expensive computations, each cached (see :mod:`helpers.report.cache`).

Pure functions: tensors and parameters in, nested dicts of tensors out (what the cache stores).
No prose and no drawing here; :mod:`helpers.report.sections` narrates and plots the results.
Editing this file changes the cache keys (its source is part of them).
"""
from __future__ import annotations

import warnings

import numpy as np
import torch
from torch import Tensor, nn

from helpers.data.food11 import Food11Split
from helpers.evaluation.predictions import predict_split
from helpers.explain import (ActivationMaximization, GuidedBackprop, LimeExplainer, LimeResult, Saliency,
                             SmoothGrad)
from helpers.device import model_device, progress_enabled
from helpers.explain.filters import _layer_output
from helpers.models.layers import resolve_layer
from helpers.report.cache import ResultCache, files_fingerprint, tensor_fingerprint


def split_fingerprint(split: Food11Split) -> dict:
    return {"files": files_fingerprint(r.path for r in split.records), "size": split.image_size,
            "resize": split.resize_mode, "channels": split.channel_order}


def predictions(cache: ResultCache, model: nn.Module, model_fp: str, split: Food11Split, batch_size: int,
                progress: bool | None) -> dict:
    """Predictions over the whole split: indices, labels, predicted, probabilities, skipped files."""
    def compute() -> dict:
        with warnings.catch_warnings():  # the set-up section lists unreadable files itself
            warnings.filterwarnings("ignore", message="Skipping unreadable image")
            result = predict_split(model, split, batch_size=max(batch_size, 32),
                                   progress=progress_enabled(progress))
        return {"indices": torch.tensor(result.indices), "labels": result.labels, "predicted": result.predicted,
                "probabilities": result.probabilities,
                "skipped": {str(k): v for k, v in result.skipped.items()}}

    value = cache.get_or_compute("predictions", {"model": model_fp, "split": split_fingerprint(split)}, compute)
    for path, reason in value["skipped"].items():  # a cache hit must still report unreadable files
        split.skipped.setdefault(type(split.root)(path), reason)
    return value


def layer_channel_means(cache: ResultCache, model: nn.Module, model_fp: str, split: Food11Split, indices: list[int],
                        layer: str, batch_size: int) -> Tensor:
    """(N, C) spatial mean of every channel of ``layer`` for the split's images ``indices``."""
    qualified, module = resolve_layer(model, layer)

    def compute() -> Tensor:
        out = []
        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode():
                for images, _, _ in split.batches(max(batch_size, 32), indices):
                    device = model_device(model)
                    act = _layer_output(model, module, images.to(device), stop_early=True)
                    out.append(act.float().mean(dim=(2, 3)).cpu())
        finally:
            model.train(was_training)
        return torch.cat(out)

    parts = {"model": model_fp, "split": split_fingerprint(split), "indices": list(indices), "layer": qualified}
    return cache.get_or_compute("layer_means", parts, compute)


def selective_filters(channel_means: Tensor, labels: Tensor, num_classes: int) -> list[int]:
    """Channels ordered from most to least class-selective: spread (max - min) of the per-class
    mean activations divided by the channel's standard deviation over images."""
    rows = [channel_means[labels == c].mean(0) for c in range(num_classes) if (labels == c).any()]
    class_means = torch.stack(rows)
    spread = (class_means.max(0).values - class_means.min(0).values) / (channel_means.std(0) + 1e-6)
    return [int(i) for i in torch.argsort(spread, descending=True, stable=True)]


def saliency_maps(cache: ResultCache, model: nn.Module, model_fp: str, images: Tensor, targets: Tensor,
                  variant: str, batch_size: int) -> Tensor:
    """(N,1,H,W) saliency: "max_abs" = max_c |d score_target / dx| (targets = predicted classes);
    "course" = max_c |d CE(logits, target) / dx| with the true labels as targets."""
    objective = "cross_entropy" if variant == "course" else "score"

    def compute() -> Tensor:
        explainer = Saliency(model, reduction="max_abs", objective=objective)
        return torch.cat([explainer.attribute(images[i:i + batch_size], targets[i:i + batch_size]).cpu()
                          for i in range(0, images.shape[0], batch_size)])

    parts = {"model": model_fp, "images": tensor_fingerprint(images), "targets": targets, "variant": variant}
    return cache.get_or_compute("saliency", parts, compute)


def guided_maps(cache: ResultCache, model: nn.Module, model_fp: str, images: Tensor, targets: Tensor,
                batch_size: int) -> Tensor:
    """(N,1,H,W) guided backprop, max over channels of |.|."""
    def compute() -> Tensor:
        explainer = GuidedBackprop(model, reduction="max_abs")
        return torch.cat([explainer.attribute(images[i:i + batch_size], targets[i:i + batch_size]).cpu()
                          for i in range(0, images.shape[0], batch_size)])

    parts = {"model": model_fp, "images": tensor_fingerprint(images), "targets": targets}
    return cache.get_or_compute("guided_backprop", parts, compute)


def smoothgrad_maps(cache: ResultCache, model: nn.Module, model_fp: str, images: Tensor, targets: Tensor,
                    base: str, sigma: float, samples: int, seed: int, batch_size: int,
                    progress: bool | None) -> Tensor:
    """(N,1,H,W) SmoothGrad over ``base`` = "saliency" (max_c |grad|) or "guided" (guided backprop,
    max_c |.|): the mean over ``samples`` noisy copies, noise std = sigma x the image's range."""
    def compute() -> Tensor:
        inner = Saliency(model, reduction="max_abs") if base == "saliency" else GuidedBackprop(model, reduction="max_abs")
        maps = []
        for i in range(images.shape[0]):  # one image at a time: an image's map ignores the others
            smooth = SmoothGrad(inner, sigma=sigma, n_samples=samples, batch_size=batch_size, seed=seed,
                                progress=progress)
            maps.append(smooth.attribute(images[i:i + 1], targets[i:i + 1]).cpu())
        return torch.cat(maps)

    parts = {"model": model_fp, "images": tensor_fingerprint(images), "targets": targets, "base": base,
             "sigma": float(sigma), "samples": int(samples), "seed": int(seed)}
    return cache.get_or_compute(f"smoothgrad_{base}", parts, compute)


def lime_results(cache: ResultCache, model: nn.Module, model_fp: str, images: Tensor, samples: int,
                 segments: int, seed: int, batch_size: int) -> list[dict]:
    """One dict per image: segments, weights (K, F), probabilities, score, intercept, local_pred."""
    def compute() -> list[dict]:
        explainer = LimeExplainer(model, num_samples=samples, n_segments=segments, random_state=seed,
                                  batch_size=max(batch_size, 32))
        out = []
        for result in explainer.explain(images):
            out.append({"segments": torch.from_numpy(np.asarray(result.segments, dtype=np.int64)),
                        "weights": torch.from_numpy(result.weights.astype(np.float64)),
                        "probabilities": torch.from_numpy(np.asarray(result.probabilities, dtype=np.float64)),
                        "score": torch.from_numpy(result.score.astype(np.float64)),
                        "intercept": torch.from_numpy(result.intercept.astype(np.float64)),
                        "local_pred": torch.from_numpy(result.local_pred.astype(np.float64)),
                        "predicted": int(result.predicted)})
        return out

    parts = {"model": model_fp, "images": tensor_fingerprint(images), "samples": int(samples),
             "segments": int(segments), "seed": int(seed)}
    return cache.get_or_compute("lime", parts, compute)


def to_lime_result(stored: dict, image: Tensor) -> LimeResult:
    """A :class:`LimeResult` (without lime's explanation object) from a cached dict."""
    return LimeResult(image=image.permute(1, 2, 0).double().numpy(), segments=stored["segments"].numpy(),
                      probabilities=stored["probabilities"].numpy(), predicted=int(stored["predicted"]),
                      weights=stored["weights"].numpy(), intercept=stored["intercept"].numpy(),
                      score=stored["score"].numpy(), local_pred=stored["local_pred"].numpy())


def ascent_images(cache: ResultCache, model: nn.Module, model_fp: str, layer: str, filters: list[int],
                  steps: int, size: int, regularize: bool, seed: int) -> dict:
    """Activation maximisation of ``filters``: images (K,3,S,S), initial and final mean activation."""
    qualified, _ = resolve_layer(model, layer)

    def compute() -> dict:
        result = ActivationMaximization(model, layer, steps=steps, regularize=regularize, image_size=size,
                                        seed=seed).run(list(filters))
        return {"images": result.images, "initial": result.initial_activation, "final": result.final_activation}

    parts = {"model": model_fp, "layer": qualified, "filters": list(filters), "steps": int(steps),
             "size": int(size), "regularize": bool(regularize), "seed": int(seed)}
    return cache.get_or_compute("ascent_regularized" if regularize else "ascent_plain", parts, compute)


def trust_evaluation(cache: ResultCache, model: nn.Module, model_fp: str, images: Tensor, targets: Tensor,
                     gradcam_layer: str, params: dict) -> dict:
    """Section 5: deletion / insertion areas, similarity after cascading randomisation and time
    per image for seven methods and two baselines (helpers.trust.evaluate_methods), plus LIME
    stability over seeds. ``params``: steps, substrate, random_steps, smoothgrad_samples,
    smoothgrad_sigma, lime_samples, lime_segments, ig_steps, seed, batch_size."""
    from helpers.explain import GradCAM, IntegratedGradients
    from helpers.trust import evaluate_methods, lime_stability

    p = dict(params)
    device = model_device(model)

    def compute() -> dict:
        seed, batch = int(p["seed"]), int(p["batch_size"])
        x, target = images.to(device), targets.to(device)  # helpers.trust runs on the inputs' device
        methods = {
            "saliency": Saliency(model, reduction="max_abs"),
            "smoothgrad": SmoothGrad(Saliency(model, reduction="max_abs"), sigma=p["smoothgrad_sigma"],
                                     n_samples=p["smoothgrad_samples"], batch_size=batch, seed=seed),
            "guided": GuidedBackprop(model, reduction="max_abs"),
            "smooth_guided": SmoothGrad(GuidedBackprop(model, reduction="max_abs"), sigma=p["smoothgrad_sigma"],
                                        n_samples=p["smoothgrad_samples"], batch_size=batch, seed=seed),
            "lime": LimeExplainer(model, num_samples=p["lime_samples"], n_segments=p["lime_segments"],
                                  random_state=seed, batch_size=max(batch, 32)),
            "gradcam": GradCAM(model, gradcam_layer),
            "ig": IntegratedGradients(model, n_steps=p["ig_steps"]),
        }
        evaluation = evaluate_methods(model, x, target, methods, n_steps=p["steps"], substrate=p["substrate"],
                                      batch_size=max(batch, 32), seed=seed,
                                      randomisation_max_steps=p["random_steps"])
        stability = lime_stability(model, x, target, seeds=(seed, seed + 1), num_samples=p["lime_samples"],
                                   n_segments=p["lime_segments"], batch_size=max(batch, 32))
        rows = []
        for row in evaluation.rows:
            record = row.as_dict()
            rows.append({k: (torch.tensor(float(v)) if isinstance(v, float) else v) for k, v in record.items()})
        curves = {name: {"n_randomised": torch.tensor(result.n_randomised), "spearman": result.spearman.double().cpu(),
                         "ssim": result.ssim.double().cpu(), "layers": list(result.layers)}
                  for name, result in evaluation.randomisation.items()}
        return {"rows": rows, "curves": curves, "lime_jaccard": torch.from_numpy(stability.mean_jaccard.astype(float)),
                "lime_score": torch.from_numpy(stability.mean_score.astype(float))}

    parts = {"model": model_fp, "images": tensor_fingerprint(images), "targets": targets, "layer": gradcam_layer,
             "params": p}
    return cache.get_or_compute("trust", parts, compute)
