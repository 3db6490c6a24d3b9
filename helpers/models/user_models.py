"""Build the user's own network from ``model_arch``: a class in their file, or a builder by name.

* ``"path/to/model.py:Classifier"``: the file is imported (this runs the user's code, as
  ``import model`` would) and ``Classifier(**model_kwargs)`` is built;
* ``"torchvision:resnet18"``: ``torchvision.models.get_model(name, weights=None, num_classes=k)``,
  never downloading weights;
* ``"timm:<name>"``: ``timm.create_model(name, pretrained=False, num_classes=k)`` where the optional
  ``timm`` package is installed.

For a builder by name the class count ``k`` is read off the checkpoint's last layer. Every problem
raises :class:`ModelSpecError` with one message saying what was wrong and how to fix it.
"""
from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import pickle
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

FILE_SUFFIX = ".py"
BUILDER_PREFIXES = ("torchvision", "timm")


class ModelSpecError(ValueError):
    """A ``model_arch`` / ``model_kwargs`` that cannot give a model; the message says why and what to do."""


@dataclass(frozen=True)
class ArchitectureSpec:
    """A parsed ``model_arch``: ``kind`` is "default", "classic", "file", "torchvision" or "timm"."""

    kind: str
    name: str                   # the class name (file) or builder name; "" for default/classic
    path: Path | None = None    # the model file (kind "file")


def parse_architecture(architecture: str) -> ArchitectureSpec:
    """Split ``model_arch`` into its kind and name (syntax only: nothing is imported or read)."""
    if not isinstance(architecture, str) or not architecture.strip():
        raise ModelSpecError(f"model_arch must be a non-empty string, got {architecture!r}")
    if architecture in ("default", "classic"):
        return ArchitectureSpec(architecture, "")
    prefix, sep, name = architecture.partition(":")
    if sep and prefix in BUILDER_PREFIXES:
        if not name.strip():
            raise ModelSpecError(f"model_arch = {architecture!r} names no model: write e.g. '{prefix}:resnet18'")
        return ArchitectureSpec(prefix, name.strip())
    path, sep, class_name = architecture.rpartition(":")
    if sep and path.endswith(FILE_SUFFIX) and class_name.isidentifier():
        return ArchitectureSpec("file", class_name, Path(path).expanduser())
    close = difflib.get_close_matches(architecture, torchvision_names(), n=1, cutoff=0.8)
    hint = f" (for torchvision's, write 'torchvision:{close[0]}')" if close else ""
    raise ModelSpecError(f"Unknown architecture {architecture!r}: use 'default', 'classic', "
                         f"'path/to/model.py:ClassName', 'torchvision:<name>' or 'timm:<name>'{hint}")


def _close(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=4, cutoff=0.6)
    return f" Did you mean {', '.join(close)}?" if close else ""


# -- the user's file --------------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    # A name of our own, so the user's file never shadows a package (a file called torch.py)
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    return f"user_model_{path.stem if path.stem.isidentifier() else 'file'}_{digest}"


def sources_sha256(files: list[Path]) -> str:
    """SHA-256 of source files' names and contents (the model file and the local modules it imported)."""
    digest = hashlib.sha256()
    for file in sorted(set(files)):
        digest.update(file.name.encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def _imported_from(folder: Path, names: set[str]) -> list[Path]:
    files = []
    for name in names:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and Path(file).resolve().is_relative_to(folder):
            files.append(Path(file).resolve())
    return files


def import_model_file(path: Path) -> types.ModuleType:
    """Import the user's model file (running its code); its folder is on ``sys.path`` only while it
    imports, so ``from blocks import Block`` next to it works; no ``__pycache__`` is written."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ModelSpecError(f"model file {path} does not exist (model_arch = '<path to your .py file>:<class name>'; "
                             f"relative paths start at the notebook's folder, {Path.cwd()})")
    path = path.resolve()
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    saved_path, saved_bytecode = list(sys.path), sys.dont_write_bytecode
    sys.path.insert(0, str(path.parent))
    sys.dont_write_bytecode = True  # nothing is written beside the user's file
    before = set(sys.modules)
    try:
        spec.loader.exec_module(module)
        # an edit of the file or of a helper module beside it must not reuse cached maps
        module.__model_sources_sha256__ = sources_sha256([path, *_imported_from(path.parent, set(sys.modules) - before)])
    except Exception as error:  # noqa: BLE001 - any error in the user's code becomes one message
        del sys.modules[name]
        raise ModelSpecError(f"importing model file {path} failed: {type(error).__name__}: {error}") from error
    finally:
        sys.path[:] = saved_path
        sys.dont_write_bytecode = saved_bytecode
    return module


def model_class(module: types.ModuleType, class_name: str) -> type[nn.Module]:
    """The class ``class_name`` of the imported file, checked to be an ``nn.Module`` subclass."""
    found = getattr(module, class_name, None)
    if found is None:
        classes = [k for k, v in vars(module).items() if isinstance(v, type) and issubclass(v, nn.Module)
                   and v.__module__ == module.__name__]
        raise ModelSpecError(f"model file {module.__file__} has no class {class_name!r}; its nn.Module classes: "
                             f"{', '.join(classes) or 'none'}.{_close(class_name, classes)}")
    if not (isinstance(found, type) and issubclass(found, nn.Module)):
        raise ModelSpecError(f"{class_name} in {module.__file__} is a {type(found).__name__}, not a torch.nn.Module "
                             "subclass")
    return found


def construct(cls: type[nn.Module], model_kwargs: Mapping) -> nn.Module:
    """``cls(**model_kwargs)``; a constructor that raises gives its message."""
    try:
        return cls(**dict(model_kwargs))
    except Exception as error:  # noqa: BLE001 - the user's constructor may raise anything
        raise ModelSpecError(f"{cls.__name__}(**{dict(model_kwargs)!r}) raised {type(error).__name__}: {error}. "
                             "Check model_kwargs (the constructor's arguments).") from error


def user_pickle_module(module: types.ModuleType) -> types.ModuleType:
    """A ``pickle_module`` for ``torch.load`` that finds the user's classes in ``module`` where the
    pickle names a module that cannot be imported here (``__main__`` of a training notebook, the
    file's own name)."""

    class Unpickler(pickle.Unpickler):
        def find_class(self, module_name: str, name: str):  # noqa: ANN202 - pickle's signature
            if module_name == "__main__" and hasattr(module, name):
                return getattr(module, name)
            try:
                return super().find_class(module_name, name)
            except (ImportError, AttributeError):
                if hasattr(module, name):
                    return getattr(module, name)
                raise

    shim = types.ModuleType("user_model_pickle")
    shim.__dict__.update({k: getattr(pickle, k) for k in ("load", "loads", "dump", "dumps", "Pickler",
                                                          "UnpicklingError", "HIGHEST_PROTOCOL")})
    shim.Unpickler = Unpickler
    return shim


# -- builders by name -----------------------------------------------------------------------------
def torchvision_names() -> list[str]:
    import torchvision

    return sorted(torchvision.models.list_models(module=torchvision.models))


def _timm():
    try:
        return importlib.import_module("timm")
    except ImportError as error:
        raise ModelSpecError("model_arch 'timm:<name>' needs the optional package timm, which is not installed "
                             "(pip install timm); torchvision:<name> and your own model file need nothing more") from error


def build_by_name(spec: ArchitectureSpec, num_classes: int | None, model_kwargs: Mapping | None = None) -> nn.Module:
    """A torchvision or timm classifier without pretrained weights (nothing is downloaded)."""
    kwargs = dict(model_kwargs or {}) | ({} if num_classes is None else {"num_classes": num_classes})
    if spec.kind == "torchvision":
        import torchvision

        names = torchvision_names()
        if spec.name not in names:
            raise ModelSpecError(f"torchvision has no classification model {spec.name!r}.{_close(spec.name, names)} "
                                 "The names: torchvision.models.list_models(module=torchvision.models)")
        build, call = torchvision.models.get_model, f"torchvision.models.get_model({spec.name!r}, weights=None"
        kwargs["weights"] = None
    else:
        timm = _timm()
        if not timm.is_model(spec.name):
            raise ModelSpecError(f"timm has no model {spec.name!r}.{_close(spec.name, list(timm.list_models()))}")
        build, call = timm.create_model, f"timm.create_model({spec.name!r}, pretrained=False"
        kwargs["pretrained"] = False
    try:
        return build(spec.name, **kwargs)
    except Exception as error:  # noqa: BLE001 - e.g. a model_kwargs key the builder does not take
        shown = {k: v for k, v in kwargs.items() if k not in ("weights", "pretrained")}
        raise ModelSpecError(f"{call}, **{shown!r}) raised {type(error).__name__}: {error}. Check model_kwargs.") from error


def classifier_key(model: nn.Module) -> str:
    """The state_dict key of the model's last layer's weight (``fc.weight``, ``classifier.3.weight``)."""
    keys = [k for k, v in model.state_dict().items() if k.endswith("weight") and v.ndim >= 2]
    if not keys:
        raise ModelSpecError(f"{type(model).__name__} has no layer with a 2-D weight: cannot tell its class count")
    return keys[-1]


def classes_in_checkpoint(state: Mapping[str, torch.Tensor], key: str) -> int | None:
    """The class count of a checkpoint: the output size of ``key`` (``module.`` prefixes allowed)."""
    for prefix in ("", "module.", "_orig_mod."):
        if prefix + key in state:
            return int(state[prefix + key].shape[0])
    return None
