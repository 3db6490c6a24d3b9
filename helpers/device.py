"""Pick the device: CUDA when available, else the CPU; the user can override."""
from __future__ import annotations

import torch


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
