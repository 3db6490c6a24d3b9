"""The report's parameters: read from report.ipynb's ``parameters`` cell, checked here.

The notebook's first code cell (tagged ``parameters``) is the one source of truth for the names and
defaults; papermill's ``-p name value`` overrides them. :func:`check_values` stops a bad run with
one message, in the report's language, naming the parameter, the value given and what is valid.
Checks that need the data or the model (image ids, layer, filter) run in :mod:`helpers.report.setup`.
"""
from __future__ import annotations

import ast
import json
import numbers
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from helpers.data.images import RESIZE_MODES
from helpers.models.preprocessing import NormalizationError, parse_normalization
from helpers.models.user_models import ModelSpecError, parse_architecture
from helpers.report.messages import LANGUAGES, message

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = PROJECT_ROOT / "report.ipynb"

SPLITS = ("training", "validation", "evaluation")
# Default conv layer of the filter section, per architecture: EfficientNet-Lite0's block 4 ends
# stage 3 (40 filters, 28x28 maps at 224 px), mid-level textures and colour blobs, and cheap for
# gradient ascent because the forward pass stops there; the classic CNN's middle (third) block.
# Any other model: helpers.models.layers.default_filter_layer (its middle convolution).
DEFAULT_LAYERS = {"default": "_blocks.4._project_conv", "classic": "conv3"}


class ReportParameterError(ValueError):
    """A report parameter that cannot work; the message says which, what was given, what is valid."""


@lru_cache(maxsize=4)
def _defaults(notebook: Path, mtime: float) -> dict[str, Any]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    cell = next(c for c in cells if "parameters" in c.get("metadata", {}).get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}


def notebook_parameters(notebook: Path = NOTEBOOK) -> dict[str, Any]:
    """Names and default values of the ``parameters`` cell of ``notebook`` (literals only)."""
    return dict(_defaults(notebook, notebook.stat().st_mtime))


def collect_parameters(namespace: dict, notebook: Path = NOTEBOOK) -> SimpleNamespace:
    """The parameters' current values from a notebook's globals (cell, papermill, the user)."""
    return SimpleNamespace(**{name: namespace.get(name, default)
                              for name, default in notebook_parameters(notebook).items()})


# -- checks: each returns None when the value is fine, else (message key, extra values) -----------
Check = Callable[[Any], "tuple[str, dict] | None"]


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def choice(*valid) -> Check:
    return lambda v: None if v in valid else ("choice", {"valid": ", ".join(repr(x) for x in valid)})


def integer(minimum: int, optional: bool = False, maximum: int | None = None) -> Check:
    def check(v):
        if (optional and v is None) or (_is_int(v) and v >= minimum and (maximum is None or v <= maximum)):
            return None
        if maximum is not None:
            return ("int_range", {"minimum": minimum, "maximum": maximum})
        return ("int_min_optional" if optional else "int_min", {"minimum": minimum})
    return check


def boolean(optional: bool = False) -> Check:
    return lambda v: None if isinstance(v, bool) or (optional and v is None) else \
        ("bool_optional" if optional else "bool", {})


def text(optional: bool = False) -> Check:
    return lambda v: None if (isinstance(v, str) and v.strip()) or (optional and v is None) else \
        ("text_optional" if optional else "text", {})


def positive(v) -> tuple[str, dict] | None:
    return None if isinstance(v, numbers.Real) and not isinstance(v, bool) and v > 0 else ("positive", {})


def image_ids(v) -> tuple[str, dict] | None:
    return None if isinstance(v, (list, tuple)) and all(isinstance(i, str) for i in v) else ("image_ids_type", {})


def architecture(v) -> tuple[str, dict] | None:
    """``default``, ``classic``, ``path/to/model.py:Class``, ``torchvision:<name>`` or ``timm:<name>``
    (the syntax only; whether the file, class or name exists is checked when the model is built)."""
    try:
        parse_architecture(v)
    except ModelSpecError:
        return ("model_arch", {})
    return None


def keyword_arguments(v) -> tuple[str, dict] | None:
    ok = isinstance(v, dict) and all(isinstance(k, str) and k.isidentifier() for k in v)
    return None if ok else ("model_kwargs", {})


def normalization(v) -> tuple[str, dict] | None:
    try:
        parse_normalization(v)
    except NormalizationError:
        return ("normalize", {})
    return None


def writable_folder(v) -> tuple[str, dict] | None:
    """A folder the run can write into: it is (or can be made) a directory, and is writable."""
    if not (isinstance(v, str) and v.strip()):
        return ("text", {})
    path = Path(v)
    existing = next((p for p in [path, *path.parents] if p.exists()), None)
    if existing is not None and not existing.is_dir():
        return ("output_dir", {"detail": f"{existing} is a file, not a folder"})
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        return ("output_dir", {"detail": f"{existing} is not writable"})
    return None


CHECKS: dict[str, Check] = {
    "data_dir": text(), "model_arch": architecture, "model_kwargs": keyword_arguments,
    "normalize": normalization, "resize": choice(None, *RESIZE_MODES), "checkpoint": text(optional=True),
    "checkpoint_allow_pickle": boolean(), "channel_order": choice("rgb", "bgr"),
    "input_size": integer(32, optional=True), "split": choice(*SPLITS), "image_ids": image_ids,
    "n_images": integer(1, optional=True), "layer": text(optional=True), "filter_index": integer(0, optional=True),
    "n_grid_filters": integer(1, maximum=5), "ascent_steps": integer(1), "ascent_grid_steps": integer(1),
    "ascent_size": integer(32, optional=True), "saliency_variant": choice("max_abs", "course"),
    "smoothgrad_sigma": positive, "smoothgrad_samples": integer(1), "lime_samples": integer(2),
    "lime_segments": integer(2), "trust_steps": integer(1),
    "trust_substrate": choice("mean", "zero", "blur"), "trust_random_steps": integer(1),
    "n_measure": integer(1),  # images the numbers of sections 1, 4 and 5 rest on
    "seed": integer(0), "device": text(),
    "batch_size": integer(1), "figures_dir": writable_folder, "cache_dir": writable_folder, "use_cache": boolean(),
    "language": choice(*LANGUAGES), "progress": boolean(optional=True),
}


def check_values(params: SimpleNamespace) -> str:
    """Checks that need only the values (types, ranges, choices, output folders); returns the
    report's language. The language is checked first: its error names both languages in both."""
    language = params.language
    if language not in LANGUAGES:
        raise ReportParameterError(" / ".join(message(lang, "choice", name="language", value=repr(language),
                                                      valid=", ".join(LANGUAGES)) for lang in LANGUAGES))
    for name, check in CHECKS.items():
        failed = check(getattr(params, name))
        if failed:
            key, extra = failed
            raise ReportParameterError(message(language, key, name=name, value=repr(getattr(params, name)), **extra))
    return language
