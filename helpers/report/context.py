"""One report run: checks the parameters, loads data and model, and gives the sections what
they share (texts, cache, figure saving, Markdown output).

``ReportRun(params)`` is called by the first cell after the parameters cell: every parameter
that can be wrong is checked here, before any computation, and a bad one raises
:class:`~helpers.report.params.ReportParameterError` with one message in the report's language.
"""
from __future__ import annotations

import random
import warnings
from pathlib import Path

import numpy as np
import torch

from helpers.data.default_dataset import DemoDataMissingError, resolve_data_dir
from helpers.data.food11 import FOOD11_CLASS_NAMES, SPLITS, DataLayoutError, Food11Split, check_data_dir
from helpers.models.checkpoint import CheckpointError
from helpers.models.layers import LayerNotFoundError, conv_layers, resolve_layer
from helpers.models.registry import load_model
from helpers.report.cache import ResultCache, model_fingerprint
from helpers.report.params import DEFAULT_LAYERS, ReportParameterError, ReportParams, check_values


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.replace("\n", " ") if text else type(error).__name__


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


class ReportRun:
    """Everything a section needs; built from :class:`ReportParams` (checked on the way)."""

    def __init__(self, params: ReportParams) -> None:
        self.params = params
        self.t = check_values(params)
        t = self.t
        self.seed_everything()
        if params.language != "en":
            from helpers.report.fonts import use_cjk_font

            use_cjk_font()
        # Data folder.
        try:
            self.data_dir = check_data_dir(resolve_data_dir(params.data_dir))
        except (DemoDataMissingError, DataLayoutError) as error:
            raise ReportParameterError(t("err_data_dir", value=repr(params.data_dir),
                                         detail=_first_line(error))) from None
        # Model (architecture, checkpoint, channel order, input size, device).
        try:
            self.loaded = load_model(params.model_arch, params.checkpoint, params.channel_order, params.input_size,
                                     device=params.device, allow_pickle=params.checkpoint_allow_pickle)
        except CheckpointError as error:
            raise ReportParameterError(t("err_checkpoint", value=repr(params.checkpoint),
                                         detail=_first_line(error))) from None
        except (ValueError, FileNotFoundError, RuntimeError) as error:
            raise ReportParameterError(t("err_model", detail=_first_line(error))) from None
        self.model = self.loaded.model
        # The split to explain, at the model's input size, with class names in the language.
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self.splits = {s: Food11Split(self.data_dir, s, self.loaded.input_size, self.loaded.resize_mode,
                                              "rgb", params.language) for s in SPLITS}
        except DataLayoutError as error:
            raise ReportParameterError(t("err_data_dir", value=repr(params.data_dir),
                                         detail=_first_line(error))) from None
        self.scan_warnings = [str(w.message) for w in caught]
        self.split = self.splits[params.split]
        names = list(self.split.class_names)
        if params.language != "en" and tuple(names[:11]) == FOOD11_CLASS_NAMES:
            names = t.list("food11_classes") + names[11:]
        num_labels = max(max(r.label for r in s.records) for s in self.splits.values()) + 1
        if self.loaded.num_classes != num_labels:
            raise ReportParameterError(t("err_classes", classes=self.loaded.num_classes, labels=num_labels,
                                         value=repr(params.checkpoint)))
        self.class_names = names[: self.loaded.num_classes]
        # Images asked for by id.
        for image_id in params.image_ids:
            if image_id not in self.split._by_id:
                examples = ", ".join(r.image_id for r in self.split.records[:3])
                raise ReportParameterError(t("err_image_id", value=repr(image_id), split=params.split,
                                             count=len(self.split), examples=examples))
        if params.n_images is not None and params.n_images > len(self.split):
            raise ReportParameterError(t("err_n_images", value=params.n_images, count=len(self.split),
                                         split=params.split))
        # Layer and filter of the filter section.
        self.layer_arg = params.layer or DEFAULT_LAYERS[params.model_arch]
        self.layer_default = params.layer is None
        try:
            self.layer_name, module = resolve_layer(self.model, self.layer_arg)
        except LayerNotFoundError:
            raise ReportParameterError(t("err_layer", value=repr(self.layer_arg), valid=self.layer_hint())) from None
        self.layer_filters = getattr(module, "out_channels", None)
        if not isinstance(module, torch.nn.Conv2d):
            raise ReportParameterError(t("err_not_conv", value=repr(self.layer_arg), kind=type(module).__name__,
                                         valid=self.layer_hint()))
        if params.filter_index is not None and params.filter_index >= self.layer_filters:
            raise ReportParameterError(t("err_filter_index", value=params.filter_index, layer=self.layer_name,
                                         count=self.layer_filters, last=self.layer_filters - 1))
        self.ascent_size = params.ascent_size or min(self.loaded.input_size, 128)
        self.figures_dir = Path(params.figures_dir)
        self.cache = ResultCache(params.cache_dir, enabled=params.use_cache)
        self.model_fp = model_fingerprint(self.model)
        self.figures: list[Path] = []
        self.state: dict = {}

    # -- helpers shared by the sections ----------------------------------------------------------
    def seed_everything(self) -> None:
        seed = int(self.params.seed)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

    def layer_hint(self) -> str:
        convs = conv_layers(self.model)
        shown = ", ".join(f"{c.name} ({c.alias})" for c in convs[:8])
        return shown + (f", ... ({len(convs)})" if len(convs) > 8 else "")

    def md(self, key: str, **values) -> None:
        """Show the language's text ``key`` as Markdown."""
        self.markdown(self.t(key, **values))

    def heading(self, key: str, latex: bool = True) -> None:
        """A Markdown heading (``#``/``##`` text) that the PDF shows as an unnumbered section
        (the numbers are part of the titles), or not at all with ``latex=False`` (the title,
        which the PDF prints on its first page from the notebook's metadata)."""
        from IPython.display import display

        text = self.t(key)
        title = text.lstrip("#").strip()
        level = len(text) - len(text.lstrip("#"))
        command = {1: "section", 2: "section", 3: "subsection"}.get(level, "subsubsection")
        display({"text/markdown": text, "text/latex": f"\\{command}*{{{latex_escape(title)}}}" if latex else "",
                 "text/plain": title}, raw=True)

    @staticmethod
    def markdown(text: str) -> None:
        from IPython.display import Markdown, display

        display(Markdown(text))

    def figure(self, fig, name: str) -> Path:
        """Save ``fig`` as ``<figures_dir>/<name>.png`` and show that PNG inline."""
        from IPython.display import Image, display

        from helpers.plotting.figures import save_figure

        path = self.figures_dir / f"{name}.png"
        save_figure(fig, path, dpi=110)
        self.figures.append(path)
        display(Image(filename=str(path)))
        return path

    def class_name(self, label: int) -> str:
        return self.class_names[int(label)]
