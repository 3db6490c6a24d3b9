"""What a convolution filter responds to in real images: a layer's output for a batch, and one
filter's activation maps with their per-image means (to rank images or classes by it)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from helpers.device import model_device
from helpers.models.layers import check_filter_index, layer_name, resolve_layer

from .base import check_inputs, frozen_eval


class _LayerOutputReached(Exception):
    """Raised by the hook to stop the forward pass once the layer's output is known."""


def resolve_layer_or_module(model: nn.Module, layer: str | nn.Module) -> tuple[str, nn.Module]:
    """``(qualified_name, module)`` for a layer given by name, alias (``conv3``) or as the module itself."""
    if not isinstance(model, nn.Module):
        hint = " (a LoadedModel holds it as .model)" if hasattr(model, "model") else ""
        raise TypeError(f"model must be a torch.nn.Module{hint}, got {type(model).__name__}")
    if isinstance(layer, nn.Module):
        name = layer_name(model, layer)  # the user's name, also inside a preprocessing wrapper
        if name is not None:
            return name, layer
        raise ValueError(f"the given {type(layer).__name__} module is not a submodule of {type(model).__name__}; "
                         "pass one of model.named_modules() or its name")
    return resolve_layer(model, layer)


def layer_output(model: nn.Module, layer: str | nn.Module, x: Tensor, stop_early: bool = True) -> Tensor:
    """The output of ``layer`` (a name, an alias such as ``conv3``, or the module) for the batch ``x``.

    With ``stop_early`` the rest of the network is not run (the layer's output is all that is
    needed, and the classifier head may not even accept other input sizes). A module that runs
    several times per forward pass gives its first output. The model's mode and gradient
    settings are left to the caller: wrap the call in ``torch.no_grad()`` when no gradient is needed.
    """
    _, module = resolve_layer_or_module(model, layer)
    outputs: list[Tensor] = []

    def hook(_module: nn.Module, _args: tuple, output: Tensor) -> None:
        outputs.append(output)
        if stop_early:
            raise _LayerOutputReached

    handle = module.register_forward_hook(hook)
    try:
        model(x)
    except _LayerOutputReached:
        pass
    finally:
        handle.remove()
    if not outputs:
        raise ValueError(f"layer {layer if isinstance(layer, str) else type(layer).__name__!r} did not run during "
                         "the forward pass: choose a layer that the model's forward() uses")
    return outputs[0]


@dataclass
class ActivationMaps:
    """Activation maps of one filter: ``maps`` (N, h, w) and ``mean`` (N,) per image."""

    layer: str
    filter_index: int
    maps: Tensor
    mean: Tensor


def activation_maps(model: nn.Module, layer: str, images: Tensor, filter_index: int,
                    batch_size: int = 32, eval_mode: bool = True) -> ActivationMaps:
    """Output channel ``filter_index`` of ``layer`` for each image (forward hook, no gradients).

    The mean activation per image lets the report rank images / classes by how much they
    excite the filter. The forward pass stops at the layer (the rest is not needed).
    """
    check_inputs(images)
    qualified, module = resolve_layer(model, layer)
    check_filter_index(model, layer, filter_index)
    device = model_device(model)
    maps = []
    with frozen_eval(model, eval_mode), torch.inference_mode():
        for start in range(0, images.shape[0], batch_size):
            out = layer_output(model, module, images[start:start + batch_size].to(device), stop_early=True)
            maps.append(out[:, filter_index].float().cpu())
    maps_t = torch.cat(maps)
    return ActivationMaps(layer=qualified, filter_index=filter_index, maps=maps_t, mean=maps_t.mean(dim=(1, 2)))
