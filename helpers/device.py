"""Where computations run and whether they may draw progress bars: the device (CUDA when
available, else the CPU; the user can override), a model's device, and the terminal check."""
from __future__ import annotations

import os
import sys

import torch
from torch import nn


def pick_device(preference: str | torch.device | None = "auto") -> torch.device:
    """``"auto"``/None -> cuda if available else cpu; ``"cpu"``, ``"cuda"``, ``"cuda:1"`` as asked."""
    if preference is None or str(preference) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(preference)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"Unknown device {preference!r}: use 'auto', 'cpu' or 'cuda'.") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"Device {preference!r} was asked for but CUDA is not available here: "
                         "use device='auto' or 'cpu'.")
    return device


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU for a parameter-free model)."""
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return torch.device("cpu")


def progress_enabled(progress: bool | None) -> bool:
    """Progress bars only where they render as text: an interactive terminal, not a notebook or
    a PDF export (widgets become ``HBox(children=...)`` junk there). TQDM_DISABLE=1 wins."""
    if os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("", "0", "false"):
        return False
    if progress is not None:
        return bool(progress)
    return sys.stderr is not None and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
