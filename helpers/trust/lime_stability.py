"""LIME stability: the same image explained under several sampling seeds.

LIME fits a linear surrogate on randomly switched-off superpixels, so its explanation depends on
the seed. We explain each image once per seed and compare, for the target class, the sets of
the ``top_k`` superpixels with the largest weights (positive evidence first) by Jaccard overlap
|A n B| / |A u B| over all pairs of seeds: 1 = the same superpixels every time. The surrogate's
score (weighted R^2 on its neighbourhood, :class:`helpers.explain.LimeResult`) is reported per
seed: a low score means the linear surrogate fits the model poorly there.

The segmentation is computed ONCE per image and reused for every seed, so superpixel ids mean
the same region under all seeds (SLIC is deterministic today, but the comparison must not
depend on that); only lime's sampling changes with the seed.

Cost: ``num_samples`` forward passes per image and seed. ``given``: results already computed for
the first seed (the report's section 3, same settings), used as they are: then each image costs
one explanation less, and the check compares exactly the masks that section showed.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch import Tensor, nn

from helpers.explain import LimeExplainer
from helpers.explain.base import TargetType, check_inputs, resolve_target

from .maps import preserved_flags


def jaccard(a: Sequence[int] | set[int], b: Sequence[int] | set[int]) -> float:
    """|A n B| / |A u B| in [0, 1]; two empty sets count as identical (1)."""
    sa, sb = set(int(v) for v in a), set(int(v) for v in b)
    union = sa | sb
    return 1.0 if not union else len(sa & sb) / len(union)


def top_superpixels(weights: np.ndarray, k: int) -> np.ndarray:
    """Ids of the ``k`` largest weights (ties: lower id first, so the choice is deterministic)."""
    return np.argsort(-np.asarray(weights), kind="stable")[:k]


@dataclass
class LimeStabilityResult:
    """seeds (S,); target (N,); top (N, S, k) superpixel ids (-1 pads an image with fewer than k
    superpixels); pairs: the seed index pairs; jaccard (N, P) per pair; score (N, S) surrogate
    score for the target class; n_segments (N,)."""

    seeds: list[int]
    target: np.ndarray
    top: np.ndarray
    pairs: list[tuple[int, int]]
    jaccard: np.ndarray
    score: np.ndarray
    n_segments: np.ndarray

    @property
    def mean_jaccard(self) -> np.ndarray:
        """(N,) mean pairwise Jaccard per image."""
        return self.jaccard.mean(axis=1)

    @property
    def mean_score(self) -> np.ndarray:
        """(N,) mean surrogate score per image over the seeds."""
        return self.score.mean(axis=1)


def lime_stability(model: nn.Module, images: Tensor, target: TargetType = None, *,
                   seeds: Sequence[int] = (0, 1, 2), top_k: int = 5, num_samples: int = 1000,
                   given: Sequence[Any] | None = None, **lime_kwargs: Any) -> LimeStabilityResult:
    """Explain each image of ``images`` (N, C, H, W) with LIME under every seed and compare.

    ``target``: class explained (None: the model's prediction on the image); ``lime_kwargs``
    go to :class:`helpers.explain.LimeExplainer` (n_segments, batch_size, hide_color...).
    ``given``: one :class:`~helpers.explain.LimeResult` per image made with the first seed and
    these settings (e.g. the report's section 3): used instead of explaining again; its
    segmentation must be the one this function makes, else a ValueError says so.
    """
    check_inputs(images)
    if given is not None and len(given) != images.shape[0]:
        raise ValueError(f"given must hold one LIME result per image ({images.shape[0]}), got {len(given)}")
    seeds = [int(s) for s in seeds]
    if len(seeds) < 2:  # repeated seeds are allowed: they must agree (a reproducibility check)
        raise ValueError(f"seeds must hold at least two seeds, got {seeds}")
    if top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")
    if "random_state" in lime_kwargs:
        raise ValueError("give the seeds with seeds=..., not random_state")
    explainers = [LimeExplainer(model, num_samples=num_samples, random_state=s, **lime_kwargs) for s in seeds]
    pairs = list(itertools.combinations(range(len(seeds)), 2))
    tops, jac, scores, targets, n_segments = [], [], [], [], []
    with preserved_flags(model):
        for i in range(images.shape[0]):
            image = images[i:i + 1]
            hwc = image[0].detach().cpu().double().permute(1, 2, 0).numpy()
            # The class's own method: each explainer's instance attribute is set to the previous image's
            # segments below, and reading it here gave image 0's superpixels to every later image.
            segments = LimeExplainer.segment(explainers[0], np.ascontiguousarray(hwc))
            results = []
            if given is not None:
                if not np.array_equal(np.asarray(given[i].segments), segments):
                    raise ValueError(f"given[{i}] was segmented differently (other n_segments or image?): "
                                     "pass results made with the same image and LIME settings")
                results.append(given[i])
            for explainer in explainers[len(results):]:
                explainer.segment = lambda _img, fixed=segments: fixed  # one segmentation for all seeds
                results.append(explainer.explain(image)[0])
            if target is None:
                t = results[0].predicted
            else:  # int or one class per image; range-checked against the model's classes
                t = int(resolve_target(target, images.shape[0], results[0].num_classes)[i])
            k = min(top_k, results[0].weights.shape[1])
            top = np.stack([top_superpixels(r.weights[t], k) for r in results])
            tops.append(top)
            jac.append([jaccard(top[a], top[b]) for a, b in pairs])
            scores.append([float(r.score[t]) for r in results])
            targets.append(t)
            n_segments.append(results[0].weights.shape[1])
    # k is clamped per image to its number of superpixels; pad with -1 so ``top`` stays rectangular.
    width = max(t.shape[1] for t in tops)
    top_arr = np.stack([np.pad(t, ((0, 0), (0, width - t.shape[1])), constant_values=-1) for t in tops])
    return LimeStabilityResult(seeds=seeds, target=np.array(targets), top=top_arr, pairs=pairs, jaccard=np.array(jac),
                               score=np.array(scores), n_segments=np.array(n_segments))
