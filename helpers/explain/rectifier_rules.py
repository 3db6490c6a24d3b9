"""The guided-backprop and deconvnet rules at every rectifier call of a forward pass, wherever it
is made: ``nn.ReLU`` / ``nn.ReLU6`` modules, ``F.relu``, ``torch.relu``, ``x.relu()``, ``relu_``,
``F.relu(inplace=True)``, ``F.relu6``, ``F.hardtanh(x, 0, 6)``, ``x.clamp(min=0)``, ``clamp_min``.

One interception path: a :class:`torch.overrides.TorchFunctionMode` active during the forward sees
each of these calls once (modules call ``F.relu`` / ``F.hardtanh`` themselves, so modules are not
hooked as well, which would apply the rule twice). At each call:

* guided rule: the rectifier itself runs (in place if the model asked for it) and a tensor hook
  keeps the positive part of the gradient reaching its result; the rectifier's own backward then
  masks with [lo < x < hi] (also ``clamp``'s: no gradient at x == lo or x == hi; tested). The hook
  belongs to the value the rectifier returned, so the model may change that value in place
  afterwards wherever plain autograd allows it.
* deconvnet rule: the rectifier is replaced by a custom autograd function with the same values
  and backward max(g, 0) (the forward mask is ignored); in-place calls change their input in place.

Calls whose inputs do not need a gradient are left alone. Activations for which no rule is defined
(SiLU/Swish, GELU, Hardswish, Sigmoid, ...) run unchanged, so the plain gradient passes through
them; they are counted by name, as are rectifiers that run with autograd off (inside a custom
autograd function, whose own backward decides). :class:`RuleCoverage` holds the counts. Not seen:
code the mode cannot see (TorchScript, compiled graphs, C++ extensions).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.overrides import TorchFunctionMode

RULES = ("guided", "deconvnet")
RELU, RELU6, CLAMP = "ReLU", "ReLU6/Hardtanh(0,6)", "clamp(min=0)"

# functions (as the mode receives them) -> the activation's name, for activations with no rule
_WITHOUT_RULE: dict[Callable, str] = {
    F.silu: "SiLU/Swish", F.gelu: "GELU", F.hardswish: "Hardswish", F.hardsigmoid: "Hardsigmoid",
    F.leaky_relu: "LeakyReLU", F.leaky_relu_: "LeakyReLU", F.elu: "ELU", F.elu_: "ELU", F.selu: "SELU",
    F.celu: "CELU", F.mish: "Mish", F.softplus: "Softplus", F.prelu: "PReLU", F.rrelu: "RReLU",
    F.glu: "GLU", F.logsigmoid: "LogSigmoid", F.softsign: "Softsign", F.tanhshrink: "Tanhshrink",
    torch.sigmoid: "Sigmoid", torch.sigmoid_: "Sigmoid", Tensor.sigmoid: "Sigmoid", Tensor.sigmoid_: "Sigmoid",
    F.sigmoid: "Sigmoid", torch.tanh: "Tanh", torch.tanh_: "Tanh", Tensor.tanh: "Tanh", Tensor.tanh_: "Tanh",
    F.tanh: "Tanh",
}
_RELU_OUT = (F.relu, torch.relu, Tensor.relu)
_RELU_IN = (torch.relu_, Tensor.relu_)
_HARDTANH = (F.hardtanh, F.hardtanh_)
_CLAMP = (torch.clamp, Tensor.clamp, torch.clip, Tensor.clip, torch.clamp_, Tensor.clamp_, torch.clip_,
          Tensor.clip_)
_CLAMP_MIN = (torch.clamp_min, Tensor.clamp_min, torch.clamp_min_, Tensor.clamp_min_)
_IN_PLACE = {torch.relu_, Tensor.relu_, F.hardtanh_, torch.clamp_, Tensor.clamp_, torch.clip_, Tensor.clip_,
             torch.clamp_min_, Tensor.clamp_min_}
# every function the mode looks at: one dict lookup lets all other calls (conv, add...) through
_WATCHED = frozenset(_WITHOUT_RULE) | frozenset(_RELU_OUT + _RELU_IN + _HARDTANH + _CLAMP + _CLAMP_MIN + (F.relu6,))


@dataclass(frozen=True)
class RectifierCall:
    """One rectifier call: its input, bounds (lo, hi), whether it works in place, and its kind."""

    x: Tensor
    lo: float
    hi: float
    in_place: bool
    kind: str


def _argument(args: tuple, kwargs: dict, index: int, name: str, default: object) -> object:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def rectifier_call(func: Callable, args: tuple, kwargs: dict) -> RectifierCall | None:
    """The rectifier this call is (bounds lo = 0 < hi), or None when it is not one."""
    x = _argument(args, kwargs, 0, "input", None)
    if not isinstance(x, Tensor) or not x.is_floating_point():
        return None
    in_place = func in _IN_PLACE
    if func in _RELU_OUT or func in _RELU_IN:
        if func is F.relu:
            in_place = bool(_argument(args, kwargs, 1, "inplace", False))
        return RectifierCall(x, 0.0, math.inf, in_place, RELU)
    if func is F.relu6:
        return RectifierCall(x, 0.0, 6.0, bool(_argument(args, kwargs, 1, "inplace", False)), RELU6)
    if func in _HARDTANH:
        lo, hi = _argument(args, kwargs, 1, "min_val", -1.0), _argument(args, kwargs, 2, "max_val", 1.0)
        in_place = in_place or (func is F.hardtanh and bool(_argument(args, kwargs, 3, "inplace", False)))
        if _is_number(lo) and _is_number(hi) and lo == 0 and hi > 0:
            return RectifierCall(x, 0.0, float(hi), in_place, RELU6 if hi == 6 else f"Hardtanh(0,{hi:g})")
        return None
    if func in _CLAMP or func in _CLAMP_MIN:
        lo = _argument(args, kwargs, 1, "min", None)
        hi = None if func in _CLAMP_MIN else _argument(args, kwargs, 2, "max", None)
        if _is_number(lo) and lo == 0 and (hi is None or (_is_number(hi) and hi > 0)):
            return RectifierCall(x, 0.0, math.inf if hi is None else float(hi), in_place, CLAMP)
    return None


def activation_without_rule(func: Callable, args: tuple, kwargs: dict) -> str | None:
    """The name of the activation this call is when no rule is defined for it, else None."""
    name = _WITHOUT_RULE.get(func)
    if name is None and func in _HARDTANH:  # a hardtanh that is not a rectifier, e.g. (-1, 1)
        lo, hi = _argument(args, kwargs, 1, "min_val", -1.0), _argument(args, kwargs, 2, "max_val", 1.0)
        name = f"Hardtanh({lo:g},{hi:g})" if _is_number(lo) and _is_number(hi) else "Hardtanh"
    return name


class _Deconvnet(torch.autograd.Function):
    """clamp(x, lo, hi) forward; backward max(g, 0), ignoring the forward mask."""

    @staticmethod
    def forward(ctx, x: Tensor, lo: float, hi: float) -> Tensor:  # type: ignore[override]
        return x.clamp(min=lo) if math.isinf(hi) else x.clamp(lo, hi)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        return grad.clamp(min=0), None, None


class _DeconvnetInPlace(torch.autograd.Function):
    """The same, changing x in place (``relu_``): the caller may keep using x, not the result."""

    @staticmethod
    def forward(ctx, x: Tensor, lo: float, hi: float) -> Tensor:  # type: ignore[override]
        ctx.mark_dirty(x)
        return x.clamp_(min=lo) if math.isinf(hi) else x.clamp_(lo, hi)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        return grad.clamp(min=0), None, None


def positive_part(grad: Tensor) -> Tensor:
    return grad.clamp(min=0)


@dataclass(frozen=True)
class RuleCoverage:
    """What the rule reached in one explainer call (all its forward passes together).

    ``applied``: rectifier calls that got the rule, by kind ("ReLU", "ReLU6/Hardtanh(0,6)",
    "clamp(min=0)"); ``without_rule``: calls of activations with no rule (SiLU/Swish, GELU,
    Hardswish, ...), where the plain gradient passed through unchanged, by name;
    ``forward_passes``: how many forward passes of the model these counts cover.
    """

    rule: str
    forward_passes: int
    applied: dict[str, int] = field(default_factory=dict)
    without_rule: dict[str, int] = field(default_factory=dict)

    @property
    def n_applied(self) -> int:
        return sum(self.applied.values())

    @property
    def n_without_rule(self) -> int:
        return sum(self.without_rule.values())

    @property
    def complete(self) -> bool:
        """The rule reached every activation: no activation without a rule ran."""
        return self.n_applied > 0 and not self.without_rule

    def summary(self) -> str:
        """One English line, e.g. 'the guided rule at 17 calls (ReLU 17); no rule at: Hardswish (9 calls)'."""
        applied = ", ".join(f"{k} {v}" for k, v in self.applied.items())
        line = f"the {self.rule} rule at {self.n_applied} rectifier calls" + (f" ({applied})" if applied else "")
        if self.without_rule:
            line += "; no rule at: " + ", ".join(f"{k} ({v} calls)" for k, v in self.without_rule.items()) + \
                " (the plain gradient passes there)"
        return line + f"; {self.forward_passes} forward pass{'es' if self.forward_passes != 1 else ''}"


class RectifierRules(TorchFunctionMode):
    """Applies ``rule`` at every rectifier call made while the mode is active (module docstring).

    ``gate_on``: for the guided rule, whether the tensor hooks keep only the positive part (True)
    or pass the gradient unchanged (False, i.e. the plain gradient); read at backward time, so one
    forward pass can be walked back with both (see SmoothGrad's shared passes).
    """

    def __init__(self, rule: str = "guided") -> None:
        super().__init__()
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        self.rule = rule
        self.gate_on = True
        self.forward_passes = 0
        self.applied: Counter[str] = Counter()
        self.without_rule: Counter[str] = Counter()

    def coverage(self) -> RuleCoverage:
        return RuleCoverage(self.rule, self.forward_passes, dict(self.applied), dict(self.without_rule))

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func not in _WATCHED:
            return func(*args, **kwargs)
        call = rectifier_call(func, args, kwargs)
        if call is not None and call.x.requires_grad:
            if torch.is_grad_enabled():
                self.applied[call.kind] += 1
                return self._apply(func, args, kwargs, call)
            self.without_rule[f"{call.kind} with autograd off (e.g. in a custom autograd function)"] += 1
        elif call is None:
            name = activation_without_rule(func, args, kwargs)
            if name is not None and any(isinstance(a, Tensor) and a.requires_grad for a in args):
                self.without_rule[name] += 1
        return func(*args, **kwargs)

    def _apply(self, func: Callable, args: tuple, kwargs: dict, call: RectifierCall) -> Tensor:
        if self.rule == "deconvnet":
            return (_DeconvnetInPlace if call.in_place else _Deconvnet).apply(call.x, call.lo, call.hi)
        out = func(*args, **kwargs)
        out.register_hook(self._gate)
        return out

    def _gate(self, grad: Tensor) -> Tensor | None:
        return positive_part(grad) if self.gate_on else None


def count_forward_passes(model: nn.Module, rules: RectifierRules):
    """A forward pre-hook on the model that counts its passes; returns the hook's handle."""

    def pre_hook(module: nn.Module, args: tuple) -> None:
        rules.forward_passes += 1

    return model.register_forward_pre_hook(pre_hook)
