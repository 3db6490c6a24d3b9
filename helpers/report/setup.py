"""The report's set-up: check the parameters, load data and model, and give the notebook's cells
the few tools they share (two-language text, figures, tables, the result cache).

``run = open_report(globals())`` is the first cell after the parameters cell: every parameter that
can be wrong is checked there, before any computation, and a bad one raises
:class:`~helpers.report.params.ReportParameterError` with one message in the report's language.
"""
from __future__ import annotations

import random
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
from torch import Tensor

from helpers.data.default_dataset import DemoDataMissingError, resolve_data_dir
from helpers.data.image_split import FOOD11_CLASS_NAMES, DataLayoutError, check_data_dir
from helpers.data.images import CorruptImageError
from helpers.data.layout import load_splits
from helpers.evaluation.selection import measured_sample, select_images
from helpers.models.checkpoint import CheckpointError
from helpers.models.layers import (LayerNotFoundError, conv_layers, default_filter_layer, default_gradcam_layer,
                                   resolve_layer)
from helpers.models.registry import load_model
from helpers.pdf.language import display_language_marker
from helpers.report.cache import ResultCache
from helpers.report.cached import cached, cached_per_image
from helpers.report.messages import message
from helpers.report.params import DEFAULT_LAYERS, ReportParameterError, check_values, collect_parameters

MIN_EXPLAINED = 10
# how image ids are formed in each data layout, for the image_ids message (en, zh-TW)
ID_FORMS = {
    "food11": ("file names without extension", "不含副檔名的檔名"),
    "imagefolder": ("<class folder>/<file name without extension>", "<類別資料夾>/<不含副檔名的檔名>"),
}
FOOD11_NAMES_ZH = ("麵包", "乳製品", "甜點", "蛋", "油炸食物", "肉類", "麵食", "米飯", "海鮮", "湯", "蔬菜水果")


def pct(x: float | None, digits: int = 0) -> str:
    """0.456 -> "46%" ("n/a" for NaN): the same in every language."""
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:.{digits}f}%"


def num(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def ci(interval: Any, percent: bool = False, digits: int = 2) -> str:
    """An interval object (``mean``, ``low``, ``high``) as "0.42 [0.31, 0.55]" (or in %)."""
    show = (lambda v: pct(v, max(0, digits - 2))) if percent else (lambda v: num(v, digits))
    if not np.isfinite(interval.low) or not np.isfinite(interval.high):
        return show(interval.mean)
    return f"{show(interval.mean)} [{show(interval.low)}, {show(interval.high)}]"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().replace("\n", " ")
    return text or type(error).__name__


def explained_count(n_images: int | None, labels: Iterable[int]) -> int:
    """How many images the automatic choice explains: ``n_images``, else one per class and at least
    MIN_EXPLAINED, so that section 5's paired comparisons can conclude (with fewer, their
    intervals nearly always include 0)."""
    return n_images or max(len(set(labels)), MIN_EXPLAINED)


@dataclass
class Explained:
    """The images every section explains, with their labels and the model's predictions."""

    ids: list[str]
    indices: list[int]
    images: Tensor
    labels: Tensor
    predicted: Tensor
    probabilities: Tensor

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def correct(self) -> Tensor:
        return self.labels == self.predicted


class Report:
    """What the cells share; made by :func:`open_report`."""

    def __init__(self, params: SimpleNamespace) -> None:
        self.opened_at = time.perf_counter()  # the run-time estimate counts the set-up's own time
        self.params = p = params
        self.language = check_values(p)
        self._seed()
        if self.language != "en":
            from helpers.plotting.fonts import use_cjk_font

            use_cjk_font()
        try:
            self.data_dir = check_data_dir(resolve_data_dir(p.data_dir))
        except (DemoDataMissingError, DataLayoutError) as error:
            self._fail("data_dir", value=repr(p.data_dir), detail=_first_line(error))
        try:
            self.loaded = load_model(p.model_arch, p.checkpoint, p.channel_order, p.input_size, device=p.device,
                                     allow_pickle=p.checkpoint_allow_pickle, model_kwargs=p.model_kwargs,
                                     normalize=p.normalize, resize=p.resize)
        except CheckpointError as error:
            self._fail("checkpoint", value=repr(p.checkpoint), detail=_first_line(error))
        except (ValueError, FileNotFoundError, RuntimeError) as error:
            self._fail("model", detail=_first_line(error))
        self.model = self.loaded.model
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self.splits = load_splits(self.data_dir, self.loaded.input_size, self.loaded.resize_mode, "rgb",
                                          self.language, num_classes=self.loaded.num_classes)
        except DataLayoutError as error:
            self._fail("data_dir", value=repr(p.data_dir), detail=_first_line(error))
        self.scan_warnings = [str(w.message) for w in caught]
        self.split = self.splits[p.split]
        names = list(self.split.class_names)
        if self.language == "zh-TW" and tuple(names[:11]) == FOOD11_CLASS_NAMES:
            names = list(FOOD11_NAMES_ZH) + names[11:]
        self.class_names = names[: self.loaded.num_classes]
        self._check_images()
        self._check_layer()
        self.ascent_size = p.ascent_size or min(self.loaded.input_size, 128)
        self.figures_dir = Path(p.figures_dir)
        self.cache = ResultCache(p.cache_dir, enabled=p.use_cache)
        self.figures: list[Path] = []
        # The set-up lists unreadable files by name; the loader's per-file warnings would only
        # repeat them as stderr noise in the report.
        warnings.filterwarnings("ignore", message="Skipping unreadable image")
        display_language_marker(self.language)  # the PDF export keeps only this language's prose

    # -- checks that need the data or the model --------------------------------------------------
    def _fail(self, key: str, **values: Any) -> None:
        raise ReportParameterError(message(self.language, key, **values)) from None

    def _check_images(self) -> None:
        p, split = self.params, self.split
        for image_id in p.image_ids:
            try:
                split.index_of(image_id)
            except KeyError:
                self._fail("image_id", value=repr(image_id), split=p.split, count=len(split),
                           form=self.tr(*ID_FORMS[split.layout]),
                           examples=", ".join(r.image_id for r in split.records[:3]))
        if p.image_ids:
            reasons = {}
            for image_id in p.image_ids:
                try:
                    split.load(split.index_of(image_id))
                except CorruptImageError as error:
                    reasons[image_id] = error.reason
            if len(reasons) == len(p.image_ids):
                self._fail("image_ids_unreadable", value=repr(list(p.image_ids)),
                           detail="; ".join(f"{k}: {v}" for k, v in reasons.items()))
        if p.n_images is not None and p.n_images > len(split):
            self._fail("n_images", value=p.n_images, count=len(split), split=p.split)

    def _check_layer(self) -> None:
        p = self.params
        self.layer_default = p.layer is None
        hint = ", ".join(f"{c.name} ({c.alias})" for c in conv_layers(self.model)[:8]) + ", ..."
        size = self.loaded.input_size
        try:
            # Grad-CAM's layer: the last convolution whose output still has a spatial extent
            self.gradcam_layer = default_gradcam_layer(self.model, size)
            asked = p.layer or DEFAULT_LAYERS.get(p.model_arch) or default_filter_layer(self.model, size)
        except LayerNotFoundError as error:
            self._fail("model", detail=_first_line(error))
        try:
            self.layer, module = resolve_layer(self.model, asked)
        except LayerNotFoundError:
            self._fail("layer", value=repr(asked), valid=hint)
        if not isinstance(module, torch.nn.Conv2d):
            self._fail("not_conv", value=repr(asked), kind=type(module).__name__, valid=hint)
        self.layer_filters = module.out_channels
        if p.filter_index is not None and p.filter_index >= self.layer_filters:
            self._fail("filter_index", value=p.filter_index, layer=self.layer, count=self.layer_filters,
                       last=self.layer_filters - 1)

    def _seed(self) -> None:
        seed = int(self.params.seed)  # checked to be an integer >= 0
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

    # -- tools for the cells ---------------------------------------------------------------------
    def tr(self, en: str, zh_TW: str) -> str:
        """The text in the report's language."""
        return zh_TW if self.language == "zh-TW" else en

    def say(self, en: str, zh_TW: str) -> None:
        """Show the text in the report's language as Markdown (numbers filled in by f-strings)."""
        from IPython.display import Markdown, display

        display(Markdown(self.tr(en, zh_TW)))

    def table(self, headers: list[str], rows: list[list]) -> None:
        """Show a Markdown table (pipes inside cells escaped)."""
        from IPython.display import Markdown, display

        def cell(value: object) -> str:
            return str(value).replace("|", "\\|").replace("\n", " ")

        lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
        display(Markdown("\n".join(lines)))

    def show(self, figures: Any, name: str) -> None:
        """Save a figure (or a list of figures: ``name_1``, ``name_2``...) as PNG in ``figures_dir``
        and show it inline (the paths are kept in ``figures``)."""
        from IPython.display import Image, display

        from helpers.plotting import save_figures

        paths = save_figures(list(figures) if isinstance(figures, (list, tuple)) else [figures], self.figures_dir,
                             name, dpi=150)
        for path in paths:
            display(Image(filename=str(path)))
        self.figures += paths

    def cached(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` through the result cache (``fn.attribute`` for an explainer)."""
        return cached(self.cache, fn, *args, **kwargs)

    def cached_per_image(self, fn: Any, images: Tensor, target: Any = None, chunk: int | None = None,
                         **kwargs: Any) -> Tensor:
        """Maps of ``images`` through the result cache one image at a time: only images not
        stored before are computed (raising ``n_measure`` computes only the new ones), ``chunk``
        images per call."""
        return cached_per_image(self.cache, fn, images, target, chunk, **kwargs)

    def class_name(self, label: int | Tensor) -> str:
        return self.class_names[int(label)]

    def titles(self, explained: Explained) -> list[str]:
        """One title per explained image: id, true and predicted class."""
        return [self.tr(f"{i}\ntrue: {self.class_name(t)}\npred: {self.class_name(q)}",
                        f"{i}\n真實：{self.class_name(t)}\n預測：{self.class_name(q)}")
                for i, t, q in zip(explained.ids, explained.labels, explained.predicted)]

    def explained_images(self, predictions: Any) -> Explained:
        """The images to explain: ``image_ids`` when given (unreadable ones left out), else a
        seeded, stratified choice of ``n_images`` covering every class, right and wrong."""
        p, split = self.params, self.split
        position = {int(i): k for k, i in enumerate(predictions.indices)}
        if p.image_ids:
            chosen = [i for i in (split.index_of(x) for x in p.image_ids) if i in position]
        else:
            labels = predictions.labels.numpy()
            picked = select_images(labels, predictions.predicted.numpy(), explained_count(p.n_images, labels.tolist()),
                                   p.seed)
            chosen = [int(predictions.indices[k]) for k in picked]
        images, labels, kept = split.load_many(chosen)
        rows = [position[i] for i in kept]
        return Explained([split.records[i].image_id for i in kept], kept, images, labels,
                         predictions.predicted[rows], predictions.probabilities[rows])

    def measured_images(self, predictions: Any, shown: Explained) -> Explained:
        """The images the numbers of sections 1, 4 and 5 are measured on: ``n_measure`` readable
        images of the split (all of them when it has fewer), stratified by class and seeded
        (:func:`~helpers.evaluation.selection.measured_sample`), chosen from the labels alone.
        The ``shown`` images come first, in their order, so ``maps[:len(shown)]`` are the figures'."""
        position = {int(i): k for k, i in enumerate(predictions.indices)}
        include = [position[i] for i in shown.indices if i in position]
        picked = measured_sample(predictions.labels.numpy(), self.params.n_measure, self.params.seed, include)
        first = set(include)
        order = include + [k for k in picked if k not in first]
        images, labels, kept = self.split.load_many([int(predictions.indices[k]) for k in order])
        rows = [position[i] for i in kept]
        return Explained([self.split.records[i].image_id for i in kept], kept, images, labels,
                         predictions.predicted[rows], predictions.probabilities[rows])


def open_report(namespace: dict) -> Report:
    """Check the notebook's parameters (its globals) and load what every section needs."""
    return Report(collect_parameters(namespace))
