"""Guided backpropagation (Springenberg et al., 2015) and the deconvnet rule (Zeiler & Fergus).

Backward rules through a rectifier with input x and incoming gradient g:

* plain gradient:  g * [lo < x < hi]
* guided backprop: max(g, 0) * [lo < x < hi]
* deconvnet:       max(g, 0)               (the forward mask is ignored)

with (lo, hi) = (0, inf) for ReLU and clamp(min=0), (0, 6) for ReLU6 / Hardtanh(0, 6).

The rule is applied at every rectifier call of the forward, module or function (``nn.ReLU``,
``F.relu``, ``x.relu()``, ``relu_``, ``F.relu6``, ``F.hardtanh(x, 0, 6)``, ``x.clamp(min=0)``...;
:mod:`helpers.explain.rectifier_rules`). Captum's ``GuidedBackprop`` hooks only ``nn.ReLU``
modules: on models built from ``nn.ReLU6`` (EfficientNet-Lite, MobileNet) or calling ``F.relu``
(most hand-written models, torchvision's Inception and GoogLeNet) it silently returns the plain
gradient. Here, activations for which no rule is defined (SiLU, GELU, Hardswish...) are counted
and named in ``coverage`` after each call; :func:`rule_coverage` probes a model once.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import Tensor, nn

from helpers.device import model_device

from .base import Explainer, TargetType, check_inputs, frozen_eval, input_gradient
from .rectifier_rules import RULES, RectifierRules, RuleCoverage, count_forward_passes
from .saliency import REDUCTIONS, reduce_gradient


@contextlib.contextmanager
def rules_applied(model: nn.Module, rule: str = "guided") -> Iterator[RectifierRules]:
    """While active, every forward of ``model`` applies ``rule`` at its rectifier calls; the mode
    and the pass-counting hook are gone afterwards, also when the body raises."""
    rules = RectifierRules(rule)
    handle = count_forward_passes(model, rules)
    try:
        with rules:
            yield rules
    finally:
        handle.remove()


def rule_coverage(model: nn.Module, example_input: Tensor, rule: str = "guided") -> RuleCoverage:
    """Where ``rule`` applies in one forward pass of ``model`` on ``example_input`` (N, C, H, W):
    rectifier calls that get it, by kind, and activations without a rule, by name, with counts.
    The model runs in eval mode with frozen parameters; its modes, flags and hooks are restored."""
    check_inputs(example_input)
    x = example_input.detach().to(model_device(model)).requires_grad_(True)
    with frozen_eval(model), rules_applied(model, rule) as rules, torch.enable_grad():
        model(x)
    return rules.coverage()


def require_a_rectifier(coverage: RuleCoverage, model: nn.Module) -> None:
    """A forward with no rectifier call has nothing to apply the rule to: say so instead of
    returning the plain gradient under another name."""
    if coverage.forward_passes and not coverage.n_applied:
        seen = "; activations without a rule that ran: " + ", ".join(
            f"{k} ({v} calls)" for k, v in coverage.without_rule.items()) if coverage.without_rule else ""
        raise ValueError(
            f"{type(model).__name__} calls no rectifier (ReLU, ReLU6, Hardtanh(0, x), clamp(min=0)) in its forward"
            f"{seen}: the {coverage.rule} rule has nothing to act on, and the map would be the plain gradient. "
            "Use Saliency(model, reduction='none') for that map, or a model with rectifiers (calls inside TorchScript "
            "or torch.compile'd code cannot be seen: explain the plain Python model)")


class GuidedBackprop(Explainer):
    """Gradient of the class score with the guided-backprop (or deconvnet) rule at every rectifier
    call of the forward: modules and functional calls, in-place ones, and modules called several
    times per forward pass.

    Args:
        model: the classifier. A forward that calls no rectifier raises ``ValueError`` at
            ``attribute`` (the rule would change nothing); ``rule_coverage`` checks beforehand.
        rule: "guided" (default) or "deconvnet".
        reduction: "none" (default: signed gradient, like Captum), "abs" or "max_abs".

    After each call, ``coverage`` (a :class:`RuleCoverage`) says how many rectifier calls got the
    rule, by kind, and which activations without a rule ran and how often: at those the plain
    gradient passed unchanged, so the map is only partly guided. The user's modules are never
    replaced or hooked (one forward pre-hook on the model counts passes), and nothing stays active
    when ``attribute`` returns or raises.
    """

    def __init__(self, model: nn.Module, rule: str = "guided", reduction: str = "none",
                 eval_mode: bool = True, channels_last: bool = False) -> None:
        super().__init__(model, eval_mode=eval_mode, channels_last=channels_last)
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.rule = rule
        self.reduction = reduction
        self.coverage: RuleCoverage | None = None

    @property
    def runs_on_copy(self) -> bool:  # the copy pools before rectifying: exact for the guided rule only
        return self.rule == "guided"

    @contextlib.contextmanager
    def _session(self) -> Iterator[RectifierRules]:
        self.coverage = None
        with rules_applied(self.model, self.rule) as rules:
            yield rules
        self.coverage = rules.coverage()
        require_a_rectifier(self.coverage, self.model)

    def _attribute_batch(self, x: Tensor, target: TargetType) -> Tensor:
        return reduce_gradient(input_gradient(self.model, x, target), self.reduction)


class Deconvnet(GuidedBackprop):
    """The deconvnet rule: ``GuidedBackprop(model, rule="deconvnet")``."""

    def __init__(self, model: nn.Module, reduction: str = "none", eval_mode: bool = True,
                 channels_last: bool = False) -> None:
        super().__init__(model, rule="deconvnet", reduction=reduction, eval_mode=eval_mode,
                         channels_last=channels_last)
