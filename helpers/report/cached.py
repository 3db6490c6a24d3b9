"""``cached(fn, *args, **kwargs)``: the notebook's one way to call an expensive computation.

``fn`` is an explainer (its ``attribute`` is called), a bound method (``lime.explain``,
``maximizer.run``) or a function (``predict_split``). The result is stored in the
:class:`~helpers.report.cache.ResultCache` under a key made of what is called and with what:
models by their weights, tensors by their values, splits by their files, explainers by their
settings (recursively: ``SmoothGrad(GuidedBackprop(model))``), plus a hash of the source files
that define every class and function involved. Change any of them and the key changes.

:func:`cached_per_image` stores a map per image instead of per call: the report's measured sample
grows with ``n_measure``, and only its new images are computed.

Results may be tensors, numbers, strings, lists/dicts of them, NumPy arrays, paths and dataclasses
of this package (``LimeResult``, ``Predictions``...): they are stored as plain containers of
tensors (read back with ``weights_only=True``, so a cache file can never run code) and rebuilt.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import types
from collections.abc import Callable
from functools import partial as functools_partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from helpers.data.image_split import ImageSplit
from helpers.report.cache import PROJECT_ROOT, ResultCache, files_fingerprint, model_fingerprint, tensor_fingerprint

# Modules every result depends on, whatever the method: the model classes (their weights are
# hashed separately), image decoding, and how results are stored.
COMMON_MODULES = ("helpers.models.classic", "helpers.models.default_model", "helpers.data.images",
                  "helpers.report.cache", "helpers.report.cached")
# Attributes and arguments that change how a call is shown or how fast it runs, never what it
# returns (SmoothGrad's shared passes are bit-identical to separate calls).
# what a call records on its explainer (rule coverage, where its passes ran) is a result, not a setting
NOT_IN_KEY = frozenset({"progress", "share_passes", "coverage", "passes_ran_on"})


def _helpers_module(obj: Any) -> str | None:
    """The name of the helpers module that defines ``obj`` (None outside this package)."""
    module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None) or ""
    return module if module.split(".")[0] == "helpers" else None


def dependencies(modules: set[str]) -> set[str]:
    """``modules`` and every helpers module they use, transitively: a module uses what its global
    names point at (imported modules, functions, classes), so an edit of ``layer_output`` in
    activation_maps.py reaches the cached results of ``ActivationMaximization``."""
    seen, todo = set(), list(modules)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for value in vars(importlib.import_module(name)).values():
            used = _helpers_module(value)
            if used and used not in seen:
                todo.append(used)
    return seen


class _Describer:
    """Turns call arguments into a JSON-able description and collects the source files involved."""

    def __init__(self) -> None:
        self.modules: set[str] = set()
        self._models: dict[int, str] = {}  # an explainer and its wrapper share one model: hash it once

    def _note(self, obj: Any) -> None:
        classes = type(obj).__mro__ if not isinstance(obj, (type, types.FunctionType)) else (obj,)
        self.modules.update(m for m in map(_helpers_module, classes) if m)

    def __call__(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (np.integer, np.floating, np.bool_)):
            return value.item()
        if isinstance(value, nn.Module):
            self._note(value)
            if id(value) not in self._models:
                self._models[id(value)] = model_fingerprint(value)
            return {"model": self._models[id(value)]}
        if isinstance(value, (torch.Tensor, np.ndarray)):
            return {"tensor": tensor_fingerprint(value)}
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, ImageSplit):  # labels too: in the ImageFolder layout they come from the folders
            return {"split": files_fingerprint(r.path for r in value.records), "size": value.image_size,
                    "labels": tensor_fingerprint(torch.tensor([r.label for r in value.records])),
                    "resize": value.resize_mode, "channels": value.channel_order}
        if isinstance(value, (list, tuple)):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {str(k): self(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))
                    if str(k) not in NOT_IN_KEY}
        if isinstance(value, types.MethodType):
            return {"method": value.__func__.__qualname__, "of": self(value.__self__)}
        if isinstance(value, types.FunctionType):
            self._note(value)
            return {"function": f"{value.__module__}.{value.__qualname__}"}
        if isinstance(value, functools_partial):
            return {"partial": self(value.func), "args": self(list(value.args)), "kwargs": self(value.keywords)}
        if _helpers_module(type(value)):  # an explainer or other object of this package
            self._note(value)
            state = {k: v for k, v in vars(value).items() if k not in NOT_IN_KEY}
            return {"object": type(value).__qualname__, "state": self(state)}
        raise TypeError(f"cached(): cannot use a {type(value).__name__} in a cache key; pass tensors, numbers, "
                        "strings, models, splits or objects of helpers")


def source_files(modules: set[str]) -> list[Path]:
    """The source files of ``modules``, the modules they use and :data:`COMMON_MODULES`."""
    names = dependencies(set(modules) | set(COMMON_MODULES))
    return sorted(Path(inspect.getsourcefile(importlib.import_module(name))).resolve() for name in names)


def _code_hash(files: list[Path], root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# -- storing results as plain containers of tensors (what torch.load(weights_only=True) reads) -----
def to_storable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, torch.Tensor)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, np.ndarray):
        return {"__ndarray__": torch.from_numpy(np.ascontiguousarray(value).copy())}
    if isinstance(value, Path):
        return {"__path__": str(value)}
    if isinstance(value, tuple):
        return {"__tuple__": [to_storable(v) for v in value]}
    if isinstance(value, list):
        return [to_storable(v) for v in value]
    if isinstance(value, dict):
        return {"__items__": [[to_storable(k), to_storable(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and _helpers_module(type(value)):
        stored = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.default is None and item is not None and not _storable(item):
                continue  # e.g. LimeResult.explanation (lime's own object): optional, rebuilt as None
            stored[f.name] = to_storable(item)
        return {"__dataclass__": f"{type(value).__module__}:{type(value).__qualname__}", "fields": stored}
    raise TypeError(f"cached(): cannot store a {type(value).__name__}")


def _storable(value: Any) -> bool:
    try:
        to_storable(value)
    except TypeError:
        return False
    return True


def from_storable(value: Any) -> Any:
    if isinstance(value, list):
        return [from_storable(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        return value["__ndarray__"].numpy()
    if "__path__" in value:
        return Path(value["__path__"])
    if "__tuple__" in value:
        return tuple(from_storable(v) for v in value["__tuple__"])
    if "__items__" in value:
        return {from_storable(k): from_storable(v) for k, v in value["__items__"]}
    if "__dataclass__" in value:
        module, qualname = value["__dataclass__"].split(":")
        if module.split(".")[0] != "helpers":  # only this package's dataclasses are ever rebuilt
            raise ValueError(f"cache entry names a foreign class {module}.{qualname}")
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        fields = {k: from_storable(v) for k, v in value["fields"].items()}
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        obj = cls(**{k: v for k, v in fields.items() if k in init})
        for k, v in fields.items():
            if k not in init:
                setattr(obj, k, v)
        return obj
    return {k: from_storable(v) for k, v in value.items()}


def call_key(fn: Callable, args: tuple, kwargs: dict) -> tuple[str, dict]:
    """The cache kind (what is called) and key parts (with what, and the code behind it)."""
    describe = _Describer()
    what = describe(fn)
    if isinstance(fn, types.MethodType):
        kind = f"{type(fn.__self__).__name__}.{fn.__func__.__name__}"
    else:
        kind = getattr(fn, "__qualname__", type(fn).__name__)
    parts = {"call": what, "args": describe(list(args)), "kwargs": describe(kwargs)}
    parts["code"] = _code_hash(source_files(describe.modules))
    return kind, parts


def cached(cache: ResultCache, fn: Callable | Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` (``fn.attribute(...)`` for an explainer), served from ``cache`` when
    the same call was made before with the same models, data, settings and code."""
    target = fn if isinstance(fn, (types.FunctionType, types.MethodType)) else getattr(fn, "attribute", fn)
    kind, parts = call_key(target, args, kwargs)
    stored = cache.get_or_compute(kind, parts, lambda: to_storable(target(*args, **kwargs)))
    return from_storable(stored)


def _target_of(target: Any, i: int) -> int | None:
    """Image ``i``'s class from an explainer's ``target`` (None, an int, or one class per image)."""
    if target is None or isinstance(target, (int, np.integer)):
        return None if target is None else int(target)
    return int(torch.as_tensor(target).reshape(-1)[i])


def cached_per_image(cache: ResultCache, fn: Callable | Any, images: Tensor, target: Any = None,
                     chunk: int | None = None, **kwargs: Any) -> Tensor:
    """``fn(images, target=target, **kwargs)`` (``fn.attribute`` for an explainer), stored one
    image at a time: each image's map is keyed by the call (as :func:`cached`), that image's
    values and its target. Images already stored are read; only the others are computed (``chunk``
    at a time). Only for methods whose map of an image does not depend on the other images of the
    call (every explainer of helpers.explain: SmoothGrad draws each image's noise alike).
    ``chunk``: images per call (None: all missing ones in one call). A backward pass holds every
    activation of its batch, so plain gradient methods want it; SmoothGrad batches its noisy
    passes itself and shares them with its partner only within one call, so it wants None.
    Returns the (N, ...) maps in the order of ``images``."""
    if chunk is not None and chunk < 1:
        raise ValueError(f"chunk must be >= 1 or None, got {chunk}")
    call = fn if isinstance(fn, (types.FunctionType, types.MethodType)) else getattr(fn, "attribute", fn)
    kind, parts = call_key(call, (), kwargs)  # the model, settings and code: hashed once for all images
    n = images.shape[0]
    if target is not None and not isinstance(target, (int, np.integer)) and torch.as_tensor(target).numel() != n:
        raise ValueError(f"target must be None, an int or one class per image ({n}), "
                         f"got {torch.as_tensor(target).numel()} values")
    keys = [{**parts, "image": tensor_fingerprint(images[i]), "target": _target_of(target, i)} for i in range(n)]
    found: dict[int, Tensor] = {}
    for i, key in enumerate(keys):
        hit, value = cache.get(kind, key)
        if hit:
            found[i] = from_storable(value)
    missing = [i for i in range(n) if i not in found]
    step = chunk or max(len(missing), 1)
    for start in range(0, len(missing), step):
        part = missing[start:start + step]
        rows = torch.tensor(part)
        part_target = target if target is None or isinstance(target, (int, np.integer)) else \
            torch.as_tensor(target).reshape(-1)[rows]
        computed = call(images[rows], target=part_target, **kwargs)
        if not isinstance(computed, Tensor) or computed.shape[0] != len(part):
            raise TypeError(f"cached_per_image needs a method that returns one map per image, got "
                            f"{type(computed).__name__}")
        for k, i in enumerate(part):
            found[i] = computed[k:k + 1].detach().clone()
            cache.put(kind, keys[i], found[i])
    return torch.cat([found[i] for i in range(n)]) if n else images.new_zeros((0,))
