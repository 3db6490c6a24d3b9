"""Explain photos without the report: one photo or a few, one method or all of them.

``explain_photo(path, model, method="smoothgrad-guided")`` in a notebook, and the command
``python -m helpers.explain`` (which calls :func:`explain_photos`), use the report's own explainers
with the report's settings: section 4's ``Saliency`` / ``GuidedBackprop`` with ``reduction="max_abs"``
and their SmoothGrads, Grad-CAM on the last convolution as in section 5, Guided Grad-CAM on the same
layer, LIME as in section 3. Nothing here computes a map itself.
"""
from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

from helpers.data.images import RESIZE_MODES, load_image
from helpers.device import model_device
from helpers.models.layers import default_gradcam_layer, resolve_layer
from helpers.models.registry import LoadedModel
from helpers.plotting.grids import heatmap_overlay, overlay_rows
from helpers.plotting.save import save_figure

from .base import check_logits, frozen_eval, resolve_target
from .gradcam import GradCAM
from .guided_backprop import GuidedBackprop
from .guided_gradcam import GuidedGradCAM
from .lime_explainer import LimeExplainer
from .saliency import Saliency
from .smoothgrad import SharedPasses, SmoothGrad

METHODS = ("saliency", "guided", "smoothgrad", "smoothgrad-guided", "gradcam", "guided-gradcam", "lime")
METHOD_TITLES = {"saliency": "vanilla gradient", "guided": "guided backprop", "smoothgrad": "SmoothGrad",
                 "smoothgrad-guided": "SmoothGrad x guided backprop", "gradcam": "Grad-CAM",
                 "guided-gradcam": "Guided Grad-CAM", "lime": "LIME"}


@dataclass(frozen=True)
class MethodSettings:
    """The methods' settings; the defaults are the report's parameters (``smoothgrad_sigma``,
    ``smoothgrad_samples``, ``lime_samples``, ``lime_segments``, ``seed``, ``batch_size``).

    ``layer``: Grad-CAM's layer (a name or alias); None takes the report's choice, the last
    convolution whose output has a spatial extent. ``batch_size``: images per forward/backward pass
    (also the noisy copies per pass of SmoothGrad and LIME's perturbed images per pass)."""

    sigma: float = 0.2
    samples: int = 50
    lime_samples: int = 200
    lime_segments: int = 50
    seed: int = 0
    batch_size: int = 8
    layer: str | None = None

    def __post_init__(self) -> None:
        if not self.sigma >= 0:
            raise ValueError(f"sigma must be >= 0 (a share of the image's range, e.g. 0.2), got {self.sigma}")
        for name, minimum in (("samples", 1), ("lime_samples", 2), ("lime_segments", 1), ("batch_size", 1),
                              ("seed", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def parse_methods(methods: str | Sequence[str]) -> tuple[str, ...]:
    """``"all"``, one method, or several (a sequence or a comma-separated string), checked."""
    names = [m.strip() for m in methods.split(",")] if isinstance(methods, str) else [str(m) for m in methods]
    if "all" in names:
        return METHODS
    unknown = [m for m in names if m not in METHODS]
    if unknown or not names:
        raise ValueError(f"unknown method {', '.join(map(repr, unknown)) or '(none given)'}: use one of "
                         f"{', '.join(METHODS)}, a comma-separated list of them, or all")
    return tuple(dict.fromkeys(names))


def cam_layer(model: nn.Module, input_size: int, layer: str | None = None) -> str:
    """Grad-CAM's layer: ``layer`` resolved (unknown names raise and list the valid ones), else the
    report's choice, the last convolution whose output at ``input_size`` still has a spatial extent."""
    if layer is not None:
        return resolve_layer(model, layer)[0]
    return default_gradcam_layer(model, input_size)


def make_explainers(model: nn.Module, methods: Sequence[str], input_size: int,
                    settings: MethodSettings = MethodSettings(), progress: bool | None = False) -> dict:
    """One explainer per method, built before anything runs (a model the method cannot explain, or
    an unknown layer, raises here). The two SmoothGrads share their noisy passes when both are asked."""
    noise = dict(sigma=settings.sigma, n_samples=settings.samples, seed=settings.seed,
                 batch_size=settings.batch_size, progress=progress, share_passes=SharedPasses())
    layer = cam_layer(model, input_size, settings.layer) if {"gradcam", "guided-gradcam"} & set(methods) else None
    build: dict[str, Callable[[], object]] = {
        "saliency": lambda: Saliency(model, reduction="max_abs"),
        "guided": lambda: GuidedBackprop(model, reduction="max_abs"),
        "smoothgrad": lambda: SmoothGrad(Saliency(model, reduction="max_abs"), **noise),
        "smoothgrad-guided": lambda: SmoothGrad(GuidedBackprop(model, reduction="max_abs"), **noise),
        "gradcam": lambda: GradCAM(model, layer),
        "guided-gradcam": lambda: GuidedGradCAM(model, layer, reduction="max_abs"),
        "lime": lambda: LimeExplainer(model, num_samples=settings.lime_samples, n_segments=settings.lime_segments,
                                      random_state=settings.seed, batch_size=settings.batch_size),
    }
    return {method: build[method]() for method in parse_methods(list(methods))}


def read_class_names(path: str | Path, num_classes: int) -> list[str]:
    """Names from a JSON file: ``{"names": [...]}`` (the Food-11 layout's ``classes.json``) or a
    plain list, one name per model output."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read the class names file {path}: {error.strerror or error}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"class names file {path} is not valid JSON ({error})") from error
    names = data.get("names") if isinstance(data, dict) else data
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"class names file {path} must hold a list of strings, or {{\"names\": [...]}}")
    if len(names) < num_classes:
        raise ValueError(f"class names file {path} names {len(names)} classes but the model has {num_classes} "
                         "outputs: give one name per output")
    return names[:num_classes]


@dataclass
class PhotoExplanation:
    """One photo's maps. ``image``: (3, H, W) RGB in [0, 1] as the model saw it (resized);
    ``probabilities``: (K,) softmax of the model's logits; ``target``: the explained class;
    ``maps``: method -> raw map (1 or 3, H, W) at the image's size, as the explainer returned it."""

    path: Path
    image: Tensor
    probabilities: Tensor
    target: int
    class_names: list[str]
    maps: dict[str, Tensor] = field(default_factory=dict)

    @property
    def predicted(self) -> int:
        return int(self.probabilities.argmax())

    def top(self, k: int = 3) -> list[tuple[int, str, float]]:
        """The ``k`` most probable classes: (index, name, probability), most probable first."""
        values, indices = self.probabilities.topk(min(k, len(self.probabilities)))
        return [(int(i), self.class_names[int(i)], float(v)) for v, i in zip(values, indices)]

    def title(self, method: str | None = None) -> str:
        """``"SmoothGrad x guided backprop: Seafood (p = 0.873, predicted)"``: the explained class
        and its probability; a target that is not the prediction says what the prediction was."""
        name, p = self.class_names[self.target], float(self.probabilities[self.target])
        if self.target == self.predicted:
            which = "predicted"
        else:
            which = (f"target; predicted {self.class_names[self.predicted]}, "
                     f"p = {float(self.probabilities[self.predicted]):.3f}")
        prefix = f"{METHOD_TITLES.get(method, method)}: " if method else ""
        return f"{prefix}{name} (p = {p:.3f}, {which})"

    def figure(self, method: str | None = None) -> Figure:
        """Photo | map | overlay for ``method``; without one, a row per method of :attr:`maps`."""
        if method is not None:
            if method not in self.maps:
                raise ValueError(f"no {method!r} map for {self.path.name}: computed {', '.join(self.maps)}")
            return heatmap_overlay(self.image, self.maps[method], title=f"{self.path.name}, {self.title(method)}",
                                   labels=("photo", "map", "overlay"))
        if len(self.maps) == 1:
            return self.figure(next(iter(self.maps)))
        return overlay_rows(self.image, {METHOD_TITLES.get(m, m): v for m, v in self.maps.items()},
                            title=f"{self.path.name}, {self.title()}", labels=("photo", "map", "overlay"))

    def _repr_png_(self) -> bytes:
        """Jupyter shows a result as its figure (a bare Figure, made without pyplot, shows as text)."""
        buffer = io.BytesIO()
        save_figure(self.figure(), buffer)
        return buffer.getvalue()


def _model_and_input(model: LoadedModel | nn.Module, input_size: int | None, resize_mode: str | None,
                     class_names: Sequence[str] | None) -> tuple[nn.Module, int, str, list[str] | None]:
    if isinstance(model, LoadedModel):
        names = list(class_names) if class_names is not None else model.class_names
        return model.model, input_size or model.input_size, resize_mode or model.resize_mode, names
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a LoadedModel (helpers.models.registry.load_model) or a torch.nn.Module, "
                        f"got {type(model).__name__}")
    if input_size is None:
        raise ValueError("a plain nn.Module needs input_size= (the side its training images had), or pass "
                         "the LoadedModel from helpers.models.registry.load_model")
    return model, input_size, resize_mode or "squash", list(class_names) if class_names is not None else None


def load_photos(paths: Sequence[str | Path], input_size: int, resize_mode: str = "squash") -> Tensor:
    """The photos as a batch (N, 3, size, size), RGB in [0, 1] (a BGR model flips them itself);
    an unreadable file raises :class:`~helpers.data.images.CorruptImageError` naming it."""
    if resize_mode not in RESIZE_MODES:
        raise ValueError(f"resize_mode must be one of {RESIZE_MODES}, got {resize_mode!r}")
    return torch.stack([load_image(p, input_size, resize_mode) for p in paths])


def predict_probabilities(model: nn.Module, images: Tensor) -> Tensor:
    """Softmax of the model's logits (N, K), in eval mode (the model's own mode is restored)."""
    with frozen_eval(model), torch.no_grad():
        logits = model(images.to(model_device(model)))
    check_logits(logits, images.shape[0])
    return logits.softmax(1).float().cpu()


def explain_photos(paths: Sequence[str | Path], model: LoadedModel | nn.Module,
                   method: str | Sequence[str] = "smoothgrad-guided",
                   target: int | None = None, settings: MethodSettings = MethodSettings(),
                   input_size: int | None = None, resize_mode: str | None = None,
                   class_names: Sequence[str] | None = None, on_map: Callable[[str, int], None] | None = None,
                   explainers: dict | None = None) -> Iterator[PhotoExplanation]:
    """Explanations of ``paths``, computed ``settings.batch_size`` photos at a time, yielded photo by
    photo. ``target``: a class index for every photo, or None for each photo's predicted class.
    ``on_map(method, n)`` is called after each method's maps of a batch of ``n`` photos (progress).
    Everything that can be wrong with the arguments (method, layer, target) raises before any map
    is computed; an unreadable photo raises when its batch is read. ``explainers``: the ones
    :func:`make_explainers` built for ``method`` (a caller that checked them already)."""
    net, size, resize, names = _model_and_input(model, input_size, resize_mode, class_names)
    if explainers is None:
        explainers = make_explainers(net, parse_methods(method), size, settings)
    paths = [Path(p) for p in paths]
    for start in range(0, len(paths), settings.batch_size):
        batch = paths[start:start + settings.batch_size]
        images = load_photos(batch, size, resize)
        probabilities = predict_probabilities(net, images)
        num_classes = probabilities.shape[1]
        if names is not None and len(names) < num_classes:
            raise ValueError(f"class_names has {len(names)} names but the model has {num_classes} outputs")
        shown = names or [f"class {k}" for k in range(num_classes)]
        targets = resolve_target(target, len(batch), num_classes, probabilities.argmax(1))
        maps = {}
        for name, explainer in explainers.items():
            maps[name] = explainer.attribute(images, targets).detach().float().cpu()
            if on_map is not None:
                on_map(name, len(batch))
        for i, path in enumerate(batch):
            yield PhotoExplanation(path, images[i], probabilities[i], int(targets[i]), shown,
                                   {name: value[i] for name, value in maps.items()})


def explain_photo(path: str | Path, model: LoadedModel | nn.Module, method: str | Sequence[str] = "smoothgrad-guided",
                  target: int | None = None, settings: MethodSettings | None = None, **options) -> PhotoExplanation:
    """One photo's maps (``.maps``: method -> tensor) and its figure (``.figure()``: photo | map |
    overlay, one row per method). ``method``: one of :data:`METHODS`, several, or ``"all"``;
    ``options``: :class:`MethodSettings` fields (``samples=20``, ``sigma=0.1``, ``layer="conv5"``, ...)
    and ``input_size`` / ``resize_mode`` / ``class_names`` for a plain ``nn.Module``."""
    model_options = {k: options.pop(k) for k in ("input_size", "resize_mode", "class_names") if k in options}
    if settings is None:
        settings = MethodSettings(**options)
    elif options:
        raise TypeError(f"give either settings= or the options {sorted(options)}, not both")
    return next(explain_photos([path], model, method, target, settings, **model_options))
