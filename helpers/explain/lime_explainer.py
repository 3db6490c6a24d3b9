"""LIME for images (Ribeiro et al., 2016) through the ``lime`` package, fixed for its traps.

What this adds to ``lime_image.LimeImageExplainer`` defaults, and why:
* SLIC superpixels with ``start_label=0``: lime switches off ids 0..F-1, so with skimage's
  default start_label=1 the last superpixel would never be perturbed.
* Every class is explained (no ``KeyError: 'Label not in explanation'``), and the surrogate's
  R^2 score / local prediction is kept per class (lime keeps only the last class's).
* Softmax probabilities from a batched float32 predict function under ``torch.inference_mode``.
* Perturbed images are built vectorised in float32 (lime deep-copies a float64 image and loops
  over superpixels per sample) and without lime's always-on tqdm bar; the random draws are
  lime's own (same ``random_state`` calls), so results equal lime's for the same seed.
* ``random_state`` seeds the sampling (lime's ``random_seed`` only seeds segmentation).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import sklearn.metrics
import torch
from lime import lime_image
from skimage.segmentation import slic
from torch import Tensor, nn

from helpers.device import model_device
from helpers.models.fast_copy import make_fast_copy

from .base import TargetType, check_inputs, frozen_eval, resolve_target, temporary_channels_last


def make_predict_fn(model: nn.Module, batch_size: int = 8) -> Callable[[np.ndarray], np.ndarray]:
    """A lime ``classifier_fn``: (B, H, W, C) float array in [0, 1] -> (B, K) softmax probabilities.

    The HWC batch is turned into float32 NCHW once per chunk of ``batch_size`` images (a
    permuted view: no copy, channels_last strides) and run under ``torch.inference_mode``.
    The caller is responsible for eval mode (``LimeExplainer`` handles it).
    """
    device = model_device(model)

    def predict(images: np.ndarray) -> np.ndarray:
        out = []
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                chunk = torch.from_numpy(np.ascontiguousarray(images[start:start + batch_size], dtype=np.float32))
                logits = model(chunk.permute(0, 3, 1, 2).to(device))
                out.append(torch.softmax(logits.float(), dim=1).cpu().numpy())
        return np.concatenate(out).astype(np.float64)

    return predict


class _VectorisedLimeImageExplainer(lime_image.LimeImageExplainer):
    """lime's explainer with a faster, silent ``data_labels`` (same random draws as lime's)."""

    def data_labels(self, image, fudged_image, segments, classifier_fn, num_samples, batch_size=10):
        n_features = np.unique(segments).shape[0]
        data = self.random_state.randint(0, 2, num_samples * n_features).reshape((num_samples, n_features))
        data[0, :] = 1
        image32 = image.astype(np.float32)[None]
        fudged32 = fudged_image.astype(np.float32)[None]
        labels = []
        for start in range(0, num_samples, batch_size):
            keep = data[start:start + batch_size][:, segments].astype(bool)[..., None]  # (B, H, W, 1)
            labels.append(classifier_fn(np.where(keep, image32, fudged32)))
        return data, np.concatenate(labels)


@dataclass
class LimeResult:
    """LIME explanation of one image for every class.

    image (H,W,C) float in [0,1]; segments (H,W) int superpixel ids 0..F-1; probabilities (K,);
    predicted class; weights (K, F) superpixel weights of the per-class surrogate; intercept,
    score (surrogate R^2 on the weighted neighbourhood) and local_pred, each (K,);
    explanation: lime's ImageExplanation (``get_image_and_mask`` works for every class).
    """

    image: np.ndarray
    segments: np.ndarray
    probabilities: np.ndarray
    predicted: int
    weights: np.ndarray
    intercept: np.ndarray
    score: np.ndarray
    local_pred: np.ndarray
    explanation: Any = field(repr=False, default=None)

    @property
    def num_classes(self) -> int:
        return self.weights.shape[0]

    def _check_label(self, label: int) -> int:
        if isinstance(label, bool) or not 0 <= int(label) < self.num_classes:
            raise ValueError(f"label {label!r} out of range: the model has {self.num_classes} classes")
        return int(label)

    def weight_map(self, label: int) -> np.ndarray:
        """(H, W) float: each pixel carries the weight of its superpixel for ``label``."""
        return self.weights[self._check_label(label)][self.segments]

    def mask(self, label: int, positive: bool = True, top_k: int | None = 5,
             threshold: float = 0.0) -> np.ndarray:
        """(H, W) bool mask of the ``top_k`` superpixels (None: all) whose weight for ``label`` is
        above ``threshold`` (positive=True) or below ``-threshold`` (positive=False)."""
        w = self.weights[self._check_label(label)]
        signed = w if positive else -w
        chosen = np.flatnonzero(signed > threshold)
        chosen = chosen[np.argsort(-signed[chosen], kind="stable")]
        if top_k is not None:
            chosen = chosen[:top_k]
        return np.isin(self.segments, chosen)


class LimeExplainer:
    """LIME on SLIC superpixels for a batch of images (N, C, H, W) in [0, 1].

    Args:
        model: the classifier; num_samples: perturbed images per explanation (lime's default
        1000); n_segments, compactness, slic_sigma: SLIC settings; hide_color: None (lime's
        default: a switched-off superpixel takes its mean colour) or a float; batch_size:
        images per forward pass (default 8: on the CPUs measured, batches of 2-8 cost the same per
        image and 12 or more cost 10-20 % more; on a GPU a larger batch, e.g. 64, is faster);
        random_state: seeds lime's sampling and the segmentation, identical for every image so
        an image's explanation does not depend on the rest of the batch; kernel_width: lime's;
        channels_last: run with the conv weights temporarily in channels_last format (faster on
        some CPUs; the perturbed batches already are NHWC views), restored afterwards;
        fast_copy: predict with a faster copy of the model (BatchNorm folded into the convolutions,
        rectifiers in place, channels_last weights; :mod:`helpers.models.fast_copy`), made per
        call; probabilities equal the model's up to float32 rounding. Where no such copy may be
        made (training mode, hooks, an untraceable forward) the model itself predicts.
    """

    def __init__(self, model: nn.Module, num_samples: int = 1000, n_segments: int = 100,
                 compactness: float = 10.0, slic_sigma: float = 1.0, hide_color: float | None = None,
                 batch_size: int = 8, random_state: int = 0, kernel_width: float = 0.25,
                 eval_mode: bool = True, channels_last: bool = False, fast_copy: bool = True) -> None:
        if num_samples < 2:
            raise ValueError(f"num_samples must be >= 2, got {num_samples}")
        self.model = model
        self.num_samples = int(num_samples)
        self.segmentation_fn = partial(slic, n_segments=n_segments, compactness=compactness, sigma=slic_sigma,
                                       start_label=0, channel_axis=-1)
        self.hide_color = hide_color
        self.batch_size = int(batch_size)
        self.random_state = int(random_state)
        self.kernel_width = kernel_width
        self.eval_mode = eval_mode
        self.channels_last = channels_last
        self.fast_copy = fast_copy

    def _inference_model(self, probe: Tensor) -> nn.Module:
        """The faster copy (``fast_copy``) checked on ``probe``, or the model itself. Call it with
        the model in eval mode."""
        copy = make_fast_copy(self.model, probe) if self.fast_copy else None
        return self.model if copy is None else copy

    def predict_fn(self, probe: Tensor) -> Callable[[np.ndarray], np.ndarray]:
        """The classifier function :meth:`explain` gives lime (on the faster copy when asked;
        ``probe``: one input, to check the copy). Call it with the model in eval mode."""
        return make_predict_fn(self._inference_model(probe), self.batch_size)

    def segment(self, image_hwc: np.ndarray) -> np.ndarray:
        """SLIC superpixels, relabelled to consecutive ids 0..F-1 (what lime assumes)."""
        segments = self.segmentation_fn(image_hwc)
        return np.unique(segments, return_inverse=True)[1].reshape(segments.shape)

    def _explain_one(self, image: np.ndarray, predict: Callable[[np.ndarray], np.ndarray]) -> LimeResult:
        explainer = _VectorisedLimeImageExplainer(kernel_width=self.kernel_width, random_state=self.random_state)
        # lime's explain_instance draws a segmentation seed first; consume it too so that the
        # perturbation samples (and so the weights) equal lime's for the same random_state.
        explainer.random_state.randint(0, high=1000)
        segments = self.segment(image)
        if self.hide_color is None:
            # lime's default: each switched-off superpixel takes its own mean colour (vectorised).
            counts = np.bincount(segments.ravel())
            means = np.stack([np.bincount(segments.ravel(), weights=image[..., c].ravel()) / counts
                              for c in range(image.shape[2])], axis=1)
            fudged = means[segments]
        else:
            fudged = np.full_like(image, self.hide_color)
        data, labels = explainer.data_labels(image, fudged, segments, predict, self.num_samples,
                                             batch_size=self.batch_size)
        distances = sklearn.metrics.pairwise_distances(data, data[0].reshape(1, -1), metric="cosine").ravel()
        num_classes, n_features = labels.shape[1], data.shape[1]
        explanation = lime_image.ImageExplanation(image, segments)
        weights = np.zeros((num_classes, n_features))
        intercept, score, local_pred = (np.zeros(num_classes) for _ in range(3))
        for label in range(num_classes):
            b, exp, s, lp = explainer.base.explain_instance_with_data(
                data, labels, distances, label, num_features=n_features, feature_selection="auto")
            explanation.intercept[label], explanation.local_exp[label] = b, exp
            for feature, weight in exp:
                weights[label, feature] = weight
            intercept[label], score[label] = b, s
            local_pred[label] = np.asarray(lp).reshape(-1)[0]
        explanation.top_labels = list(np.argsort(labels[0])[::-1])
        explanation.score, explanation.local_pred = score, local_pred
        return LimeResult(image=image, segments=segments, probabilities=labels[0], predicted=int(labels[0].argmax()),
                          weights=weights, intercept=intercept, score=score, local_pred=local_pred,
                          explanation=explanation)

    def explain(self, inputs: Tensor) -> list[LimeResult]:
        """One :class:`LimeResult` per image of the batch (N, C, H, W)."""
        check_inputs(inputs)
        images = inputs.detach().cpu().double().permute(0, 2, 3, 1).numpy()
        with frozen_eval(self.model, self.eval_mode):
            model = self._inference_model(inputs[:1].detach().float().to(model_device(self.model)))
            predict = make_predict_fn(model, self.batch_size)
            with temporary_channels_last(model, self.channels_last):
                return [self._explain_one(np.ascontiguousarray(img), predict) for img in images]

    def attribute(self, inputs: Tensor, target: TargetType = None) -> Tensor:
        """Per-pixel map (N, 1, H, W): each pixel = its superpixel's weight for the target class
        (None: the predicted class)."""
        results = self.explain(inputs)
        predicted = torch.tensor([r.predicted for r in results])
        resolved = resolve_target(target, len(results), results[0].num_classes, predicted)
        maps = [torch.from_numpy(r.weight_map(int(t))).float() for r, t in zip(results, resolved)]
        return torch.stack(maps).unsqueeze(1)
