"""Find layers by name, so nobody counts `nn.Sequential` indices by hand.

Every module can be addressed by its qualified name from ``model.named_modules()`` (``cnn.8``,
``_blocks.3._project_conv``) or, for convenience, by an alias made from its type and rank
(``conv1`` is the first ``nn.Conv2d`` met in forward order of registration, ``relu3`` the
third ReLU...). Aliases are derived from the model, not hard-coded.

Names are always the user's own: for a model wrapped in
:class:`~helpers.models.preprocessing.Preprocessed` (channel order and normalisation inside), names
are listed and resolved inside the wrapped network, without the wrapper's prefix.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from helpers.models.preprocessing import unwrap

_ALIAS_PREFIX = {
    nn.Conv2d: "conv",
    nn.BatchNorm2d: "bn",
    nn.ReLU: "relu",
    nn.ReLU6: "relu",
    nn.MaxPool2d: "pool",
    nn.Linear: "fc",
}


@dataclass(frozen=True)
class ConvLayerInfo:
    """One convolution of a model: its names and the number of filters (output channels)."""

    name: str
    alias: str
    out_channels: int
    kernel_size: tuple[int, ...]
    groups: int


class LayerNotFoundError(KeyError):
    """Raised when a layer name is not in the model; the message lists the valid names."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def _alias_prefix(module: nn.Module) -> str | None:
    for module_type, prefix in _ALIAS_PREFIX.items():
        if type(module) is module_type or (module_type is nn.Conv2d and isinstance(module, nn.Conv2d)):
            return prefix
    return None


def layer_aliases(model: nn.Module) -> dict[str, str]:
    """Map readable aliases (``conv1``, ``relu2``, ``fc3``...) to qualified module names."""
    counts: dict[str, int] = {}
    aliases: dict[str, str] = {}
    for name, module in unwrap(model).named_modules():
        prefix = _alias_prefix(module)
        if prefix is None or not name:
            continue
        counts[prefix] = counts.get(prefix, 0) + 1
        aliases[f"{prefix}{counts[prefix]}"] = name
    return aliases


def conv_layers(model: nn.Module) -> list[ConvLayerInfo]:
    """List the model's 2-D convolutions in registration order, with aliases and filter counts."""
    qualified_to_alias = {v: k for k, v in layer_aliases(model).items()}
    return [
        ConvLayerInfo(name=name, alias=qualified_to_alias.get(name, name), out_channels=module.out_channels,
                      kernel_size=tuple(module.kernel_size), groups=module.groups)
        for name, module in unwrap(model).named_modules()
        if isinstance(module, nn.Conv2d)
    ]


def _valid_names_hint(model: nn.Module) -> str:
    convs = conv_layers(model)
    shown = ", ".join(f"{c.alias} ({c.name}, {c.out_channels} filters)" for c in convs[:12])
    more = f", ... {len(convs) - 12} more" if len(convs) > 12 else ""
    return (f"Convolution layers: {shown}{more}. Any name from model.named_modules() also works; "
            "list them with helpers.models.layers.conv_layers(model).")


def resolve_layer(model: nn.Module, name: str) -> tuple[str, nn.Module]:
    """Return ``(qualified_name, module)`` for a qualified name or an alias such as ``conv3``."""
    if not isinstance(name, str) or not name:
        raise LayerNotFoundError(f"Layer name must be a non-empty string, got {name!r}. {_valid_names_hint(model)}")
    modules = dict(unwrap(model).named_modules())
    if name in modules and name:
        return name, modules[name]
    aliases = layer_aliases(model)
    if name in aliases:
        return aliases[name], modules[aliases[name]]
    raise LayerNotFoundError(f"No layer named {name!r} in {type(unwrap(model)).__name__}. {_valid_names_hint(model)}")


def check_filter_index(model: nn.Module, layer: str, index: int) -> int:
    """Range-check a filter (output channel) index of a conv layer; return the channel count."""
    qualified, module = resolve_layer(model, layer)
    channels = getattr(module, "out_channels", None)
    if channels is None:
        raise ValueError(f"Layer {layer!r} ({qualified}, {type(module).__name__}) has no filters; "
                         f"choose a convolution. {_valid_names_hint(model)}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < channels:
        raise IndexError(f"Filter index {index!r} is out of range for layer {layer!r} ({qualified}), "
                         f"which has {channels} filters: use 0..{channels - 1}.")
    return channels


def layer_name(model: nn.Module, module: nn.Module) -> str | None:
    """The qualified name of ``module`` inside ``model`` (the user's name, without a wrapper's prefix)."""
    return next((name for name, m in unwrap(model).named_modules() if m is module and name), None)


@dataclass(frozen=True)
class ConvOutput:
    """A convolution as it ran in one forward: its name and output shape (C, H, W)."""

    name: str
    shape: tuple[int, ...]

    @property
    def spatial(self) -> bool:
        return len(self.shape) == 3 and self.shape[1] * self.shape[2] > 1


def conv_outputs(model: nn.Module, input_size: int) -> list[ConvOutput]:
    """Every ``nn.Conv2d`` in the order a forward of one zero image at ``input_size`` runs it, with its
    output shape (a convolution called twice is listed at its last call). The model's mode is kept."""
    names = {module: name for name, module in unwrap(model).named_modules() if isinstance(module, nn.Conv2d)}
    order: dict[str, tuple[int, ...]] = {}

    def record(module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        order.pop(names[module], None)
        order[names[module]] = tuple(output.shape[1:])

    handles = [module.register_forward_hook(record) for module in names]
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, input_size, input_size, device=device))
    finally:
        for handle in handles:
            handle.remove()
    return [ConvOutput(name, shape) for name, shape in order.items()]


def default_gradcam_layer(model: nn.Module, input_size: int) -> str:
    """Grad-CAM's default layer: the last convolution run whose output still has a spatial extent
    (a 1x1 map, as in a head made of convolutions, would give a constant map)."""
    spatial = [c.name for c in conv_outputs(model, input_size) if c.spatial]
    if not spatial:
        raise LayerNotFoundError(f"{type(unwrap(model)).__name__} has no convolution with a spatial output at "
                                 f"{input_size}x{input_size} input: Grad-CAM needs one. {_valid_names_hint(model)}")
    return spatial[-1]


def default_filter_layer(model: nn.Module, input_size: int) -> str:
    """The filter section's default layer for any model: the middle convolution (in forward order) of
    those with a spatial output, mid-level features between edges and object parts (``conv3`` of
    the classic model's five)."""
    spatial = [c.name for c in conv_outputs(model, input_size) if c.spatial]
    if not spatial:
        raise LayerNotFoundError(f"{type(unwrap(model)).__name__} has no convolution with a spatial output at "
                                 f"{input_size}x{input_size} input. {_valid_names_hint(model)}")
    return spatial[len(spatial) // 2]
