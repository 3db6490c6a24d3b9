"""Find layers by name, so nobody counts `nn.Sequential` indices by hand.

Every module can be addressed by its qualified name from ``model.named_modules()`` (``cnn.8``,
``_blocks.3._project_conv``) or, for convenience, by an alias made from its type and rank
(``conv1`` is the first ``nn.Conv2d`` met in forward order of registration, ``relu3`` the
third ReLU...). Aliases are derived from the model, not hard-coded.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

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
    for name, module in model.named_modules():
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
        for name, module in model.named_modules()
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
    modules = dict(model.named_modules())
    if name in modules:
        return name, modules[name]
    aliases = layer_aliases(model)
    if name in aliases:
        return aliases[name], modules[aliases[name]]
    raise LayerNotFoundError(f"No layer named {name!r} in {type(model).__name__}. {_valid_names_hint(model)}")


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
