"""SmoothGrad (Smilkov et al., 2017): average a gradient map over noisy copies of the input.

``SmoothGrad(GuidedBackprop(model))`` is SmoothGrad x guided backprop; ``SmoothGrad(Saliency(...))``
the original. Variants follow Captum's NoiseTunnel: "mean" (smoothgrad), "mean_square"
(smoothgrad_sq) and "variance" (vargrad).

Shared passes. The plain gradient and the guided-backprop gradient of the same noisy image differ
only in the backward rule at the rectifiers, so one forward pass can serve both: the graph is
kept and walked backwards twice, with the guided gate switched off and then on. SmoothGrad objects
built with the same :class:`SharedPasses` group (``share_passes=group``) use this: when
``SmoothGrad(Saliency(model))`` is called and a ``SmoothGrad(GuidedBackprop(model))`` of its group
has the same settings and seed (or the other way round: the report builds both, then calls them
one after the other), the first call computes both maps in one set of forward passes and hands the
other one over; the other object's own ``attribute`` call then returns it at once if it is asked
for exactly the same thing (same images, target, model weights, hooks and settings), otherwise it
computes as usual. The results are identical to separate calls (same noise, same operations;
tested to the last bit) and the pair costs about 0.65-0.75x of two separate calls. Without a
group, nothing is shared. The group holds its members weakly, and a handed-over map lives only as
long as the object waiting for it.
"""
from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import tqdm
import torch
from torch import Tensor, nn

from helpers.device import progress_enabled
from helpers.models.fast_copy import fast_copy_or_reason

from .base import (Explainer, TargetType, check_inputs, check_logits, class_scores, frozen_eval,
                   temporary_channels_last)
from .guided_backprop import GuidedBackprop, require_a_rectifier, rules_applied
from .rectifier_rules import RectifierRules, RuleCoverage
from .saliency import Saliency, reduce_gradient

VARIANTS = ("mean", "mean_square", "variance")


class SmoothGrad(Explainer):
    """Noise-averaged attributions of a gradient explainer.

    Args:
        explainer: a gradient explainer of this package (Saliency, GuidedBackprop,
            IntegratedGradients...); its model, hooks and options are used.
        sigma: noise standard deviation RELATIVE to each image's range: sigma * (max - min) of that
            image (on images spanning [0, 1] it is the absolute sigma; 0.2 as in the report).
            Captum's NoiseTunnel ``stdevs`` is absolute instead.
        n_samples: noisy copies per image.
        variant: "mean", "mean_square" or "variance".
        batch_size: noisy images per forward/backward pass (default 32): memory stays flat in
            n_samples because only running sums are kept. Passes are filled across images (11
            images x 50 samples at batch 16 run as 35 passes of 16 and one of 6, not 50 of 11).
        seed: seeds a private ``torch.Generator`` (the global RNG is left alone); None draws from
            the global RNG.
        progress: show a tqdm bar (None: only in an interactive terminal; TQDM_DISABLE=1 wins).
        share_passes: a :class:`SharedPasses` group; members with the same settings and the other
            rule (plain / guided gradient) share their forward passes (module docstring).
        fast_copy: run the noisy passes on a faster copy of the model (BatchNorm folded into the
            convolutions, rectifiers in place, channels_last; :mod:`helpers.models.fast_copy`),
            made per call so it follows the model's weights; maps equal the model's own up to
            float32 rounding. Used for Saliency, GuidedBackprop (guided rule) and
            IntegratedGradients when the model is in eval mode, has no hooks and can be traced;
            otherwise the model itself runs. Targets (None: the predicted class) always come from
            the model itself.

    ``attribute(inputs, target=None, noise=None)``: ``noise`` (N, n_samples, C, H, W) replaces the
    random draw (exact comparisons with Captum). Returns the explainer's map shape. The noise of
    sample s is the s-th draw of the generator for every image, scaled by that image's sigma, so
    an image's map does not depend on the other images of the call.

    After each call: ``coverage``, for GuidedBackprop / Deconvnet, the rule's
    :class:`~helpers.explain.rectifier_rules.RuleCoverage` over all noisy passes (also set on the
    wrapped explainer; None for other explainers); ``passes_ran_on``, one line saying whether the
    passes ran on the faster copy or on the model itself, and why.
    """

    def __init__(self, explainer: Explainer, sigma: float = 0.2, n_samples: int = 200, variant: str = "mean",
                 batch_size: int | None = None, seed: int | None = 0, progress: bool | None = None,
                 share_passes: SharedPasses | None = None, fast_copy: bool = True) -> None:
        if not isinstance(explainer, Explainer) or not explainer.supports_noise:
            raise TypeError(f"SmoothGrad wraps a gradient explainer of helpers.explain, got {type(explainer).__name__}")
        super().__init__(explainer.model, eval_mode=explainer.eval_mode, channels_last=explainer.channels_last)
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if not sigma >= 0:
            raise ValueError(f"sigma must be >= 0, got {sigma}")
        if int(n_samples) < 1:
            raise ValueError(f"n_samples must be >= 1, got {n_samples}")
        if batch_size is not None and int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.explainer = explainer
        self.sigma = float(sigma)
        self.n_samples = int(n_samples)
        self.variant = variant
        self.batch_size = int(batch_size) if batch_size is not None else 32
        self.seed = seed
        self.progress = progress
        if share_passes is not None and not isinstance(share_passes, SharedPasses):
            raise TypeError(f"share_passes must be a SharedPasses group, got {type(share_passes).__name__}")
        self.share_passes = share_passes
        self.fast_copy = bool(fast_copy)
        if share_passes is not None:
            share_passes.members.add(self)
        self.coverage: RuleCoverage | None = None
        self.passes_ran_on: str | None = None

    def _session(self):  # the wrapped explainer's hooks, once per attribute call
        return self.explainer._session()

    def attribute(self, inputs: Tensor, target: TargetType = None, noise: Tensor | None = None) -> Tensor:
        check_inputs(inputs)
        if target is None and getattr(self.explainer, "objective", "score") == "cross_entropy":
            raise ValueError("objective='cross_entropy' needs the true labels as target (got None)")
        n, per = inputs.shape[0], self.n_samples
        if noise is not None:
            if tuple(noise.shape) != (n, per) + tuple(inputs.shape[1:]):
                raise ValueError(f"noise must have shape {(n, per) + tuple(inputs.shape[1:])}, got {tuple(noise.shape)}")
        group = self.share_passes
        handed = group.handed_over.pop(self, None) if group is not None else None
        self.coverage = self.passes_ran_on = None
        if handed is not None and noise is None and handed.request == _Request.of(self, inputs, target):
            self._record(handed.coverage, handed.passes_ran_on)
            return handed.result  # computed by a partner's shared passes (see the module docstring)
        partners = [] if group is None or noise is not None or _shared_rule(self) is None else \
            [p for p in list(group.members) if p is not self and _shares_passes(self, p)]
        if partners:  # what each partner would be asked, with the model as it is before the passes
            state_before = _model_state(self.model)
            requests = [_Request.of(p, inputs, target) for p in partners]
        x = self._to_device(inputs)
        generator = None
        if self.seed is not None and noise is None:
            generator = torch.Generator(device=x.device).manual_seed(int(self.seed))
        # Per-image absolute standard deviation: sigma times that image's value range.
        flat = x.reshape(n, -1)
        stdev = (self.sigma * (flat.amax(1) - flat.amin(1))).reshape(n, 1, 1, 1)
        # self's rule first, then each other rule once (two identical partners share one backward)
        rules = list(dict.fromkeys([_shared_rule(self)] + [_shared_rule(p) for p in partners])) if partners else []
        with frozen_eval(self.model, self.eval_mode):
            # targets from the model itself: a near-tie must not resolve differently on the copy
            resolved = self.explainer._resolve(x, target)
            explainer = self._explainer_for_passes(x)
            channels_last = self.channels_last or explainer is not self.explainer
            session = rules_applied(explainer.model, "guided") if partners else explainer._session()
            with temporary_channels_last(explainer.model, self.channels_last), session as gates:
                sums = [_Sums(self.variant) for _ in (rules or [None])]
                bar = tqdm.tqdm(total=n * per, desc="SmoothGrad", unit="img",
                                disable=not progress_enabled(self.progress))
                try:
                    for noisy, rows in _noisy_batches(x, stdev, per, self.batch_size, generator, noise):
                        noisy = noisy.contiguous(memory_format=torch.channels_last) if channels_last else noisy
                        if rules:
                            maps = _gradients_by_rule(explainer.model, noisy, resolved[rows], rules, gates)
                        else:
                            maps = [explainer._attribute_batch(noisy, resolved[rows]).detach()]
                        for total, attr in zip(sums, maps):
                            total.add(rows, attr, n)
                        bar.update(len(rows))
                finally:
                    bar.close()
        results = [total.result(per) for total in sums]
        coverage = gates.coverage() if partners else getattr(explainer, "coverage", None)
        if partners and _shared_rule(self).guided:
            require_a_rectifier(coverage, explainer.model)
        self._record(coverage if _shared_rule(self) is None or _shared_rule(self).guided else None, self.passes_ran_on)
        if partners and _model_state(self.model) == state_before:  # e.g. no BatchNorm statistics updated
            for partner, request in zip(partners, requests):
                if _shared_rule(partner).guided and not coverage.n_applied:
                    continue  # no rectifier ran: the partner's own call says so
                handed_coverage = coverage if _shared_rule(partner).guided else None
                group.handed_over[partner] = _HandedOver(request, results[rules.index(_shared_rule(partner))].clone(),
                                                         handed_coverage, self.passes_ran_on)
        return results[0].to(inputs.device)

    def _record(self, coverage: RuleCoverage | None, passes_ran_on: str | None) -> None:
        self.coverage = coverage
        self.passes_ran_on = passes_ran_on
        if isinstance(self.explainer, GuidedBackprop):
            self.explainer.coverage = coverage

    def _explainer_for_passes(self, x: Tensor) -> Explainer:
        """The wrapped explainer bound to a faster copy of the model (``fast_copy``), or the
        wrapped explainer itself where no copy may be used (see helpers.models.fast_copy)."""
        if not self.fast_copy:
            self.passes_ran_on = "the model itself (fast_copy=False)"
        elif not self.explainer.runs_on_copy:
            self.passes_ran_on = f"the model itself ({type(self.explainer).__name__} does not run on a copy)"
        else:
            copy, reason = fast_copy_or_reason(self.model, x[:4])
            if copy is not None:
                self.passes_ran_on = "a faster copy of the model"
                return self.explainer.on_model(copy)
            self.passes_ran_on = f"the model itself (no faster copy: {reason})"
        return self.explainer


# -- noisy batches and running sums ---------------------------------------------------------------
def _noisy_batches(x: Tensor, stdev: Tensor, per: int, batch_size: int, generator: torch.Generator | None,
                   noise: Tensor | None) -> Iterator[tuple[Tensor, Tensor]]:
    """(noisy images, their image index) in passes of at most ``batch_size``, filled across images:
    the (image, sample) pairs are taken sample by sample (sample 0 of every image, then sample 1...).
    Noise of sample s: the s-th draw of ``generator`` (one per sample, shared by all images),
    times each image's stdev; or ``noise[image, s]`` when given."""
    n, shape = x.shape[0], tuple(x.shape[1:])
    drawn: dict[int, Tensor] = {}
    for start in range(0, n * per, batch_size):
        pairs = torch.arange(start, min(start + batch_size, n * per), device=x.device)
        images, samples = pairs % n, pairs // n
        if noise is not None:
            eps = noise[images.cpu(), samples.cpu()].to(device=x.device, dtype=x.dtype)
        else:
            first, last = int(samples[0]), int(samples[-1])
            drawn = {s: z for s, z in drawn.items() if s >= first}
            for s in range(max(drawn, default=first - 1) + 1, last + 1):
                drawn[s] = torch.randn(shape, generator=generator, device=x.device, dtype=x.dtype)
            eps = torch.stack([drawn[int(s)] for s in samples]) * stdev[images]
        yield x[images] + eps, images


class _Sums:
    """Running sum (and sum of squares) per image; rows are added one by one in sample order, so
    each image's sum does not depend on how pairs were grouped into passes."""

    def __init__(self, variant: str) -> None:
        self.variant = variant
        self.sum: Tensor | None = None
        self.sum_sq: Tensor | None = None

    def add(self, rows: Tensor, attr: Tensor, n: int) -> None:
        if self.sum is None:
            self.sum = attr.new_zeros((n,) + tuple(attr.shape[1:]))
            self.sum_sq = torch.zeros_like(self.sum) if self.variant != "mean" else None
        self.sum.index_add_(0, rows, attr)
        if self.sum_sq is not None:
            self.sum_sq.index_add_(0, rows, attr * attr)

    def result(self, per: int) -> Tensor:
        mean = self.sum / per
        if self.variant == "mean":
            return mean
        mean_sq = self.sum_sq / per
        return mean_sq if self.variant == "mean_square" else mean_sq - mean * mean


# -- one forward pass for the plain and the guided gradient -------------------------------------
@dataclass(frozen=True)
class _Rule:
    guided: bool
    reduction: str


def _shared_rule(sg: SmoothGrad) -> _Rule | None:
    """The backward rule of a SmoothGrad whose passes can be shared, else None: exactly Saliency of
    the class score (plain gradient) or GuidedBackprop's guided rule (subclasses may change
    ``_attribute_batch``, so they are never shared)."""
    e = sg.explainer
    if sg.seed is None:  # global-RNG noise differs between calls: nothing to share
        return None
    if not sg.eval_mode and any(m.training for m in sg.model.modules()):
        return None  # Dropout masks would be drawn once for both rules instead of once per call
    if type(e) is Saliency and e.objective == "score":
        return _Rule(False, e.reduction)
    if type(e) is GuidedBackprop and e.rule == "guided":
        return _Rule(True, e.reduction)
    return None


def _settings(sg: SmoothGrad) -> tuple:
    e = sg.explainer
    return (sg.sigma, sg.n_samples, sg.variant, sg.batch_size, sg.seed, sg.eval_mode, sg.channels_last,
            sg.fast_copy, e.eval_mode, e.channels_last)


def _shares_passes(sg: SmoothGrad, other: SmoothGrad) -> bool:
    """``other`` can get its map from ``sg``'s passes: same model, noise and batches, the other rule."""
    mine, theirs = _shared_rule(sg), _shared_rule(other)
    return (mine is not None and theirs is not None and mine.guided != theirs.guided
            and other.model is sg.model and _settings(other) == _settings(sg))


def _gradients_by_rule(model: nn.Module, x: Tensor, target: Tensor, rules: list[_Rule],
                       gates: RectifierRules) -> list[Tensor]:
    """One forward pass, then one backward pass per rule over the kept graph."""
    x = x.detach().requires_grad_(True)
    out = []
    with torch.enable_grad():
        logits = model(x)
        check_logits(logits, x.shape[0])
        score = class_scores(logits, target)
        for k, rule in enumerate(rules):
            gates.gate_on = rule.guided
            (grad,) = torch.autograd.grad(score, x, retain_graph=k < len(rules) - 1)
            out.append(reduce_gradient(grad, rule.reduction).detach())
    return out


# -- handing a map to the SmoothGrad object that will ask for it -----------------------------------
def _model_state(model: nn.Module) -> tuple:
    """What a forward/backward pass depends on besides the input: every parameter and buffer (which
    tensor, its storage and its in-place version counter), every module's mode and hooks, and the
    global module hooks."""
    tensors = tuple((id(t), t.data_ptr(), t._version) for t in itertools.chain(model.parameters(), model.buffers()))
    modules = tuple((id(m), m.training, tuple(m._forward_hooks), tuple(m._forward_pre_hooks),
                     tuple(m._backward_hooks), tuple(getattr(m, "_backward_pre_hooks", {})))
                    for m in model.modules())
    from torch.nn.modules import module as torch_module

    global_hooks = tuple(tuple(getattr(torch_module, name, {})) for name in (
        "_global_forward_hooks", "_global_forward_pre_hooks", "_global_backward_hooks",
        "_global_backward_pre_hooks"))
    return id(model), tensors, modules, global_hooks


@dataclass
class _Request:
    """Everything a SmoothGrad call's result depends on, compared exactly."""

    rule: _Rule
    settings: tuple
    model_state: tuple
    inputs: Tensor
    target: object

    @staticmethod
    def of(sg: SmoothGrad, inputs: Tensor, target: TargetType) -> _Request:
        if isinstance(target, Tensor):
            target = target.detach().clone()
        elif target is not None and not isinstance(target, int):
            target = torch.as_tensor(target).clone()
        return _Request(_shared_rule(sg), _settings(sg), _model_state(sg.model), inputs.detach().clone(), target)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Request):
            return NotImplemented
        return (self.rule == other.rule and self.settings == other.settings
                and self.model_state == other.model_state and _same(self.inputs, other.inputs)
                and _same(self.target, other.target))


def _same(a: object, b: object) -> bool:
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return (isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype == b.dtype and a.device == b.device
                and a.shape == b.shape and torch.equal(a, b))
    return type(a) is type(b) and a == b


@dataclass
class _HandedOver:
    request: _Request
    result: Tensor
    coverage: RuleCoverage | None
    passes_ran_on: str | None


class SharedPasses:
    """A group of SmoothGrad objects that may share forward passes (pass it as ``share_passes`` to
    each). ``members``: the live members (weak: the group keeps none alive); ``handed_over``: maps
    computed for a member by another's shared passes, kept until that member asks (or dies)."""

    def __init__(self) -> None:
        self.members: weakref.WeakSet[SmoothGrad] = weakref.WeakSet()
        self.handed_over: weakref.WeakKeyDictionary[SmoothGrad, _HandedOver] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"SharedPasses({len(self.members)} members)"
