"""Load a user's checkpoint safely and say exactly what does not fit.

``torch.load`` of a pickle can run arbitrary code, so checkpoints are read with
``weights_only=True``. A whole pickled model (``torch.save(model)``) is only read with the explicit
opt-in ``allow_pickle=True``, for files you made yourself.

Before loading, the file's structure is checked without executing anything (zip directory, pickle
opcodes), so that an empty file, a file that is not a PyTorch checkpoint at all (random bytes, text,
a truncated download) and a real checkpoint holding pickled Python objects get different messages:
only the last one may be loaded with ``allow_pickle=True``.
"""
from __future__ import annotations

import pickle
import pickletools
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "weights")
# torch.save's older (non-zip) format starts with this pickled magic number.
_LEGACY_MAGIC = pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol=2)
_EXPECTED = "Expected a file written by torch.save(model.state_dict(), path)."


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the model."""


def unwrap_state_dict(obj: object) -> Mapping[str, torch.Tensor]:
    """The state_dict inside what a checkpoint file holds (a model, a wrapper dict, the dict itself)."""
    return _unwrap(obj)


def _unwrap(obj: object) -> Mapping[str, torch.Tensor]:
    if isinstance(obj, nn.Module):
        return obj.state_dict()
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"The checkpoint holds a {type(obj).__name__}, not a state_dict.")
    if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return obj
    for key in _WRAPPER_KEYS:  # {'state_dict': ..., 'epoch': ...} and similar training wrappers
        if key in obj:
            return _unwrap(obj[key])
    raise CheckpointError("The checkpoint is a dict but no state_dict was found in it (looked for "
                          f"tensors or the keys {', '.join(_WRAPPER_KEYS)}; it has: "
                          f"{', '.join(map(str, list(obj)[:10]))}).")


def _strip_prefix(state: Mapping[str, torch.Tensor], model_keys: set[str]) -> dict[str, torch.Tensor]:
    # DataParallel/DistributedDataParallel save 'module.'-prefixed keys; torch.compile '_orig_mod.'.
    state = dict(state)
    for prefix in ("module.", "_orig_mod."):
        if state and all(k.startswith(prefix) for k in state) and not any(k.startswith(prefix) for k in model_keys):
            state = {k[len(prefix):]: v for k, v in state.items()}
    return state


def _is_complete_pickle(stream) -> bool:
    """True when ``stream`` holds a well-formed pickle up to its STOP opcode (read, never executed)."""
    try:
        for opcode, _, _ in pickletools.genops(stream):
            if opcode.name == "STOP":
                return True
    except (ValueError, EOFError, pickle.UnpicklingError, UnicodeDecodeError):
        return False
    return False


def torch_file_format(path: str | Path) -> str | None:
    """``"zip"`` or ``"legacy"`` when ``path`` is structurally a ``torch.save`` file, else None.

    Only the zip directory and the pickle opcodes are read; nothing in the file is executed.
    """
    path = Path(path)
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
                if len(pickles) != 1:
                    return None
                with archive.open(pickles[0]) as stream:
                    return "zip" if _is_complete_pickle(stream) else None
        except (zipfile.BadZipFile, OSError, EOFError):
            return None
    with path.open("rb") as stream:
        if stream.read(len(_LEGACY_MAGIC)) != _LEGACY_MAGIC:
            return None
        # After the magic number: protocol version, system info and the saved object, three pickles.
        return "legacy" if all(_is_complete_pickle(stream) for _ in range(3)) else None


def _looks_like(path: Path) -> str:
    """A few words on what a file that is not a torch checkpoint seems to be."""
    with path.open("rb") as stream:
        head = stream.read(512)
    if head.startswith(b"PK"):
        return "a damaged or truncated zip archive (an interrupted save, copy or download?)"
    if head.startswith(b"\x80") and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a plain Python pickle, not one written by torch.save"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data in no format torch.save writes"
    first = text.strip().splitlines()[0][:60] if text.strip() else ""
    return f"a text file (it starts with {first!r})"


def _unsupported_globals(error: Exception) -> str:
    """The classes named in torch's weights-only refusal, e.g. ``helpers.models.classic.Food11CNN``."""
    names = sorted(set(re.findall(r"Unsupported global: GLOBAL ([\w.]+)", str(error))))
    return ", ".join(names) if names else str(error).splitlines()[0]


def read_state_dict(path: str | Path, allow_pickle: bool = False) -> dict[str, torch.Tensor]:
    """Read a checkpoint file into a plain state_dict (on the CPU).

    Raises CheckpointError saying whether the file is missing, empty, not a PyTorch checkpoint,
    or a checkpoint with pickled Python objects (loadable only with ``allow_pickle=True``).
    """
    return dict(_unwrap(read_checkpoint(path, allow_pickle)))


def read_checkpoint(path: str | Path, allow_pickle: bool = False, pickle_module: object = None) -> object:
    """What the checkpoint file holds (a state_dict, a training wrapper dict, or with
    ``allow_pickle=True`` a whole model), with the checks and messages of :func:`read_state_dict`.
    ``pickle_module`` (for ``allow_pickle=True``) may resolve classes the pickle names, such as a
    user's ``__main__.Net``."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(f"Checkpoint {path} does not exist (or is not a file). Pass the path of a "
                              "state_dict saved with torch.save(model.state_dict(), path).")
    if path.stat().st_size == 0:
        raise CheckpointError(f"Checkpoint {path} is empty (0 bytes): the save, copy or download that made it "
                              f"did not finish. {_EXPECTED}")
    if torch_file_format(path) is None:
        raise CheckpointError(f"{path} is not a PyTorch checkpoint: it looks like {_looks_like(path)}. "
                              f"{_EXPECTED}")
    try:
        extra = {"pickle_module": pickle_module} if allow_pickle and pickle_module is not None else {}
        obj = torch.load(path, map_location="cpu", weights_only=not allow_pickle, **extra)
    except pickle.UnpicklingError as error:
        if allow_pickle:
            raise CheckpointError(f"Cannot unpickle checkpoint {path}: {error}. {_EXPECTED}") from error
        raise CheckpointError(
            f"{path} is not a plain state_dict: it contains pickled Python objects (probably a whole "
            "model saved with torch.save(model)). Loading it could run code from the file, so it is "
            "refused by default. If you made this file yourself and trust it, pass allow_pickle=True "
            "(report parameter checkpoint_allow_pickle=True); better, re-save it with "
            f"torch.save(model.state_dict(), path). It refers to: {_unsupported_globals(error)}") from error
    except (ImportError, AttributeError) as error:
        # allow_pickle=True on a whole model whose class cannot be imported here (e.g. __main__.Net).
        raise CheckpointError(f"{path} holds a pickled object whose class cannot be imported here ({error}). "
                              "Re-save it where it was made with torch.save(model.state_dict(), path).") from error
    except (RuntimeError, EOFError, OSError, KeyError, ValueError) as error:
        detail = str(error).splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"Cannot read checkpoint {path}: {detail}. The file may be damaged or "
                              f"truncated. {_EXPECTED}") from error
    return obj


def describe_mismatch(model: nn.Module, state: Mapping[str, torch.Tensor]) -> list[str]:
    """Human-readable lines for missing keys, unexpected keys and shapes that differ."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}"
              for k, v in expected.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]

    def listed(title: str, items: list[str]) -> list[str]:
        if not items:
            return []
        more = f" ... and {len(items) - 8} more" if len(items) > 8 else ""
        return [f"{title} ({len(items)}): {', '.join(items[:8])}{more}"]

    return listed("missing keys", missing) + listed("unexpected keys", unexpected) + listed("shapes that differ", shapes)


def load_checkpoint(model: nn.Module, path: str | Path, allow_pickle: bool = False,
                    state: Mapping[str, torch.Tensor] | None = None) -> nn.Module:
    """Load a checkpoint into ``model`` (strict); raise CheckpointError naming what does not fit.
    ``state``: the file's state_dict when already read (it is then not read again)."""
    state = _strip_prefix(read_state_dict(path, allow_pickle) if state is None else state, set(model.state_dict()))
    problems = describe_mismatch(model, state)
    if problems:
        raise CheckpointError(
            f"Checkpoint {path} does not fit {type(model).__name__}:\n  " + "\n  ".join(problems) +
            "\nCheck the architecture parameters (model_arch, model_kwargs, num_classes, input_size, dropout variant).")
    model.load_state_dict(state, strict=True)
    return model
