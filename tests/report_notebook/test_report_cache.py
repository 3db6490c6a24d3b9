"""The on-disk cache: a hit when nothing changed, a miss when the model's weights, the images
or a method parameter change; results are reproducible (seeded) without the cache too."""
from __future__ import annotations

import torch

from helpers.models.classic import Food11CNN
from helpers.report import compute as C
from helpers.report.cache import ResultCache, model_fingerprint


def _model(seed=0):
    torch.manual_seed(seed)
    return Food11CNN(3, input_size=32).eval()


def _images():
    return torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))


def _smooth(cache, model, images, **kw):
    args = dict(base="saliency", sigma=0.2, samples=2, seed=0, batch_size=4, progress=False)
    args.update(kw)
    return C.smoothgrad_maps(cache, model, model_fingerprint(model), images, torch.tensor([0, 1]), **args)


def test_hit_when_nothing_changed_and_miss_when_anything_does(tmp_path):
    cache = ResultCache(tmp_path)
    model, images = _model(), _images()
    first = _smooth(cache, model, images)
    assert cache.misses == ["smoothgrad_saliency"] and cache.hits == []
    again = _smooth(ResultCache(tmp_path), model, images)  # a new run, same disk
    assert torch.equal(first, again)
    second = ResultCache(tmp_path)
    _smooth(second, model, images)
    assert second.hits == ["smoothgrad_saliency"] and second.misses == []
    for change in ({"sigma": 0.3}, {"samples": 3}, {"seed": 1}, {"base": "guided"}):
        probe = ResultCache(tmp_path)
        _smooth(probe, model, images, **change)
        assert probe.misses and not probe.hits, change
    probe = ResultCache(tmp_path)
    _smooth(probe, _model(seed=1), images)  # other weights
    assert probe.misses and not probe.hits
    probe = ResultCache(tmp_path)
    _smooth(probe, model, images.flip(-1))  # other images
    assert probe.misses and not probe.hits


def test_disabled_cache_recomputes_the_same_numbers(tmp_path):
    model, images = _model(), _images()
    off = ResultCache(tmp_path, enabled=False)
    a = C.lime_results(off, model, model_fingerprint(model), images, 12, 6, 0, 8)
    b = C.lime_results(off, model, model_fingerprint(model), images, 12, 6, 0, 8)
    assert all(torch.equal(x["weights"], y["weights"]) for x, y in zip(a, b))
    fp = model_fingerprint(model)
    p1 = C.ascent_images(off, model, fp, "conv2", [0, 1], 2, 32, True, 0)
    p2 = C.ascent_images(off, model, fp, "conv2", [0, 1], 2, 32, True, 0)
    assert torch.equal(p1["images"], p2["images"])
    assert off.hits == [] and not any(tmp_path.iterdir())


def test_model_fingerprint_follows_weights():
    model = _model()
    before = model_fingerprint(model)
    assert model_fingerprint(_model()) == before
    with torch.no_grad():
        model.fc[-1].bias[0] += 1
    assert model_fingerprint(model) != before


def test_code_fingerprint_follows_only_the_kind_s_sources(tmp_path):
    from helpers.report.cache import code_fingerprint

    explain = tmp_path / "helpers" / "explain"
    explain.mkdir(parents=True)
    (explain / "lime_explainer.py").write_text("v1")
    (explain / "saliency.py").write_text("v1")
    before = {kind: code_fingerprint(kind, tmp_path) for kind in ("lime", "saliency", "trust")}
    (explain / "lime_explainer.py").write_text("v2")
    after = {kind: code_fingerprint(kind, tmp_path) for kind in ("lime", "saliency", "trust")}
    assert after["lime"] != before["lime"] and after["trust"] != before["trust"]
    assert after["saliency"] == before["saliency"]
