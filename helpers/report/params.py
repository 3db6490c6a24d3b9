"""The report's parameters: defaults, and checks that stop a bad run with one clear message.

The first code cell of ``report.ipynb`` (tagged ``parameters``) holds the same names and
defaults as :class:`ReportParams`; papermill's ``-p name value`` overrides them. Every check
raises :class:`ReportParameterError` whose message, in the report's language, names the
parameter, the value given and the values that are valid. Checks that need only the values run
in :func:`check_values`; those that need the data or the model (image ids, layer, filter index,
checkpoint) run in :mod:`helpers.report.context` right after loading them: the first cell after
the parameters cell does both, so a bad parameter stops the run before anything is computed.
"""
from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass, field, fields

from helpers.report.i18n import LANGUAGES, Texts, load_texts

SALIENCY_VARIANTS = ("max_abs", "course")
SPLITS = ("training", "validation", "evaluation")
ARCHITECTURES = ("default", "classic")
CHANNEL_ORDERS = ("rgb", "bgr")
TRUST_SUBSTRATES = ("zero", "blur", "mean")

# Default conv layer of the filter section, per architecture (see texts key "layer_default_why"):
# EfficientNet-Lite0's block 4 ends stage 3 (40 filters, stride 8: 28x28 maps at 224 px input),
# mid-level textures and colour blobs, the depth the course asks about, and cheap for gradient
# ascent because the forward pass stops there. The classic CNN's third conv (256 filters, 32x32
# maps at 128 px) is its middle block.
DEFAULT_LAYERS = {"default": "_blocks.4._project_conv", "classic": "conv3"}


class ReportParameterError(ValueError):
    """A report parameter that cannot work; the message (in the report's language) says which
    parameter, what was given and what is valid."""


@dataclass
class ReportParams:
    """All report parameters with their defaults (keep in sync with report.ipynb's first cell)."""

    data_dir: str = "default"            # "default" = embedded demo photos, or a Food-11 folder
    model_arch: str = "default"          # "default" (EfficientNet-Lite0 + food head) or "classic"
    checkpoint: str | None = None        # state_dict file; None = the committed default head
    checkpoint_allow_pickle: bool = False  # True only for a whole pickled model you made yourself
    channel_order: str = "rgb"           # "bgr" for classic models trained on OpenCV images
    input_size: int | None = None        # None = the model's own (224 default, 128 classic)
    split: str = "evaluation"            # split to explain
    image_ids: list = field(default_factory=list)  # e.g. ["0_3", "4_70"]; [] = automatic choice
    n_images: int | None = None          # automatic choice size; None = one image per class
    layer: str | None = None             # conv layer name or alias; None = default per model_arch (params.DEFAULT_LAYERS)
    filter_index: int | None = None      # None = the layer's most class-selective filter
    n_grid_filters: int = 6              # filters in the gradient-ascent grid
    ascent_steps: int = 40               # gradient-ascent steps
    ascent_size: int | None = None       # side of ascent images; None = min(input_size, 128)
    saliency_variant: str = "max_abs"    # "max_abs" (Simonyan) or "course" (|d CE / dx|)
    smoothgrad_sigma: float = 0.2        # noise std relative to the image's value range
    smoothgrad_samples: int = 200        # noisy copies per image
    lime_samples: int = 200              # perturbed images per LIME explanation
    lime_segments: int = 50              # SLIC superpixels asked for
    trust_images: int = 3                # images in the trust section (stratified, seeded)
    trust_steps: int = 8                # deletion / insertion steps
    trust_substrate: str = "zero"        # what deletion puts in: "zero", "blur" or "mean"
    trust_random_steps: int = 2          # measured steps of the cascading randomisation
    trust_smoothgrad_samples: int = 16   # SmoothGrad samples inside the trust section
    trust_lime_samples: int = 32         # LIME samples inside the trust section
    trust_ig_steps: int = 16             # integrated-gradients steps
    seed: int = 0
    device: str = "auto"                 # "auto", "cpu", "cuda"
    batch_size: int = 16                 # images per forward/backward pass
    figures_dir: str = "figures"
    cache_dir: str = ".cache/results"
    use_cache: bool = True
    language: str = "en"                 # "en" or "zh-TW"
    progress: bool | None = None         # None = bars only in an interactive terminal

    def as_dict(self) -> dict:
        return asdict(self)


PARAMETER_NAMES = tuple(f.name for f in fields(ReportParams))


def collect_parameters(namespace: dict) -> ReportParams:
    """The parameters from a notebook's globals (the parameters cell and papermill's injection)."""
    return ReportParams(**{name: namespace[name] for name in PARAMETER_NAMES if name in namespace})


def check_language(language) -> Texts:
    """The texts of ``language``; the error names both languages in both languages."""
    if language not in LANGUAGES:
        raise ReportParameterError(
            f"Parameter language = {language!r} is not valid: use one of {', '.join(LANGUAGES)}. / "
            f"參數 language = {language!r} 不正確，請使用 {', '.join(LANGUAGES)} 其中之一。")
    return load_texts(language)


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_values(params: ReportParams) -> Texts:
    """Checks that need only the values (types, ranges, choices); returns the report's texts."""
    t = check_language(params.language)

    def fail(key: str, name: str, **values) -> None:
        raise ReportParameterError(t(key, name=name, value=repr(getattr(params, name)), **values))

    def choice(name: str, valid) -> None:
        if getattr(params, name) not in valid:
            fail("err_choice", name, valid=", ".join(repr(v) for v in valid))

    def integer(name: str, minimum: int, optional: bool = False) -> None:
        value = getattr(params, name)
        if optional and value is None:
            return
        if not _is_int(value) or value < minimum:
            fail("err_int_min_optional" if optional else "err_int_min", name, minimum=minimum)

    def boolean(name: str, optional: bool = False) -> None:
        value = getattr(params, name)
        if not (isinstance(value, bool) or (optional and value is None)):
            fail("err_bool_optional" if optional else "err_bool", name)

    def text(name: str, optional: bool = False) -> None:
        value = getattr(params, name)
        if not ((isinstance(value, str) and value.strip()) or (optional and value is None)):
            fail("err_text_optional" if optional else "err_text", name)

    text("data_dir")
    choice("model_arch", ARCHITECTURES)
    text("checkpoint", optional=True)
    boolean("checkpoint_allow_pickle")
    choice("channel_order", CHANNEL_ORDERS)
    integer("input_size", 32, optional=True)
    choice("split", SPLITS)
    if not isinstance(params.image_ids, (list, tuple)) or not all(isinstance(i, str) for i in params.image_ids):
        fail("err_image_ids_type", "image_ids")
    integer("n_images", 1, optional=True)
    text("layer", optional=True)
    integer("filter_index", 0, optional=True)
    integer("n_grid_filters", 1)
    integer("ascent_steps", 1)
    integer("ascent_size", 32, optional=True)
    choice("saliency_variant", SALIENCY_VARIANTS)
    if not _is_number(params.smoothgrad_sigma) or not params.smoothgrad_sigma > 0:
        fail("err_positive", "smoothgrad_sigma")
    integer("smoothgrad_samples", 1)
    integer("lime_samples", 2)
    integer("lime_segments", 2)
    integer("trust_images", 2)
    integer("trust_steps", 1)
    choice("trust_substrate", TRUST_SUBSTRATES)
    integer("trust_random_steps", 1)
    integer("trust_smoothgrad_samples", 1)
    integer("trust_lime_samples", 2)
    integer("trust_ig_steps", 1)
    integer("seed", 0)
    text("device")
    integer("batch_size", 1)
    text("figures_dir")
    text("cache_dir")
    boolean("use_cache")
    boolean("progress", optional=True)
    return t
