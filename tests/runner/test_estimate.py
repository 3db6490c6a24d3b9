"""The run-time estimate: passes per section at given parameters, cached sections free, the
calibration on a tiny model, what makes a section count as cached, and the sentence shown."""
from __future__ import annotations

import json
import time
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from helpers.runner import estimate as est
from helpers.runner.progress import record_done

PARAMS = {"data_dir": "default", "model_arch": "classic", "checkpoint": None, "channel_order": "rgb",
          "input_size": None, "split": "evaluation", "batch_size": 4, "image_ids": [], "n_images": 2, "seed": 0,
          "saliency_variant": "max_abs", "layer": None, "filter_index": None, "n_grid_filters": 3,
          "ascent_steps": 11, "ascent_grid_steps": 13, "ascent_size": None, "smoothgrad_sigma": 0.2,
          "smoothgrad_samples": 3, "lime_samples": 7, "lime_segments": 50, "trust_steps": 4, "trust_substrate": "zero",
          "trust_random_steps": 2, "n_measure": 3, "language": "en", "progress": None}
# One forward 1 s, one forward+backward 10 s, decoding 0.5 s per image; ascent steps 100 s / 1000 s;
# a LIME sample 0.25 s, a curve forward 0.125 s, SmoothGrad's forward 0.5 s and forward+backward 4 s
# on its faster copy (all exact in binary: the sums compare with ==).
COSTS = est.PassCosts(forward=1.0, backward=10.0, decode=0.5, ascent_one=100.0, ascent_grid=1000.0, lime=0.25,
                      curve=0.125, noisy_forward=0.5, noisy_backward=4.0)


def passes_only(seconds: dict[str, float]) -> dict[str, float]:
    return {k: s - est.OVERHEAD[k] for k, s in seconds.items()}


def test_passes_per_section_at_given_parameters():
    seconds = passes_only(est.section_seconds(COSTS, PARAMS, n_images=2, n_split=20, n_measured=3))
    assert seconds == {
        "0": 20 * (1 + 0.5),                         # one forward over the split, decoding included
        "1": 3 * 10,                                 # one gradient per measured image
        "2": 11 * 100 + 13 * 1000 + 2 * 1,           # ascent steps (chosen filter, grid), activation maps
        "3": 2 * 7 * 0.25,                           # lime_samples LIME samples per shown image
        "4": 3 * (3 * 10 + 3 * (4 + 4 - 0.5)),       # guided backprop and Guided Grad-CAM (two gradients; the vanilla
                                                     # map is section 1's), 3 samples of 1 forward and 2 backwards
                                                     # for both SmoothGrads (copy), on every measured image
        "5": 3 * (10                                 # Grad-CAM, per measured image
                  + (3 + 8 * 2 * (4 - 1)) * 0.125    # curve end points, 8 maps x 2 curves x 3 inner steps
                  + 2 * 4 * 10)                      # 2 randomisation steps x 4 gradient maps
             + 2 * ((3 + 3 * 2 * (4 - 1)) * 0.125    # LIME's curves on the shown images (LIME and 2 baselines)
                    + 7 * 0.25),                     # LIME stability: one more explanation at section 3's samples
    }


def test_more_measured_images_cost_more_only_in_the_measured_sections():
    few = est.section_seconds(COSTS, PARAMS, n_images=2, n_split=20, n_measured=2)
    many = est.section_seconds(COSTS, PARAMS, n_images=2, n_split=20, n_measured=12)
    assert {k: many[k] for k in "023"} == {k: few[k] for k in "023"}
    assert all(many[k] > few[k] for k in "145")
    assert est.section_seconds(COSTS, PARAMS, 2, 20) == few  # no n_measured: the shown images are measured


def test_cached_sections_cost_only_their_overhead_and_no_cache_recomputes_in_section_5():
    cold = est.section_seconds(COSTS, PARAMS, 2, 20)
    warm = est.section_seconds(COSTS, PARAMS, 2, 20, cached=["1", "3"])
    assert warm["1"] == est.CACHED_OVERHEAD["1"] and warm["3"] == est.CACHED_OVERHEAD["3"]
    assert {k: warm[k] for k in "0245"} == {k: cold[k] for k in "0245"}
    no_cache = passes_only(est.section_seconds(COSTS, PARAMS, 2, 20, use_cache=False))
    assert no_cache["4"] == passes_only(cold)["4"] + 2 * 10  # the vanilla gradient again: no cache serves it
    assert no_cache["5"] - passes_only(cold)["5"] == pytest.approx(no_cache["3"] + no_cache["4"])
    course = passes_only(est.section_seconds(COSTS, {**PARAMS, "saliency_variant": "course"}, 2, 20))
    assert course["4"] == no_cache["4"]  # section 1's map is another one


def test_calibrate_times_the_report_batch_sizes_and_restores_the_model():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    model.train()
    seen, ascents = [], []
    model.register_forward_pre_hook(lambda module, args: seen.append(
        (args[0].shape[0], torch.is_grad_enabled(), args[0].is_contiguous(memory_format=torch.channels_last))))
    predicted = []
    def lime_predict(hwc):  # LIME's classifier function: float64 (B, H, W, C) images, as lime passes them
        predicted.append((hwc.shape, hwc.dtype))
        return np.zeros((len(hwc), 3))
    costs = est.calibrate(model, torch.rand(3, 3, 16, 16), batch_size=4, ascent=lambda *args: ascents.append(args),
                          grid=3, decode=0.25, repeats=2, lime_predict=lime_predict)
    # forwards (channels_last, as the predictions run) and gradients at batch_size, after 2-image warm-ups
    assert (4, False, True) in seen and (4, True, False) in seen and {n for n, *_ in seen} == {2, 4}
    assert sorted(set(ascents)) == [("fourier", 1, 4), ("fourier", 3, 4), ("plain", 1, 1), ("plain", 1, 4),
                                    ("plain", 3, 1), ("plain", 3, 4)]  # 1-step warm-ups, then 4 steps timed
    assert predicted == [((2, 16, 16, 3), np.dtype(np.float64))] + [((32, 16, 16, 3), np.dtype(np.float64))] * 2
    assert costs.decode == 0.25 and min(costs.forward, costs.backward, costs.ascent_one, costs.ascent_grid,
                                        costs.lime, costs.curve, costs.noisy_forward, costs.noisy_backward) > 0
    assert model.training and all(p.requires_grad for p in model.parameters())
    assert all(p.is_contiguous() for p in model.parameters())  # the curves' channels_last weights put back
    without = est.calibrate(model, torch.rand(3, 3, 16, 16), 4, ascent=lambda *args: None, grid=1)
    assert without.lime == without.forward  # no classifier function: a LIME sample costs a forward


def test_calibrate_times_only_what_the_uncached_sections_need():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    grads, ascents = [], []
    model.register_forward_pre_hook(lambda module, args: grads.append(torch.is_grad_enabled()))
    costs = est.calibrate(model, torch.rand(3, 3, 16, 16), 4, ascent=lambda *args: ascents.append(args), grid=2,
                          decode=0.5, needs={"backward"})
    assert costs.backward > 0 and costs.forward == costs.lime == costs.curve == costs.ascent_one == costs.decode == 0
    assert costs.noisy_forward == costs.noisy_backward == 0
    assert all(grads) and not ascents  # gradients only: no forward-only pass, no ascent
    nothing = est.calibrate(model, torch.rand(3, 3, 16, 16), 4, ascent=lambda *args: ascents.append(args), grid=2,
                            needs=())
    assert nothing == est.PassCosts(0, 0, 0, 0, 0) and not ascents
    assert {need for k in est.SECTION_GROUPS for need in est.NEEDS[k]} == {
        "forward", "backward", "decode", "lime", "curve", "ascent", "noisy"}  # every section is timed by something


def _files(tmp_path, n=3):
    files = []
    for i in range(n):
        files.append(tmp_path / f"0_{i}.jpg")
        files[-1].write_bytes(b"x" * (i + 1))
    return files


def test_signatures_follow_what_each_section_depends_on(tmp_path):
    model, files = nn.Linear(2, 2), _files(tmp_path)
    base = est.section_signatures(PARAMS, model, files)
    changed = lambda **kw: {k for k, s in est.section_signatures({**PARAMS, **kw}, model, files).items() if s != base[k]}
    assert changed(smoothgrad_samples=50) == {"4", "5"}
    assert changed(lime_samples=100) == {"3", "5"}
    assert changed(ascent_steps=1) == {"2"}
    assert changed(n_images=5) == {"1", "3", "4", "5"}
    assert changed(batch_size=8) == set("012345")
    assert changed(language="zh-TW", progress=True) == set()  # presentation only
    files[0].write_bytes(b"other data")
    assert all(s != base[k] for k, s in est.section_signatures(PARAMS, model, files).items())
    with torch.no_grad():
        model.weight.add_(1)
    assert all(s != base[k] for k, s in est.section_signatures(PARAMS, nn.Linear(2, 2), _files(tmp_path)).items())


class FakeSplit:
    def __init__(self, files):
        self.records = [SimpleNamespace(path=f, label=i % 2) for i, f in enumerate(files)]

    def __len__(self):
        return len(self.records)

    def load_many(self, indices):
        indices = list(indices)
        return torch.rand(len(indices), 3, 16, 16), torch.zeros(len(indices), dtype=torch.long), indices


def _run(tmp_path, enabled=True):
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    return SimpleNamespace(params=SimpleNamespace(**PARAMS), split=FakeSplit(_files(tmp_path)), model=model, layer="0",
                           layer_filters=4, ascent_size=8, loaded=SimpleNamespace(input_size=16, device=torch.device("cpu")),
                           cache=SimpleNamespace(root=tmp_path / "cache", enabled=enabled))


def test_sections_completed_by_an_earlier_run_are_reused(tmp_path):
    run = _run(tmp_path)
    first = est.estimate_report(run)
    assert first.cached == [] and first.cache_dir == str((tmp_path / "cache").resolve())
    for section in ("1", "3"):  # what the runner does when these sections completed
        record_done(first.cache_dir, first.signatures[section])
    second = est.estimate_report(run)
    assert second.cached == ["1", "3"] and second.seconds["1"] == est.CACHED_OVERHEAD["1"]
    assert second.text("en").endswith("on this CPU; cached results reused: Q1, Q3")
    assert second.text("zh-TW").endswith("沿用快取結果：第 1、3 節")
    for signature in first.signatures.values():
        record_done(first.cache_dir, signature)
    run.opened_at = time.perf_counter() - 5.0  # the set-up took 5 s
    warm = est.estimate_report(run)  # everything cached: no calibration, only the sections' overheads
    assert warm.costs == est.PassCosts(0, 0, 0, 0, 0) and warm.seconds == est.CACHED_OVERHEAD
    # the whole run: the sections, the set-up as measured, the kernel's start and papermill's end
    assert 5.0 + est.START_AND_END <= warm.outside <= 6.0 + est.START_AND_END
    assert warm.total == pytest.approx(sum(est.CACHED_OVERHEAD.values()) + warm.outside)
    assert warm.text("en").endswith("; all results cached") and warm.text("zh-TW").endswith("；全部沿用快取結果")
    off = est.estimate_report(_run(tmp_path, enabled=False))
    assert off.cached == [] and off.cache_dir is None


@pytest.mark.parametrize("seconds, en, zh", [(40.4, "about 40 s", "約 40 秒"), (420, "about 7 min", "約 7 分鐘")])
def test_duration(seconds, en, zh):
    assert est.duration(seconds, "en") == en and est.duration(seconds, "zh-TW") == zh


def test_show_puts_the_numbers_in_the_output_metadata(tmp_path, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, metadata=None: shown.append((obj, metadata)))
    estimate = est.Estimate({"0": 30.0, "1": 400.0}, ["0"], "cpu", COSTS, {"0": "a", "1": "b"}, "/cache")
    estimate.show("zh-TW")
    (markdown, metadata), = shown
    assert markdown.data == "**預估執行時間**：在這台電腦的 CPU 上約 7 分鐘；沿用快取結果：預測結果。"
    data = json.loads(json.dumps(metadata))["report_estimate"]  # it must survive the notebook's JSON
    assert data["seconds"] == {"0": 30.0, "1": 400.0} and data["signatures"]["1"] == "b"
    assert data["text"]["en"] == "about 7 min on this CPU; cached results reused: predictions"


def test_the_device_is_named_as_users_know_it():
    on_gpu = est.Estimate({"0": 30.0}, [], "cuda", COSTS, {}, None)
    assert on_gpu.text("en") == "about 30 s on this GPU; no cached results"
    assert on_gpu.text("zh-TW") == "在這台電腦的 GPU 上約 30 秒；沒有可沿用的快取結果"


def test_the_estimate_reads_parameters_the_notebook_has():
    from helpers.report.params import notebook_parameters

    parameters = notebook_parameters()  # report.ipynb's parameters cell: a renamed parameter fails here
    assert {name for names in est.GROUPS.values() for name in names} <= set(parameters)
    seconds = est.section_seconds(COSTS, parameters, n_images=10, n_split=100)
    assert set(seconds) == set(est.SECTION_GROUPS) and min(seconds.values()) > 0


def test_signatures_follow_the_code_that_computes_results(tmp_path):
    root, model, files = tmp_path / "project", nn.Linear(2, 2), _files(tmp_path)
    for name in ("explain/saliency.py", "report/cached.py", "report/messages.py", "plotting/grids.py",
                 "runner/progress.py", "training/train_classic.py"):
        (root / "helpers" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "helpers" / name).write_text("# v1")
    base = est.section_signatures(PARAMS, model, files, root)
    for name, counts in [("report/messages.py", False), ("plotting/grids.py", False), ("runner/progress.py", False),
                         ("training/train_classic.py", False),
                         ("explain/saliency.py", True), ("report/cached.py", True)]:
        (root / "helpers" / name).write_text("# edited")
        assert (est.section_signatures(PARAMS, model, files, root) != base) == counts, name
        base = est.section_signatures(PARAMS, model, files, root)


def test_calibrate_times_smoothgrad_passes_on_the_copy_smoothgrad_makes(monkeypatch):
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(4, 3))
    calls = []

    class Copy(nn.Module):
        def forward(self, x):
            calls.append((x.shape[0], x.is_contiguous(memory_format=torch.channels_last), torch.is_grad_enabled()))
            return model(x)

    made = []
    monkeypatch.setattr(est, "make_fast_copy", lambda m, probe: made.append(m) or Copy())
    costs = est.calibrate(model, torch.rand(3, 3, 16, 16), 4, ascent=lambda *args: None, grid=1, needs={"noisy"})
    assert made == [model] and costs.noisy_forward > 0 and costs.noisy_backward > 0
    assert {(4, True, True), (4, True, False)} <= set(calls)  # gradients and forwards at batch_size, channels_last
    assert costs.forward == costs.backward == 0
