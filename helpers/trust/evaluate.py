"""One call for the report's table: every method (and two baselines) on the same images.

Per method: deletion and insertion areas (:mod:`.deletion`), similarity to the original map
after randomising the model (:mod:`.randomisation`; by default only at full randomisation), and
the seconds per image its maps took; each as a mean with a 95 % interval over images
(:mod:`.intervals`). Rows "random" and "centre prior" are the baselines: model-free maps, so
their randomisation similarity is 1 by construction (that is exactly what the sanity check
flags: a map that does not depend on the model passes no test of it).

The per-image scores are kept (:meth:`Evaluation.scores`), because methods are compared by
PAIRED differences on the same images (:mod:`.paired`: :meth:`Evaluation.paired`,
:meth:`Evaluation.winner`), not by overlapping per-method intervals. Maps already computed
elsewhere (e.g. the report's earlier sections, on the same images and targets) can be passed in
``maps`` and are evaluated as they are, not recomputed.

Cost, in forward passes per image: 3 for the curves' shared end points, then per method its map
(nothing for maps given in ``maps``), 2 * (n_steps - 1) for its two curves, and one recomputed
map per measured randomisation step (``randomisation_max_steps``). Measured on this 2-core CPU
for EfficientNet-Lite0 at 224 px (CPU seconds per image, about twice a quiet machine's wall
time): a forward pass 0.13 s (0.09-0.10 s with ``channels_last=True``), a vanilla-gradient map
0.56 s, Grad-CAM 0.29 s, integrated gradients with 16 steps 3.7 s. The whole call on 10 images
with 5 given maps, Grad-CAM, the two baselines, n_steps=6, channels_last and 2 randomisation
steps for 3 methods: 122 CPU seconds (about a minute on a quiet machine); n_steps=4 saves about
a quarter. bench/bench_trust.py prints the parts.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from torch import Tensor, nn

from helpers.explain.base import TargetType, check_inputs
from helpers.models.fast_copy import make_fast_copy

from .deletion import DEFAULT_BLUR_SIGMA, DEFAULT_STEPS, DeletionInsertionResult, curve_endpoints, deletion_insertion
from .intervals import Interval, mean_ci
from .maps import MethodLike, attribute_fn, centre_prior_map, eval_mode, preserved_flags, random_map
from .paired import PairedDifference, paired_differences, pairwise_differences, winner
from .randomisation import ExplainerFactory, RandomisationResult, cascading_randomisation, factory_from
from .timing import timed

RANDOM = "random"
CENTRE_PRIOR = "centre prior"
#: Per-image scores the evaluation keeps, and whether a higher value is the better one
#: (similarity after randomisation: lower = the map depends more on the model = better).
HIGHER_IS_BETTER = {"deletion": False, "insertion": True, "spearman": False, "ssim": False}


@dataclass
class MethodRow:
    """One line of the table. ``kind`` is "method" or "baseline". ``spearman`` / ``ssim``: at the
    deepest measured randomisation step (``n_randomised`` layers random); NaN intervals with
    n = 0 when randomisation was not run for this method. ``n_constant``: maps that became
    constant there (no Spearman value; ``spearman.n`` counts the others). ``map_source``:
    "computed" here or "given" (precomputed maps; ``seconds_per_image`` is then the time the
    caller reported, NaN if none)."""

    method: str
    kind: str
    deletion: Interval
    insertion: Interval
    spearman: Interval
    ssim: Interval
    seconds_per_image: float
    n_images: int
    n_randomised: int
    n_constant: int = 0
    map_source: str = "computed"

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"method": self.method, "kind": self.kind}
        for name in ("deletion", "insertion", "spearman", "ssim"):
            interval: Interval = getattr(self, name)
            out.update({f"{name}_mean": interval.mean, f"{name}_low": interval.low, f"{name}_high": interval.high,
                        f"{name}_n": interval.n})
        out.update({"seconds_per_image": self.seconds_per_image, "n_images": self.n_images,
                    "n_randomised": self.n_randomised, "n_constant": self.n_constant, "map_source": self.map_source})
        return out


@dataclass
class Evaluation:
    """rows: the table; curves / randomisation: per-method details for figures and per-image
    scores; maps: the maps evaluated (N, ...) per method; target (N,); settings: the parameters
    used."""

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

    def scores(self, metric: str) -> dict[str, Tensor]:
        """Per-image scores (N,) of every row that has them, in row order. ``metric``:
        "deletion" / "insertion" (areas; every row) or "spearman" / "ssim" (at the deepest
        measured randomisation step; only rows that were randomised; NaN = constant map)."""
        if metric not in HIGHER_IS_BETTER:
            raise ValueError(f"metric must be one of {sorted(HIGHER_IS_BETTER)}, got {metric!r}")
        if metric in ("deletion", "insertion"):
            return {row.method: getattr(self.curves[row.method], f"{metric}_area").cpu() for row in self.rows
                    if row.method in self.curves and getattr(self.curves[row.method], metric) is not None}
        return {row.method: getattr(self.randomisation[row.method], metric)[-1].cpu() for row in self.rows
                if row.method in self.randomisation}

    def per_image_records(self) -> list[dict[str, object]]:
        """Tidy rows (method, image, target, deletion, insertion, spearman, ssim) for a table or a
        cache: everything a paired comparison needs, NaN where a score was not measured."""
        metrics = {metric: self.scores(metric) for metric in HIGHER_IS_BETTER}
        out = []
        for row in self.rows:
            for i in range(row.n_images):
                record: dict[str, object] = {"method": row.method, "image": i, "target": int(self.target[i])}
                for metric, by_method in metrics.items():
                    record[metric] = float(by_method[row.method][i]) if row.method in by_method else math.nan
                out.append(record)
        return out

    def paired(self, metric: str, baseline: str = RANDOM, confidence: float = 0.95,
               method: str = "t") -> dict[str, PairedDifference]:
        """Every other row against ``baseline`` on the same images (positive = better), see
        :func:`~.paired.paired_differences`; e.g. ``paired("deletion")`` says which methods beat
        the random map on deletion, with intervals, verdicts and images needed."""
        return paired_differences(self._scores_with(metric, baseline), baseline, HIGHER_IS_BETTER[metric],
                                  confidence, method, seed=int(self.settings.get("seed", 0)))

    def pairwise(self, metric: str, confidence: float = 0.95,
                 method: str = "t") -> dict[tuple[str, str], PairedDifference]:
        """Every ordered pair of rows with this score, see :func:`~.paired.pairwise_differences`."""
        return pairwise_differences(self._scores_with(metric), HIGHER_IS_BETTER[metric], confidence, method,
                                    seed=int(self.settings.get("seed", 0)))

    def winner(self, metric: str, confidence: float = 0.95, method: str = "t") -> str | None:
        """The method better than every other row (baselines included) on ``metric`` by paired
        intervals that exclude 0; None when no method is, i.e. no best method may be named."""
        scores = self._scores_with(metric)
        candidates = [row.method for row in self.rows if row.kind == "method" and row.method in scores]
        return winner(scores, HIGHER_IS_BETTER[metric], candidates=candidates, confidence=confidence, method=method,
                      seed=int(self.settings.get("seed", 0)))

    def _scores_with(self, metric: str, required: str | None = None) -> dict[str, Tensor]:
        scores = self.scores(metric)
        if required is not None and required not in scores:
            raise KeyError(f"no {metric} scores for {required!r}; rows with them: {list(scores)}")
        return scores


def _model_free(kind: str, seed: int, centre_sigma: float) -> MethodLike:
    if kind == RANDOM:
        return lambda inputs, target=None: random_map(inputs, seed)
    return lambda inputs, target=None: centre_prior_map(inputs, centre_sigma)


def evaluate_methods(model: nn.Module, images: Tensor, targets: TargetType = None,
                     methods: Mapping[str, MethodLike] | None = None, *,
                     maps: Mapping[str, Tensor] | None = None, map_seconds: Mapping[str, float] | None = None,
                     factories: Mapping[str, ExplainerFactory] | None = None,
                     n_steps: int = DEFAULT_STEPS, substrate: str = "zero", blur_sigma: float = DEFAULT_BLUR_SIGMA,
                     batch_size: int = 32, seed: int = 0, baselines: bool = True, centre_sigma: float = 0.25,
                     randomisation: bool = True, randomisation_layers: Sequence[str] | None = None,
                     randomisation_max_steps: int | None = 1, randomisation_group_depth: int | None = None,
                     batchnorm: str = "skip", confidence: float = 0.95, interval: str = "t",
                     channels_last: bool = False, fast_copy: bool = False) -> Evaluation:
    """Evaluate ``methods`` (name -> explainer or ``(inputs, target) -> map``) on ``images``.

    Args:
        targets: explained class(es); None = the model's prediction for each image. The same
            targets serve every method, curve and randomisation step.
        maps: name -> maps (N, C', h, w) already computed for these images AND these targets
            (e.g. in the report's earlier sections): evaluated as given, not recomputed. A name
            may be in ``maps`` only (no method): it then gets curves, and randomisation only
            with a factory in ``factories``. Given with a method, the method (or its factory)
            serves the randomisation test and the given maps are its original maps.
        map_seconds: name -> seconds per image the caller measured for its given ``maps`` (the
            table's time column; NaN when not given).
        factories: name -> ``model -> method``, for the randomisation test. Explainer objects
            of helpers.explain need none (:func:`~.randomisation.factory_from` re-points a copy
            at the randomised model); a plain function without a factory gets NaN similarity.
        n_steps, substrate, blur_sigma, batch_size, seed: see :func:`~.deletion.deletion_insertion`
            (``batch_size`` is also the number of images per map call of the randomisation test)
            (``seed`` also seeds the random baseline and the re-initialisation).
        randomisation: run the test at all. randomisation_layers / _max_steps / _group_depth:
            which cascade steps to measure (:func:`~.randomisation.checkpoint_steps`); the
            default ``max_steps=1`` measures only full randomisation (one extra map per method).
        confidence, interval: for :func:`~.intervals.mean_ci` ("t" or "bootstrap").
        channels_last: run the curves' forward passes in channels_last format
            (:func:`~.deletion.deletion_insertion`; the maps are computed as the methods say).
        fast_copy: run the curves' forward passes on the faster copy of the model
            (:func:`helpers.models.fast_copy.make_fast_copy`: BatchNorm folded, channels_last;
            1.7x cheaper for EfficientNet-Lite0 on this CPU), made once for the call; its
            probabilities equal the model's to float32 rounding. Where no copy can be made the
            model itself runs. Maps and randomisation always use the model.
    """
    check_inputs(images)
    methods, given = dict(methods or {}), dict(maps or {})
    if not methods and not given:
        raise ValueError("methods (or maps) must name at least one method: {'saliency': Saliency(model), ...}")
    clash = {RANDOM, CENTRE_PRIOR} & (set(methods) | set(given)) if baselines else set()
    if clash:
        raise ValueError(f"method names {sorted(clash)} are reserved for the baselines")
    n = images.shape[0]
    for name, m in given.items():
        if not isinstance(m, Tensor) or m.dim() not in (3, 4) or m.shape[0] != n:
            shape = tuple(m.shape) if isinstance(m, Tensor) else type(m).__name__
            raise ValueError(f"maps[{name!r}] must be a tensor (N, C, H, W) or (N, H, W) with N = {n} images "
                             f"(the images given here, in the same order), got {shape}")
    seconds_given = dict(map_seconds or {})
    unknown = set(seconds_given) - set(given)
    if unknown:
        raise ValueError(f"map_seconds names {sorted(unknown)} without maps; give their maps in maps=")
    factories = dict(factories or {})
    names = list(methods) + [name for name in given if name not in methods]
    entries: list[tuple[str, str, MethodLike | None]] = [(name, "method", methods.get(name)) for name in names]
    if baselines:
        entries += [(name, "baseline", _model_free(name, seed, centre_sigma)) for name in (RANDOM, CENTRE_PRIOR)]

    def area_ci(areas: Tensor) -> Interval:
        return mean_ci(areas.numpy(), confidence, interval, seed=seed, bounds=(0.0, 1.0))

    rows, curves, randomised, all_maps = [], {}, {}, {}
    with preserved_flags(model):
        # The curves' end points (and the predicted targets) are the same for every map: once.
        curve_model = model
        if fast_copy:
            with eval_mode(model):  # the copy is made from (and checked against) the eval-mode model
                curve_model = make_fast_copy(model, images[:2].detach()) or model
        endpoints = curve_endpoints(curve_model, images, targets, substrate=substrate, blur_sigma=blur_sigma,
                                    batch_size=batch_size, channels_last=channels_last)
        target_t = endpoints.target.to(images.device)
        for name, kind, method in entries:
            if name in given:
                maps_i = given[name].detach().to(images.device)
                seconds = float(seconds_given.get(name, math.nan))
            else:
                fn = attribute_fn(method)
                maps_i, seconds = timed(lambda x: fn(x, target_t).detach(), images)
            curve = deletion_insertion(curve_model, images, maps_i, target_t, n_steps=n_steps, substrate=substrate,
                                       blur_sigma=blur_sigma, batch_size=batch_size, seed=seed, endpoints=endpoints,
                                       channels_last=channels_last)
            nan = Interval(math.nan, math.nan, math.nan, 0, n, confidence)
            rho, sim, depth, n_constant = nan, nan, 0, 0
            factory = factories.get(name)
            if factory is None and randomisation and method is not None:
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
                                                 seed=seed, original_maps=maps_i, batch_size=batch_size)
                randomised[name] = result
                final_rho, final_sim = result.final()
                rho = mean_ci(final_rho.numpy(), confidence, interval, seed=seed, bounds=(-1.0, 1.0))
                sim = mean_ci(final_sim.numpy(), confidence, interval, seed=seed, bounds=(-1.0, 1.0))
                depth, n_constant = result.n_randomised[-1], result.n_constant[-1]
            rows.append(MethodRow(method=name, kind=kind,
                                  deletion=area_ci(curve.deletion_area), insertion=area_ci(curve.insertion_area),
                                  spearman=rho, ssim=sim, seconds_per_image=seconds, n_images=n, n_randomised=depth,
                                  n_constant=n_constant, map_source="given" if name in given else "computed"))
            curves[name] = curve
            all_maps[name] = maps_i
    settings = {"n_steps": n_steps, "substrate": substrate, "blur_sigma": blur_sigma, "seed": seed,
                "n_images": n, "batchnorm": batchnorm, "confidence": confidence, "interval": interval,
                "randomisation_max_steps": randomisation_max_steps, "given_maps": sorted(given),
                "channels_last": channels_last, "fast_copy": curve_model is not model}
    return Evaluation(rows=rows, curves=curves, randomisation=randomised, maps=all_maps, target=target_t.cpu(),
                      settings=settings)
