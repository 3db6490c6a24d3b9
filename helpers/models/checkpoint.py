"""Load a user's checkpoint safely and say exactly what does not fit.

``torch.load`` of a pickle can run arbitrary code, so checkpoints are read with
``weights_only=True``. A whole pickled model (``torch.save(model)``) is only read with the explicit
opt-in ``allow_pickle=True``, for files you made yourself.
"""
from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

_WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "weights")


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the model."""


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


def read_state_dict(path: str | Path, allow_pickle: bool = False) -> dict[str, torch.Tensor]:
    """Read a checkpoint file into a plain state_dict (on the CPU)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(f"Checkpoint {path} does not exist (or is not a file). Pass the path of a "
                              "state_dict saved with torch.save(model.state_dict(), path).")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=not allow_pickle)
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"{path} is not a plain state_dict: it contains pickled Python objects (probably a whole "
            "model saved with torch.save(model)). Loading it could run code from the file, so it is "
            "refused by default. If you made this file yourself and trust it, pass allow_pickle=True "
            "(report parameter checkpoint_allow_pickle=True); better, re-save it with "
            f"torch.save(model.state_dict(), path). Detail: {str(error).splitlines()[0]}") from error
    except (RuntimeError, EOFError, OSError) as error:
        raise CheckpointError(f"Cannot read checkpoint {path}: {error}. Is it a file written by torch.save?") from error
    return dict(_unwrap(obj))


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


def load_checkpoint(model: nn.Module, path: str | Path, allow_pickle: bool = False) -> nn.Module:
    """Load a checkpoint into ``model`` (strict); raise CheckpointError naming what does not fit."""
    state = _strip_prefix(read_state_dict(path, allow_pickle), set(model.state_dict()))
    problems = describe_mismatch(model, state)
    if problems:
        raise CheckpointError(
            f"Checkpoint {path} does not fit {type(model).__name__}:\n  " + "\n  ".join(problems) +
            "\nCheck the architecture parameters (model_arch, num_classes, input_size, dropout variant).")
    model.load_state_dict(state, strict=True)
    return model
