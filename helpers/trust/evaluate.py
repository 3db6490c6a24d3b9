"""One call for the report's table: every method (and two baselines) on the same images.

Per method: deletion and insertion areas (:mod:`.deletion`), similarity to the original map
after randomising the model (:mod:`.randomisation`; by default only at full randomisation), and
the seconds per image its maps took; each as a mean with a 95 % interval over images
(:mod:`.intervals`). Rows "random" and "centre prior" are the baselines: model-free maps, so
their randomisation similarity is 1 by construction (that is exactly what the sanity check
flags: a map that does not depend on the model passes no test of it).

Cost per image and method: the map itself, plus 2 * (n_steps + 1) forward passes for the
curves (batched), plus one recomputed map per measured randomisation step (1 by default). On
this 2-core CPU, EfficientNet-Lite0 at 224 px, n_steps=20: about 1.8 s per image per method
for the curves on a quiet machine, plus the maps (bench/bench_trust.py prints measured numbers).
So 7 methods + 2 baselines on 10 images cost about 9 * 10 * 1.8 s = 2.7 min plus the methods.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from torch import Tensor, nn

from helpers.explain.base import TargetType, check_inputs

from .deletion import DEFAULT_BLUR_SIGMA, DEFAULT_STEPS, DeletionInsertionResult, deletion_insertion
from .intervals import Interval, mean_ci
from .maps import MethodLike, attribute_fn, centre_prior_map, preserved_flags, random_map, resolve_targets
from .randomisation import ExplainerFactory, RandomisationResult, cascading_randomisation, factory_from
from .timing import timed

RANDOM = "random"
CENTRE_PRIOR = "centre prior"


@dataclass
class MethodRow:
    """One line of the table. ``kind`` is "method" or "baseline". ``spearman`` / ``ssim``: at the
    deepest measured randomisation step (``n_randomised`` layers random); NaN intervals with
    n = 0 when randomisation was not run for this method."""

    method: str
    kind: str
    deletion: Interval
    insertion: Interval
    spearman: Interval
    ssim: Interval
    seconds_per_image: float
    n_images: int
    n_randomised: int

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"method": self.method, "kind": self.kind}
        for name in ("deletion", "insertion", "spearman", "ssim"):
            interval: Interval = getattr(self, name)
            out.update({f"{name}_mean": interval.mean, f"{name}_low": interval.low, f"{name}_high": interval.high})
        out.update({"seconds_per_image": self.seconds_per_image, "n_images": self.n_images,
                    "n_randomised": self.n_randomised})
        return out


@dataclass
class Evaluation:
    """rows: the table; curves / randomisation: per-method details for figures; maps: the maps
    evaluated (N, ...) per method; target (N,); settings: the parameters used."""

    rows: list[MethodRow]
    curves: dict[str, DeletionInsertionResult] = field(repr=False)
    randomisation: dict[str, RandomisationResult] = field(repr=False)
    maps: dict[str, Tensor] = field(repr=False)
    target: Tensor = field(repr=False)
    settings: dict[str, object] = field(default_factory=dict)

    def records(self) -> list[dict[str, object]]:
        """Flat dicts, one per row (``pandas.DataFrame(evaluation.records())`` gives the table)."""
        return [row.as_dict() for row in self.rows]

    def row(self, method: str) -> MethodRow:
        for row in self.rows:
            if row.method == method:
                return row
        raise KeyError(f"no row {method!r}; rows: {[r.method for r in self.rows]}")


def _model_free(kind: str, seed: int, centre_sigma: float) -> MethodLike:
    if kind == RANDOM:
        return lambda inputs, target=None: random_map(inputs, seed)
    return lambda inputs, target=None: centre_prior_map(inputs, centre_sigma)


def evaluate_methods(model: nn.Module, images: Tensor, targets: TargetType = None,
                     methods: Mapping[str, MethodLike] | None = None, *,
                     factories: Mapping[str, ExplainerFactory] | None = None,
                     n_steps: int = DEFAULT_STEPS, substrate: str = "zero", blur_sigma: float = DEFAULT_BLUR_SIGMA,
                     batch_size: int = 32, seed: int = 0, baselines: bool = True, centre_sigma: float = 0.25,
                     randomisation: bool = True, randomisation_layers: Sequence[str] | None = None,
                     randomisation_max_steps: int | None = 1, randomisation_group_depth: int | None = None,
                     batchnorm: str = "skip", confidence: float = 0.95, interval: str = "t") -> Evaluation:
    """Evaluate ``methods`` (name -> explainer or ``(inputs, target) -> map``) on ``images``.

    Args:
        targets: explained class(es); None = the model's prediction for each image. The same
            targets serve every method, curve and randomisation step.
        factories: name -> ``model -> method``, for the randomisation test. Explainer objects
            of helpers.explain need none (:func:`~.randomisation.factory_from` re-points a copy
            at the randomised model); a plain function without a factory gets NaN similarity.
        n_steps, substrate, blur_sigma, batch_size, seed: see :func:`~.deletion.deletion_insertion`
            (``seed`` also seeds the random baseline and the re-initialisation).
        randomisation: run the test at all. randomisation_layers / _max_steps / _group_depth:
            which cascade steps to measure (:func:`~.randomisation.checkpoint_steps`); the
            default ``max_steps=1`` measures only full randomisation (one extra map per method).
        confidence, interval: for :func:`~.intervals.mean_ci` ("t" or "bootstrap").
    """
    check_inputs(images)
    if not methods:
        raise ValueError("methods must name at least one method: {'saliency': Saliency(model), ...}")
    clash = {RANDOM, CENTRE_PRIOR} & set(methods) if baselines else set()
    if clash:
        raise ValueError(f"method names {sorted(clash)} are reserved for the baselines")
    factories = dict(factories or {})
    entries: list[tuple[str, str, MethodLike]] = [(name, "method", m) for name, m in methods.items()]
    if baselines:
        entries += [(name, "baseline", _model_free(name, seed, centre_sigma)) for name in (RANDOM, CENTRE_PRIOR)]
    n = images.shape[0]

    def area_ci(areas: Tensor) -> Interval:
        return mean_ci(areas.numpy(), confidence, interval, seed=seed, bounds=(0.0, 1.0))

    rows, curves, randomised, all_maps = [], {}, {}, {}
    with preserved_flags(model):
        target_t = resolve_targets(model, images, targets, batch_size)
        for name, kind, method in entries:
            fn = attribute_fn(method)
            maps, seconds = timed(lambda x: fn(x, target_t).detach(), images)
            curve = deletion_insertion(model, images, maps, target_t, n_steps=n_steps, substrate=substrate,
                                       blur_sigma=blur_sigma, batch_size=batch_size, seed=seed)
            nan = Interval(math.nan, math.nan, math.nan, 0, n, confidence)
            rho, sim, depth = nan, nan, 0
            factory = factories.get(name)
            if factory is None and randomisation:
                if kind == "baseline":
                    factory = (lambda m: lambda other: m)(method)
                else:
                    try:
                        factory = factory_from(method, model)
                    except TypeError:
                        factory = None  # a plain function: no way to point it at another model
            if randomisation and factory is not None:
                result = cascading_randomisation(model, images, factory, target_t, layers=randomisation_layers,
                                                 max_steps=randomisation_max_steps,
                                                 group_depth=randomisation_group_depth, batchnorm=batchnorm,
                                                 seed=seed, original_maps=maps)
                randomised[name] = result
                final_rho, final_sim = result.final()
                rho = mean_ci(final_rho.numpy(), confidence, interval, seed=seed, bounds=(-1.0, 1.0))
                sim = mean_ci(final_sim.numpy(), confidence, interval, seed=seed, bounds=(-1.0, 1.0))
                depth = result.n_randomised[-1]
            rows.append(MethodRow(method=name, kind=kind,
                                  deletion=area_ci(curve.deletion_area), insertion=area_ci(curve.insertion_area),
                                  spearman=rho, ssim=sim, seconds_per_image=seconds, n_images=n, n_randomised=depth))
            curves[name] = curve
            all_maps[name] = maps
    settings = {"n_steps": n_steps, "substrate": substrate, "blur_sigma": blur_sigma, "seed": seed,
                "n_images": n, "batchnorm": batchnorm, "confidence": confidence, "interval": interval,
                "randomisation_max_steps": randomisation_max_steps}
    return Evaluation(rows=rows, curves=curves, randomisation=randomised, maps=all_maps, target=target_t.cpu(),
                      settings=settings)
