"""A faster copy of a model for the many passes of LIME and SmoothGrad; the user's model is untouched.

The copy (built per call, so it always reflects the model's current weights):
* merges a symmetric zero padding into the convolution it feeds (the convolution pads by itself,
  without writing a padded copy of its input, and backward has no slice to copy back): a
  ``nn.ZeroPad2d`` / ``F.pad`` node before a plain ``nn.Conv2d``, and a ``nn.Conv2d`` subclass whose
  forward is "pad, then ``F.conv2d`` with its own weight" (EfficientNet's static same padding),
  which becomes a plain ``nn.Conv2d``; padding that is not symmetric (TensorFlow's "same" at
  stride 2) stays as written. EfficientNet-Lite0 at 224 px: 12 of its 17 paddings, about 10 % of
  a forward + backward pass;
* folds every eval-mode BatchNorm into the convolution before it (torch's ``fuse_conv_bn_eval``
  on a ``torch.fx`` trace; unlike ``torch.fx.experimental.optimization.fuse`` it also folds into
  subclasses of ``nn.Conv2d``, such as EfficientNet's same-padding convolutions): the
  normalisation's forward and backward disappear;
* max-pools before rectifying where a rectifier feeds only a max-pool whose windows do not
  overlap: max and a monotone rectifier commute, so the values are the same bit for bit, and so
  are the plain and the guided gradient (with overlapping windows, as in ResNet's stem, an input
  collects gradient from several windows and the guided rule's max(g, 0) of the sum is not the sum
  of each window's; the deconvnet rule is never the same: it passes gradient through windows with
  no positive input, so Deconvnet does not run on the copy); the rectifier then works on a
  quarter of the values;
* runs its rectifiers in place where what they rectify is a fresh convolution / linear /
  BatchNorm / max-pool output that nothing else reads: no new tensor per activation.

Rectifiers are ``nn.ReLU`` / ``nn.ReLU6`` modules and the functional calls ``F.relu``,
``torch.relu``, ``x.relu()`` and ``F.relu6`` (``torch.fx`` records those as function or method
calls); max-pools are ``nn.MaxPool2d`` modules and ``F.max_pool2d`` calls. Anything else is left as
the model wrote it. Every rectifier call of the copy is still one call that the explainers'
rule sees (:mod:`helpers.explain.rectifier_rules`).
* keeps its 4-D weights in channels_last memory format (inputs are converted by the callers).

Measured by bench/bench_methods.py on the classic model at batch 8 on this project's 2-core CPU:
LIME's forwards cost 0.8-0.9x the plain model's channels_last forward, and SmoothGrad's forward +
guided backward 0.8x the plain channels_last pass (0.6x the plain contiguous one). Outputs equal
the model's up to float32 rounding (the folded weights are rounded once), checked on a probe batch
before the copy is used.

No copy (``None``) when it could change what is computed or cannot be made: a module in training
mode (BatchNorm would use batch statistics, Dropout would drop), hooks on any module (a traced copy
runs hooks of leaf modules only), a forward that ``torch.fx`` cannot trace (data-dependent control
flow), or a copy whose output on the probe differs from the model's beyond rounding.
"""
from __future__ import annotations

import copy
from collections import Counter, defaultdict

import torch
import torch.nn.functional as F
from torch import Tensor, fx, nn
from torch.fx.experimental.optimization import replace_node_module
from torch.nn.utils.fusion import fuse_conv_bn_eval

from helpers.device import model_device

RECTIFIERS = (nn.ReLU, nn.ReLU6)
_RECTIFIER_FUNCTIONS = (F.relu, torch.relu, F.relu6)  # call_function targets, optional `inplace` keyword
# modules whose output is a new tensor (never a view of their input): rectifying it in place is safe
_FRESH_OUTPUT = (nn.modules.conv._ConvNd, nn.Linear, nn.modules.batchnorm._BatchNorm, nn.MaxPool2d)


def make_fast_copy(model: nn.Module, probe: Tensor) -> nn.Module | None:
    """The faster copy described in the module docstring, or None where it must not be used.

    ``probe``: a small input batch on the model's device (one or a few real inputs); the copy's
    output on it must equal the model's to rtol 1e-4 (relative to the largest logit).
    """
    return fast_copy_or_reason(model, probe)[0]


def fast_copy_or_reason(model: nn.Module, probe: Tensor) -> tuple[nn.Module | None, str]:
    """``(copy, "")``, or ``(None, why no copy is used)`` for callers that say where passes ran."""
    if any(m.training for m in model.modules()):
        return None, "a module is in training mode"
    if _has_module_hooks(model):
        return None, "the model has module hooks, which a traced copy would not run"
    try:
        faster = _traced_copy(model)
    except Exception as error:  # noqa: BLE001 - an untraceable forward simply means: no copy
        return None, f"torch.fx cannot trace its forward ({type(error).__name__})"
    faster.eval().requires_grad_(False)
    _merge_zero_padding(faster)
    _fold_batchnorm(faster)
    _pool_before_rectifying(faster)
    _rectify_in_place(faster)
    faster = faster.to(memory_format=torch.channels_last)
    probe = probe.to(model_device(model))  # callers may hold their images on the CPU (a CUDA model)
    with torch.no_grad():
        reference = model(probe)
        output = faster(probe.contiguous(memory_format=torch.channels_last) if probe.dim() == 4 else probe)
    if not (isinstance(reference, Tensor) and isinstance(output, Tensor) and output.shape == reference.shape
            and torch.allclose(output, reference, rtol=1e-4,
                               atol=1e-4 * float(reference.abs().max()) + 1e-6)):
        return None, "the copy's output on a probe differed from the model's beyond rounding"
    return faster, ""


class _ConvLeafTracer(fx.Tracer):
    """Keeps every convolution (subclasses too) and BatchNorm as one module call in the graph."""

    def is_leaf_module(self, module: nn.Module, qualified_name: str) -> bool:
        return isinstance(module, (nn.modules.conv._ConvNd, nn.modules.batchnorm._BatchNorm)) or \
            super().is_leaf_module(module, qualified_name)


def _traced_copy(model: nn.Module) -> fx.GraphModule:
    root = copy.deepcopy(model)
    return fx.GraphModule(root, _ConvLeafTracer().trace(root))


def _zero_padding(node: fx.Node, modules: dict[str, nn.Module]) -> tuple[int, int] | None:
    """(rows, columns) a node pads on each side when it is a symmetric 2-D zero padding of its one
    positional input, else None."""
    if node.op == "call_module" and isinstance(modules.get(node.target), nn.ConstantPad2d) \
            and len(node.args) == 1 and not node.kwargs:
        pad, value = modules[node.target].padding, modules[node.target].value
    elif node.op == "call_function" and node.target is F.pad and len(node.args) >= 2:
        names = ("input", "pad", "mode", "value")
        given = dict(zip(names, node.args)) | dict(node.kwargs)
        if set(given) - set(names) or given.get("mode", "constant") != "constant":
            return None
        pad, value = given["pad"], given.get("value") or 0
    else:
        return None
    if not (isinstance(pad, (tuple, list)) and len(pad) == 4 and all(type(p) is int and p >= 0 for p in pad)
            and value == 0):
        return None
    left, right, top, bottom = pad
    return (top, left) if left == right and top == bottom else None


def _plain_conv(module: nn.Module) -> nn.Conv2d | None:
    """A plain ``nn.Conv2d`` (sharing the parameters) that computes what a ``nn.Conv2d`` subclass's
    own forward computes, when that forward is ``F.conv2d`` of its input with the module's weight
    and bias, after at most one symmetric zero padding; None for any other forward."""
    if not isinstance(module, nn.Conv2d) or type(module) is nn.Conv2d or module.padding_mode != "zeros":
        return None
    try:
        graph = fx.Tracer().trace(module)
    except Exception:  # noqa: BLE001 - a forward fx cannot follow is simply left as it is
        return None
    modules = dict(module.named_modules())
    inputs = [n for n in graph.nodes if n.op == "placeholder"]
    calls = [n for n in graph.nodes if n.op in ("call_module", "call_function", "call_method")]
    if len(inputs) != 1 or not calls or len(calls) > 2 or calls[-1].op != "call_function" \
            or calls[-1].target is not F.conv2d:
        return None
    extra = (0, 0)
    if len(calls) == 2:
        extra = _zero_padding(calls[0], modules)
        if extra is None or calls[0].args[0] is not inputs[0]:
            return None
    names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
    given = dict(zip(names, calls[-1].args)) | dict(calls[-1].kwargs)
    weight, bias = given.get("weight"), given.get("bias")
    stride, padding = _pair(given.get("stride", 1)), _pair(given.get("padding", 0))
    dilation, groups = _pair(given.get("dilation", 1)), given.get("groups", 1)
    if not (given.get("input") is (calls[0] if len(calls) == 2 else inputs[0])
            and isinstance(weight, fx.Node) and weight.op == "get_attr" and weight.target == "weight"
            and (bias is None and module.bias is None
                 or isinstance(bias, fx.Node) and bias.op == "get_attr" and bias.target == "bias")
            and None not in (stride, padding, dilation) and type(groups) is int and groups >= 1):
        return None
    out_channels, per_group, *kernel = module.weight.shape
    plain = nn.Conv2d(per_group * groups, out_channels, tuple(kernel), stride,
                      (padding[0] + extra[0], padding[1] + extra[1]), dilation, groups, bias=module.bias is not None,
                      device=module.weight.device, dtype=module.weight.dtype)
    plain.weight, plain.bias = module.weight, module.bias
    return plain.train(module.training)


def _module_calls(graph: fx.Graph) -> Counter[str]:
    """How many times the graph calls each submodule (by qualified name): a module called more than
    once must keep its parameters and padding as they are for its other calls."""
    return Counter(node.target for node in graph.nodes if node.op == "call_module")


def _merge_zero_padding(graph_module: fx.GraphModule) -> None:
    """Module docstring, first point: conv subclasses that only pad become plain convolutions, then
    a symmetric zero-padding node whose one reader is a plain convolution (called nowhere else, so
    its other calls keep their padding) is merged into that convolution's own padding."""
    modules = dict(graph_module.named_modules())
    calls = _module_calls(graph_module.graph)
    for node in list(graph_module.graph.nodes):
        if node.op == "call_module" and calls[node.target] == 1:
            plain = _plain_conv(modules[node.target])
            if plain is not None:
                replace_node_module(node, modules, plain)
    for node in list(graph_module.graph.nodes):
        conv = modules.get(node.target) if node.op == "call_module" else None
        source = node.args[0] if conv is not None and len(node.args) == 1 and not node.kwargs else None
        if not (type(conv) is nn.Conv2d and conv.padding_mode == "zeros" and calls[node.target] == 1
                and isinstance(source, fx.Node) and len(source.users) == 1 and isinstance(conv.padding, tuple)):
            continue
        extra = _zero_padding(source, modules)
        if extra is None:
            continue
        conv.padding = (conv.padding[0] + extra[0], conv.padding[1] + extra[1])
        conv._reversed_padding_repeated_twice = [p for p in reversed(conv.padding) for _ in range(2)]
        node.args = (source.args[0],)
        graph_module.graph.erase_node(source)
    graph_module.graph.lint()
    graph_module.recompile()
    graph_module.delete_all_unused_submodules()


def _fold_batchnorm(graph_module: fx.GraphModule) -> None:
    """Fold each BatchNorm into the convolution it follows when that convolution's output feeds
    only the BatchNorm and the convolution module is called nowhere else."""
    modules = dict(graph_module.named_modules())
    graph = graph_module.graph
    calls = _module_calls(graph)
    for node in list(graph.nodes):
        if node.op != "call_module" or type(modules[node.target]) is not nn.BatchNorm2d:
            continue
        source = node.args[0] if len(node.args) == 1 and not node.kwargs else None
        if not (isinstance(source, fx.Node) and source.op == "call_module" and len(source.users) == 1
                and isinstance(modules[source.target], nn.Conv2d) and calls[source.target] == 1
                and calls[node.target] == 1 and modules[node.target].track_running_stats):
            continue
        replace_node_module(source, modules, fuse_conv_bn_eval(modules[source.target], modules[node.target]))
        node.replace_all_uses_with(source)
        graph.erase_node(node)
    graph.lint()
    graph_module.recompile()
    graph_module.delete_all_unused_submodules()


def _pool_before_rectifying(graph_module: fx.GraphModule) -> None:
    """pool(rectify(x)) -> rectify(pool(x)) where the rectifier's output feeds only that max-pool,
    the pool's windows do not overlap, and the rectifier's input is read by nothing else (an
    in-place rectifier would have changed that input for others)."""
    modules = dict(graph_module.named_modules())
    graph = graph_module.graph
    for pool in list(graph.nodes):
        if not _non_overlapping_max_pool(pool, modules):
            continue
        rectifier = pool.args[0]
        if not (isinstance(rectifier, fx.Node) and _is_rectifier(rectifier, modules) and len(rectifier.users) == 1
                and isinstance(rectifier.args[0], fx.Node) and len(rectifier.args[0].users) == 1):
            continue
        pool.args = (rectifier.args[0],) + tuple(pool.args[1:])
        with graph.inserting_after(pool):
            moved = graph.create_node(rectifier.op, rectifier.target, (pool,), dict(rectifier.kwargs))
        pool.replace_all_uses_with(moved, delete_user_cb=lambda user: user is not moved)
        graph.erase_node(rectifier)
    graph.lint()
    graph_module.recompile()


def _is_rectifier(node: fx.Node, modules: dict[str, nn.Module]) -> bool:
    """A rectifier call with the rectified tensor as its one positional argument."""
    if len(node.args) != 1:
        return False
    if node.op == "call_module":
        return isinstance(modules[node.target], RECTIFIERS) and not node.kwargs
    if node.op == "call_function":
        return node.target in _RECTIFIER_FUNCTIONS and set(node.kwargs) <= {"inplace"}
    return node.op == "call_method" and node.target == "relu" and not node.kwargs


def _pair(value: object) -> tuple[int, int] | None:
    if isinstance(value, int):
        return value, value
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return int(value[0]), int(value[1])
    return None


def _non_overlapping_max_pool(node: fx.Node, modules: dict[str, nn.Module]) -> bool:
    """A 2-D max-pool (module or F.max_pool2d) without indices whose windows share no input."""
    if node.op == "call_module" and type(modules[node.target]) is nn.MaxPool2d and len(node.args) == 1 \
            and not node.kwargs:
        pool = modules[node.target]
        kernel, stride, dilation, indices = pool.kernel_size, pool.stride, pool.dilation, pool.return_indices
    elif node.op == "call_function" and node.target is F.max_pool2d and node.args:
        names = ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")
        given = dict(zip(names, node.args)) | dict(node.kwargs)
        kernel, stride = given.get("kernel_size"), given.get("stride")
        stride = kernel if stride is None or stride == [] or stride == () else stride
        dilation, indices = given.get("dilation", 1), given.get("return_indices", False)
    else:
        return False
    kernel, stride, dilation = _pair(kernel), _pair(stride), _pair(dilation)
    return (not indices and kernel is not None and stride is not None and dilation is not None
            and all(s >= (k - 1) * d + 1 for k, s, d in zip(kernel, stride, dilation)))


def _has_module_hooks(model: nn.Module) -> bool:
    return any(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
               or getattr(m, "_backward_pre_hooks", None) for m in model.modules())


def _rectify_in_place(graph_module: fx.GraphModule) -> None:
    """Switch rectifiers to in-place where what they rectify is a fresh output of a conv / linear /
    BatchNorm / max-pool that no other node reads: a module at every place the forward calls it,
    a functional call where it is made (``inplace=True``, ``torch.relu_``, ``x.relu_()``)."""
    modules = dict(graph_module.named_modules())
    calls: dict[str, list[fx.Node]] = defaultdict(list)
    for node in graph_module.graph.nodes:
        if node.op == "call_module" and isinstance(modules[node.target], RECTIFIERS):
            calls[node.target].append(node)
        elif node.op != "call_module" and _is_rectifier(node, modules) and _fresh_and_only_read_here(node, modules):
            if node.target is torch.relu:
                node.target = torch.relu_
            elif node.op == "call_method":
                node.target = "relu_"
            else:
                node.kwargs = {**node.kwargs, "inplace": True}
    for target, nodes in calls.items():
        if all(_fresh_and_only_read_here(node, modules) and _is_rectifier(node, modules) for node in nodes):
            modules[target].inplace = True
    graph_module.recompile()


def _fresh_and_only_read_here(node: fx.Node, modules: dict[str, nn.Module]) -> bool:
    source = node.args[0] if node.args else None
    if not (isinstance(source, fx.Node) and len(source.users) == 1):
        return False
    if source.op == "call_module":
        return isinstance(modules[source.target], _FRESH_OUTPUT)
    return source.op == "call_function" and source.target is F.max_pool2d and not _returns_indices(source)


def _returns_indices(node: fx.Node) -> bool:
    return bool(node.kwargs.get("return_indices", node.args[6] if len(node.args) > 6 else False))
