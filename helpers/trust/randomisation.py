"""Cascading model-parameter randomisation (Adebayo et al., "Sanity Checks for Saliency Maps",
NeurIPS 2018).

The layers that hold parameters are re-initialised one at a time from the top (logits) down to
the first convolution, cumulatively, on a DEEP COPY of the model (the user's model is never
touched). After chosen steps the map is recomputed on the copy and compared with the original
map by Spearman rank correlation of |map| and SSIM (:mod:`helpers.trust.similarity`). A method
whose maps explain the model must change once the model's parameters are random; maps that
stay similar (Adebayo found this for guided backprop) reflect the image more than the model.

Layers are discovered from the model (modules with their own parameters, in registration
order, which is forward order for ``nn.Sequential`` models and for EfficientNet), never by
hard-coded indices. BatchNorm: by default ("skip") BatchNorm layers are NOT steps and keep their
trained affine parameters and running statistics: they only rescale per channel, and the
convolution before each one is randomised anyway (Adebayo randomise weights of conv / dense
layers). ``batchnorm="reset"`` makes them steps that reset the affine parameters to the
identity (weight 1, bias 0), keeping the running statistics (resetting those to 0/1 would blow
up activations in eval mode). Re-initialisation uses the layer's own ``reset_parameters()``
(PyTorch's default init, i.e. the untrained layer) under a seeded, forked RNG (the global RNG is
left alone); a layer without one gets N(0, std of its trained parameter).

A map that is CONSTANT after a step (e.g. Grad-CAM once every weighted activation is negative:
ReLU leaves zeros everywhere) ranks no pixel above another, so its Spearman correlation with the
original is undefined: it stays NaN, is marked in ``constant`` and counted per step
(``n_constant``), and summaries say how many of the images it left out. Its SSIM is still
defined (the constant map normalises to zeros). Step 0 is the original model: similarity 1 by
definition, unless the original map itself is constant (then NaN there too, and counted).

Cost: one map computation (a factory call + ``attribute``) per measured step. EfficientNet-Lite0
has 50 convolution / linear layers (99 with BatchNorm): measure a few steps (``max_steps``), per block
(``group_depth=2``) or only full randomisation (``layers=[last]`` / ``max_steps=1``).
"""
from __future__ import annotations

import copy
import types
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from helpers.explain.base import TargetType, check_inputs

from .intervals import Interval, mean_ci
from .maps import MethodLike, attribute_fn, pixel_importance, preserved_flags, resolve_targets
from .similarity import spearman, ssim

BATCHNORM_MODES = ("skip", "reset")
_BATCHNORMS = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm, nn.LayerNorm)

#: Builds the method on a given model: ``factory(model) -> explainer or (inputs, target) -> map``.
ExplainerFactory = Callable[[nn.Module], MethodLike]


def parameter_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Modules that hold parameters themselves, in registration order (bottom-up)."""
    return [(name, module) for name, module in model.named_modules()
            if any(True for _ in module.parameters(recurse=False))]


def cascade_layers(model: nn.Module, batchnorm: str = "skip") -> list[str]:
    """Names of the layers the cascade re-initialises, top (logits) first."""
    if batchnorm not in BATCHNORM_MODES:
        raise ValueError(f"batchnorm must be one of {BATCHNORM_MODES}, got {batchnorm!r}")
    names = [name for name, module in parameter_layers(model)
             if batchnorm == "reset" or not isinstance(module, _BATCHNORMS)]
    if not names:
        raise ValueError(f"{type(model).__name__} has no layers with parameters to randomise")
    return names[::-1]


def reinitialise(module: nn.Module, seed: int) -> None:
    """Re-draw one layer's own parameters in place, reproducibly (see the module docstring)."""
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(int(seed))
        if isinstance(module, _BATCHNORMS):
            if getattr(module, "weight", None) is not None:
                module.weight.fill_(1.0)
            if getattr(module, "bias", None) is not None:
                module.bias.zero_()
        elif hasattr(module, "reset_parameters"):
            module.reset_parameters()
        else:
            for param in module.parameters(recurse=False):
                std = float(param.std()) if param.numel() > 1 else 0.0
                param.normal_(0.0, std if std > 0 else 0.01)


def checkpoint_steps(cascade: Sequence[str], layers: Sequence[str] | None = None, max_steps: int | None = None,
                     group_depth: int | None = None) -> list[int]:
    """Positions in ``cascade`` (0 = top layer) after which the map is measured.

    ``layers``: measure after these layer names (any order). ``group_depth``: measure when a
    whole group of layers sharing the first ``group_depth`` name components is randomised
    (``_blocks.3`` for EfficientNet with depth 2). ``max_steps``: keep that many evenly spaced
    candidates, always including full randomisation. Default: every layer.
    """
    if layers is not None and group_depth is not None:
        raise ValueError("give either layers or group_depth, not both")
    if layers is not None:
        unknown = [name for name in layers if name not in cascade]
        if unknown:
            raise ValueError(f"layers {unknown} are not in the cascade; valid names (top first): {list(cascade)}")
        candidates = sorted({cascade.index(name) for name in layers})
    elif group_depth is not None:
        if group_depth < 1:
            raise ValueError(f"group_depth must be >= 1, got {group_depth}")
        keys = [".".join(name.split(".")[:group_depth]) for name in cascade]
        candidates = [i for i in range(len(cascade)) if i == len(cascade) - 1 or keys[i + 1] != keys[i]]
    else:
        candidates = list(range(len(cascade)))
    if max_steps is not None:
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        if max_steps < len(candidates):
            picks = np.unique(np.round(np.linspace(len(candidates) - 1, 0, max_steps)).astype(int))
            candidates = [candidates[i] for i in sorted(picks)]
    return candidates


def randomised_copies(model: nn.Module, batchnorm: str = "skip", seed: int = 0) -> Iterator[tuple[int, str, nn.Module]]:
    """Yield (position, layer name, copy) after re-initialising each cascade layer of ONE deep
    copy, top first. The same copy object is yielded each time, randomised one layer further."""
    cascade = cascade_layers(model, batchnorm)
    randomised = copy.deepcopy(model)
    modules = dict(randomised.named_modules())
    for position, name in enumerate(cascade):
        reinitialise(modules[name], seed + position)
        yield position, name, randomised


def rebind(method: MethodLike, original: nn.Module, replacement: nn.Module) -> MethodLike:
    """A deep copy of ``method`` in which every reference to ``original`` (the model, any of its
    submodules, parameters or buffers, e.g. Grad-CAM's layer) points into ``replacement``.

    This turns any explainer object of helpers.explain (including wrappers like SmoothGrad)
    into a factory. Plain functions and lambdas cannot be rebound (Python copies them as is):
    pass a factory for those.
    """
    target = method.__func__ if isinstance(method, types.MethodType) else method
    if isinstance(target, (types.FunctionType, types.BuiltinFunctionType)):
        raise TypeError("a plain function cannot be re-pointed at another model: give a factory "
                        "(model -> explainer) for it instead")
    new_modules = dict(replacement.named_modules())
    memo: dict[int, object] = {id(original): replacement}
    for name, module in original.named_modules():
        memo[id(module)] = new_modules[name]
    new_tensors = dict(replacement.named_parameters(remove_duplicate=False))
    new_tensors.update(replacement.named_buffers(remove_duplicate=False))
    for name, tensor in list(original.named_parameters(remove_duplicate=False)) + \
            list(original.named_buffers(remove_duplicate=False)):
        memo[id(tensor)] = new_tensors[name]
    return copy.deepcopy(method, memo)


def factory_from(method: MethodLike, model: nn.Module) -> ExplainerFactory:
    """A factory (model -> method) built with :func:`rebind` from a method made for ``model``."""
    rebind(method, model, copy.deepcopy(model))  # fail now, not in the middle of a cascade
    return lambda other: method if other is model else rebind(method, model, other)


def constant_maps(maps: Tensor, absolute: bool = True) -> Tensor:
    """(N,) bool: the map has one value everywhere (|map| summed over channels, or the signed
    sum when not ``absolute``), so it ranks no pixel and its Spearman correlation is undefined."""
    if maps.dim() == 3:
        maps = maps.unsqueeze(1)
    values = pixel_importance(maps) if absolute else maps.detach().float().sum(dim=1)
    flat = values.reshape(values.shape[0], -1)
    return (flat.amax(dim=1) == flat.amin(dim=1)).cpu()


@dataclass
class RandomisationResult:
    """Similarity to the original map along the cascade, for N images.

    layers: measured layer names (step 0 = "original", then the layer randomised last at that
    step); n_randomised: how many layers were random at each step; spearman, ssim: (S, N)
    (step 0 is 1 by definition); constant: (S, N) bool, the map of that step or the original
    is constant, so the Spearman value is NaN (undefined, see the module docstring);
    target (N,); maps: the recomputed maps (S, N, ...) if kept.
    """

    layers: list[str]
    n_randomised: list[int]
    spearman: Tensor
    ssim: Tensor
    target: Tensor
    constant: Tensor | None = None
    maps: list[Tensor] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.constant is None:  # built by hand from similarities only: derive it from the NaNs
            self.constant = torch.isnan(self.spearman)

    @property
    def n_images(self) -> int:
        return int(self.spearman.shape[1])

    @property
    def n_constant(self) -> list[int]:
        """Per measured step: how many of the N maps were constant (no Spearman value)."""
        return [int(k) for k in self.constant.sum(dim=1).tolist()]

    def rows(self) -> list[dict[str, object]]:
        """Tidy rows: step, layer, n_randomised, image, spearman (NaN when constant), ssim, constant."""
        return [{"step": s, "layer": self.layers[s], "n_randomised": self.n_randomised[s], "image": i,
                 "spearman": float(self.spearman[s, i]), "ssim": float(self.ssim[s, i]),
                 "constant": bool(self.constant[s, i])}
                for s in range(len(self.layers)) for i in range(self.spearman.shape[1])]

    def final(self) -> tuple[Tensor, Tensor]:
        """(spearman (N,), ssim (N,)) at the last measured step (full randomisation by default)."""
        return self.spearman[-1], self.ssim[-1]

    def summary(self, confidence: float = 0.95, method: str = "t") -> list[dict[str, object]]:
        """One row per measured step, step 0 (original) to the last (full randomisation by
        default): the points of the randomisation curve. Per metric ("spearman", "ssim"): mean,
        low, high over the images with a value, and n (how many); n_constant: maps that were
        constant at that step (left out of the Spearman mean, so the text can say "k of N maps
        became constant"). A step where every map is constant has a NaN Spearman mean: plot it
        as such (e.g. a marked point), do not drop it."""
        out = []
        for s in range(len(self.layers)):
            row: dict[str, object] = {"step": s, "layer": self.layers[s], "n_randomised": self.n_randomised[s],
                                      "n_images": self.n_images, "n_constant": int(self.constant[s].sum())}
            for metric in ("spearman", "ssim"):
                values = getattr(self, metric)[s].double().cpu().numpy()
                interval: Interval = mean_ci(values, confidence, method, bounds=(-1.0, 1.0))
                row.update({f"{metric}_mean": interval.mean, f"{metric}_low": interval.low,
                            f"{metric}_high": interval.high, f"{metric}_n": interval.n})
            out.append(row)
        return out


def cascading_randomisation(model: nn.Module, images: Tensor, explainer_factory: ExplainerFactory,
                            target: TargetType = None, *, layers: Sequence[str] | None = None,
                            max_steps: int | None = None, group_depth: int | None = None,
                            batchnorm: str = "skip", seed: int = 0, absolute: bool = True,
                            original_maps: Tensor | None = None, keep_maps: bool = False,
                            batch_size: int | None = None) -> RandomisationResult:
    """Cascading randomisation of a copy of ``model``; see the module docstring.

    Args:
        explainer_factory: ``model -> explainer`` (or ``-> (inputs, target) -> map``), called on
            the original model and on the copy after each measured step; use
            :func:`factory_from` to derive one from an existing explainer.
        target: class explained at every step; None = the ORIGINAL model's prediction (the
            randomised model's prediction would change the question along the way).
        layers / max_steps / group_depth: which steps to measure, see :func:`checkpoint_steps`.
        batchnorm: "skip" or "reset" (module docstring). seed: re-initialisation seed.
        absolute: compare |map| (Adebayo's main setting) or signed maps.
        original_maps: the original model's maps if already computed (saves one map).
        batch_size: images per map call (None: all at once); a backward pass holds every
            activation of its batch, so 50 images at 224 px in one call take GiBs.
    """
    check_inputs(images)
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    step = batch_size or images.shape[0]

    def maps_of(method: MethodLike) -> Tensor:
        fn = attribute_fn(method)
        return torch.cat([fn(images[b:b + step], target_t[b:b + step]).detach()
                          for b in range(0, images.shape[0], step)])

    cascade = cascade_layers(model, batchnorm)
    measure = set(checkpoint_steps(cascade, layers, max_steps, group_depth))
    with preserved_flags(model):
        if isinstance(target, Tensor) and target.dim() == 1 and target.shape[0] == images.shape[0] \
                and not target.is_floating_point() and target.dtype != torch.bool and bool((target >= 0).all()):
            target_t = target.long().to(images.device)  # resolved already (e.g. by evaluate_methods): no extra pass
        else:
            target_t = resolve_targets(model, images, target)
        if original_maps is None:
            original_maps = maps_of(explainer_factory(model))
    original_maps = original_maps.detach()
    n = images.shape[0]
    names, counts = ["original"], [0]
    original_constant = constant_maps(original_maps, absolute)
    # Step 0 compares the original with itself: 1, except where the original has no ranking.
    rho = [torch.where(original_constant, torch.tensor(float("nan"), dtype=torch.float64),
                       torch.ones(n, dtype=torch.float64))]
    sim = [torch.ones(n, dtype=torch.float64)]
    constant = [original_constant]
    kept = [original_maps] if keep_maps else None
    for position, name, randomised in randomised_copies(model, batchnorm, seed):
        if position not in measure:
            continue
        maps = maps_of(explainer_factory(randomised))
        names.append(name)
        counts.append(position + 1)
        rho.append(spearman(original_maps, maps, absolute))
        sim.append(ssim(original_maps, maps, absolute))
        constant.append(constant_maps(maps, absolute) | original_constant)
        if kept is not None:
            kept.append(maps)
        if position == max(measure):
            break  # nothing else to measure: leave the deeper layers alone
    return RandomisationResult(layers=names, n_randomised=counts, spearman=torch.stack(rho), ssim=torch.stack(sim),
                               target=target_t.cpu(), constant=torch.stack(constant), maps=kept)
