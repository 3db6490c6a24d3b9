"""evaluate_methods: the report's table on a region-only model and on a small CNN (timing:
test_trust_timing.py)."""
from __future__ import annotations

import math

import pytest
import torch

from helpers.explain import GradCAM, GuidedBackprop, Saliency
from helpers.trust import CENTRE_PRIOR, RANDOM, evaluate_methods
from trust_testutils import RegionModel, make_small, quadrant_map, region_images, small_images


def test_region_model_table_ranks_the_right_map_first():
    model, x = RegionModel(), region_images(5)
    methods = {"right": lambda inputs, target: quadrant_map(inputs.shape[0], inputs.shape[-1], "top_left"),
               "wrong": lambda inputs, target: quadrant_map(inputs.shape[0], inputs.shape[-1], "bottom_right")}
    ev = evaluate_methods(model, x, None, methods, n_steps=10, randomisation=False)
    assert [r.method for r in ev.rows] == ["right", "wrong", RANDOM, CENTRE_PRIOR]
    right, wrong, rand = ev.row("right"), ev.row("wrong"), ev.row(RANDOM)
    assert right.deletion.mean < rand.deletion.mean < wrong.deletion.mean
    assert right.insertion.mean > rand.insertion.mean > wrong.insertion.mean
    assert right.kind == "method" and rand.kind == "baseline"
    assert math.isnan(right.spearman.mean) and right.n_randomised == 0
    assert ev.curves["right"].deletion.shape == (5, 11)


def test_small_cnn_with_explainers_and_randomisation():
    model, x = make_small(), small_images(4)
    flags = [p.requires_grad for p in model.parameters()]
    state = {k: v.clone() for k, v in model.state_dict().items()}
    methods = {"saliency": Saliency(model), "guided": GuidedBackprop(model), "gradcam": GradCAM(model, "conv2"),
               "plain function": lambda inputs, target: Saliency(model).attribute(inputs, target)}
    ev = evaluate_methods(model, x, 1, methods, n_steps=6, batch_size=8)
    rec = ev.records()
    assert len(rec) == 6 and {"deletion_mean", "insertion_low", "spearman_high", "ssim_mean", "seconds_per_image",
                              "n_images", "n_randomised"} <= set(rec[0])
    assert (ev.target == 1).all()
    sal = ev.row("saliency")
    assert sal.n_randomised == 3 and sal.spearman.n == 4 and sal.spearman.mean < 0.5
    assert 0 <= sal.deletion.mean <= 1 and sal.seconds_per_image > 0
    assert math.isnan(ev.row("plain function").spearman.mean)  # no factory: not randomised, not faked
    # model-free baselines are unchanged by randomisation: similarity exactly 1
    assert ev.row(RANDOM).spearman.mean == 1.0 and ev.row(CENTRE_PRIOR).ssim.mean == 1.0
    # the plain function and Saliency give the same maps, so the same curves
    torch.testing.assert_close(ev.curves["plain function"].deletion, ev.curves["saliency"].deletion)
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())
    # a factory makes a plain function randomisable
    ev2 = evaluate_methods(model, x[:2], None, {"f": lambda i, t: Saliency(model).attribute(i, t)},
                           factories={"f": lambda m: Saliency(m)}, n_steps=4, baselines=False)
    assert ev2.row("f").spearman.n == 2 and len(ev2.rows) == 1


def test_per_image_scores_feed_paired_comparisons_and_name_a_winner_only_when_it_concludes():
    model, x = RegionModel(), region_images(6)
    methods = {"right": lambda inputs, target: quadrant_map(inputs.shape[0], inputs.shape[-1], "top_left"),
               "wrong": lambda inputs, target: quadrant_map(inputs.shape[0], inputs.shape[-1], "bottom_right")}
    ev = evaluate_methods(model, x, None, methods, n_steps=10, randomisation=False)
    deletion = ev.scores("deletion")
    assert list(deletion) == ["right", "wrong", RANDOM, CENTRE_PRIOR] and deletion["right"].shape == (6,)
    torch.testing.assert_close(deletion["right"], ev.curves["right"].deletion_area)
    vs_random = ev.paired("deletion")  # lower area is better: signed so that positive = better
    assert vs_random["right"].verdict == "better" and vs_random["wrong"].verdict == "worse"
    assert vs_random["right"].mean == pytest.approx(float((deletion[RANDOM] - deletion["right"]).mean()))
    assert ev.paired("insertion")["right"].verdict == "better"
    assert ev.winner("deletion") == "right" and ev.winner("insertion") == "right"
    assert ev.pairwise("deletion")["right", "wrong"].verdict == "better"
    assert ev.scores("spearman") == {}  # not randomised: no similarity scores, none made up
    records = ev.per_image_records()
    assert len(records) == 4 * 6 and math.isnan(records[0]["spearman"])
    assert records[0]["deletion"] == pytest.approx(float(deletion["right"][0]))
    # two maps that are the same up to ties: no winner may be named between them
    same = evaluate_methods(model, x, None, {"a": methods["right"], "b": methods["right"]}, n_steps=10,
                            randomisation=False, baselines=False)
    assert same.winner("deletion") is None and same.paired("deletion", baseline="a")["b"].verdict == "inconclusive"
    with pytest.raises(ValueError, match="metric"):
        ev.scores("area")


def test_precomputed_maps_are_used_as_given_and_not_recomputed():
    model, x = make_small(), small_images(3)
    calls = []

    class CountingSaliency(Saliency):
        def attribute(self, inputs, target=None):
            calls.append(inputs.shape[0])
            return super().attribute(inputs, target)

    counted = CountingSaliency(model)
    reference = evaluate_methods(model, x, 1, {"saliency": Saliency(model)}, n_steps=4, baselines=False)
    given = reference.maps["saliency"]
    ev = evaluate_methods(model, x, 1, {"saliency": counted}, maps={"saliency": given, "only_maps": given * 2},
                          map_seconds={"saliency": 0.25}, n_steps=4, baselines=False)
    assert [r.method for r in ev.rows] == ["saliency", "only_maps"]
    assert calls == [3]  # one map per image for the randomised model only, never the given original
    sal, only = ev.row("saliency"), ev.row("only_maps")
    assert sal.map_source == "given" and sal.seconds_per_image == 0.25
    assert only.map_source == "given" and math.isnan(only.seconds_per_image)
    torch.testing.assert_close(ev.curves["saliency"].deletion, reference.curves["saliency"].deletion)
    torch.testing.assert_close(ev.row("saliency").spearman.mean, reference.row("saliency").spearman.mean)
    assert only.n_randomised == 0 and math.isnan(only.spearman.mean)  # no method, no factory: not randomised
    assert ev.settings["given_maps"] == ["only_maps", "saliency"]
    with pytest.raises(ValueError, match="N = 3 images"):
        evaluate_methods(model, x, 1, maps={"bad": given[:2]})
    with pytest.raises(ValueError, match="without maps"):
        evaluate_methods(model, x, 1, {"saliency": Saliency(model)}, map_seconds={"saliency": 1.0})


def test_constant_maps_after_randomisation_are_counted_in_the_row():
    model, x = make_small(), small_images(3)

    def factory(m):
        return Saliency(m) if m is model else (lambda inputs, target: torch.zeros_like(inputs))

    ev = evaluate_methods(model, x, None, {"f": Saliency(model)}, factories={"f": factory}, n_steps=4,
                          baselines=False)
    row = ev.row("f")
    assert row.n_constant == 3 and row.spearman.n == 0 and row.spearman.n_dropped == 3
    record = row.as_dict()
    assert record["n_constant"] == 3 and record["spearman_n"] == 0
    assert torch.isnan(ev.scores("spearman")["f"]).all()


def test_reserved_names_and_empty_methods():
    model, x = make_small(), small_images(1)
    with pytest.raises(ValueError, match="reserved"):
        evaluate_methods(model, x, None, {RANDOM: Saliency(model)})
    with pytest.raises(ValueError, match="at least one"):
        evaluate_methods(model, x, None, {})



def test_curves_on_the_faster_copy_equal_the_model_s_and_leave_the_model_as_it_was():
    model, x = make_small(), small_images(4)
    model.train()  # the copy is made from the eval-mode model; the caller's mode comes back
    maps = {"saliency": Saliency(model.eval()).attribute(x)}
    model.train()
    plain = evaluate_methods(model, x, None, maps=maps, n_steps=4, substrate="mean", randomisation=False)
    fast = evaluate_methods(model, x, None, maps=maps, n_steps=4, substrate="mean", randomisation=False,
                            fast_copy=True, channels_last=True)
    assert fast.settings["fast_copy"] is True and plain.settings["fast_copy"] is False  # the copy ran
    assert model.training and all(m.training for m in model.modules())
    for name in ("saliency", RANDOM, CENTRE_PRIOR):
        for curve in ("deletion", "insertion"):
            assert torch.allclose(getattr(fast.curves[name], curve), getattr(plain.curves[name], curve), atol=1e-5)
