"""``cached(fn, *args)``, the notebook's way to call expensive computations: a hit when nothing
changed, a miss when the model's weights, the images, a setting of the explainer (nested ones
too) or the code behind it change; results come back as they went in (dataclasses included)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.explain import GuidedBackprop, LimeExplainer, Saliency, SharedPasses, SmoothGrad
from helpers.models.classic import Food11CNN
from helpers.report import cached as cached_module
from helpers.report.cache import ResultCache
from helpers.report.cached import cached, call_key, from_storable, to_storable


def _model(seed=0, channel_order="rgb"):
    torch.manual_seed(seed)
    return Food11CNN(3, input_size=32, channel_order=channel_order).eval()


def _images():
    return torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))


def _smooth(model, inner=Saliency, **kw):
    args = dict(sigma=0.2, n_samples=2, seed=0, batch_size=4)
    args.update(kw)
    return SmoothGrad(inner(model, reduction="max_abs"), **args)


def test_hit_when_nothing_changed_and_miss_when_anything_does(tmp_path):
    model, images, target = _model(), _images(), torch.tensor([0, 1])
    first_cache = ResultCache(tmp_path)
    first = cached(first_cache, _smooth(model), images, target=target)
    assert first_cache.misses == ["SmoothGrad.attribute"] and first_cache.hits == []
    again = ResultCache(tmp_path)  # a new run, same disk
    assert torch.equal(cached(again, _smooth(model), images, target=target), first)
    assert again.hits == ["SmoothGrad.attribute"] and again.misses == []
    changes = [(_smooth(model, sigma=0.3), images, target), (_smooth(model, n_samples=3), images, target),
               (_smooth(model, seed=1), images, target), (_smooth(model, GuidedBackprop), images, target),
               (_smooth(_model(seed=1)), images, target), (_smooth(_model(channel_order="bgr")), images, target),
               (_smooth(model), images.flip(-1), target), (_smooth(model), images, torch.tensor([1, 1]))]
    for explainer, x, t in changes:
        probe = ResultCache(tmp_path)
        cached(probe, explainer, x, target=t)
        assert probe.misses and not probe.hits, explainer


def test_progress_and_shared_passes_do_not_change_the_key():
    model, images = _model(), _images()
    assert call_key(_smooth(model, progress=True).attribute, (images,), {}) == \
        call_key(_smooth(model, progress=False).attribute, (images,), {})
    group = SharedPasses()
    _smooth(model, GuidedBackprop, share_passes=group)  # a member already in the group
    assert call_key(_smooth(model, share_passes=group).attribute, (images,), {}) == \
        call_key(_smooth(model).attribute, (images,), {})  # sharing passes gives the same maps, bit for bit


def test_a_map_handed_over_by_shared_passes_is_cached_like_a_computed_one(tmp_path):
    model, images, target, group = _model(), _images(), torch.tensor([0, 1]), SharedPasses()
    plain, guided = _smooth(model, share_passes=group), _smooth(model, GuidedBackprop, share_passes=group)
    cache = ResultCache(tmp_path)
    cached(cache, plain, images, target=target)
    assert guided in group.handed_over  # the plain SmoothGrad's passes also made the guided map
    got = cached(cache, guided, images, target=target)
    assert cache.misses == ["SmoothGrad.attribute"] * 2 and not group.handed_over
    assert torch.equal(got, _smooth(model, GuidedBackprop).attribute(images, target))
    assert torch.equal(cached(ResultCache(tmp_path), _smooth(model, GuidedBackprop), images, target=target), got)


def test_the_source_of_the_method_is_part_of_the_key(monkeypatch):
    model, images = _model(), _images()
    before = call_key(_smooth(model).attribute, (images,), {})[1]["code"]
    real = cached_module._code_hash

    def edited(sources):
        assert any(p.name == "smoothgrad.py" for p in sources) and any(p.name == "saliency.py" for p in sources)
        return real(sources) + "-edited"

    monkeypatch.setattr(cached_module, "_code_hash", edited)
    assert call_key(_smooth(model).attribute, (images,), {})[1]["code"] != before


def test_sources_are_the_methods_modules_and_what_they_use():
    from helpers.explain import ActivationMaximization

    def names(fn, *args):
        return {p.name for p in cached_module.source_files(_described(fn, *args))}

    smooth = names(_smooth(_model()).attribute, _images())
    assert {"smoothgrad.py", "saliency.py", "base.py", "classic.py", "images.py"} <= smooth
    assert "lime_explainer.py" not in smooth and "deletion.py" not in smooth  # other methods keep their results
    ascent = names(ActivationMaximization(_model(), "conv1", steps=1).run, [0])
    assert "activation_maps.py" in ascent, "layer_output, used by the ascent, lives there"


def _described(fn, *args):
    describe = cached_module._Describer()
    describe(fn)
    describe(list(args))
    return describe.modules


def test_the_key_follows_the_bytes_of_the_sources(tmp_path):
    source = tmp_path / "helpers" / "explain" / "saliency.py"
    source.parent.mkdir(parents=True)
    source.write_text("# v1\n")
    before = cached_module._code_hash([source], root=tmp_path)
    source.write_text("# v2: a fixed bug\n")
    assert cached_module._code_hash([source], root=tmp_path) != before


def test_disabled_cache_recomputes_the_same_numbers(tmp_path):
    model, images = _model(), _images()
    off = ResultCache(tmp_path, enabled=False)
    a = cached(off, _smooth(model), images, target=0)
    b = cached(off, _smooth(model), images, target=0)
    assert torch.equal(a, b) and off.misses == ["SmoothGrad.attribute"] * 2 and not list(tmp_path.iterdir())


def test_dataclass_results_round_trip(tmp_path):
    model, images = _model(), _images()
    lime = LimeExplainer(model, num_samples=6, n_segments=6, random_state=0)
    fresh = cached(ResultCache(tmp_path), lime.explain, images)
    stored = cached(ResultCache(tmp_path), lime.explain, images)
    assert type(stored[0]) is type(fresh[0]) and stored[0].explanation is None
    for a, b in zip(fresh, stored):
        assert np.array_equal(a.segments, b.segments) and np.allclose(a.weights, b.weights)
        assert np.array_equal(a.mask(a.predicted), b.mask(b.predicted))


def test_storage_refuses_what_it_cannot_rebuild():
    with pytest.raises(TypeError, match="cannot store"):
        to_storable(object())
    with pytest.raises(ValueError, match="foreign class"):
        from_storable({"__dataclass__": "os:PathLike", "fields": {}})
    with pytest.raises(TypeError, match="cache key"):
        call_key(lambda x: x, (object(),), {})


# -- one map per image ------------------------------------------------------------------------------
def test_per_image_cache_computes_only_the_new_images_and_equals_one_call(tmp_path, monkeypatch):
    import functools

    from helpers.report.cached import cached_per_image

    model = _model()
    images = torch.rand(5, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    target = torch.tensor([0, 1, 2, 0, 1])
    whole = _smooth(model).attribute(images, target)
    first = ResultCache(tmp_path)
    part = cached_per_image(first, _smooth(model), images[:3], target=target[:3])
    assert first.misses == ["SmoothGrad.attribute"] * 3 and torch.allclose(part, whole[:3], atol=1e-6)
    calls, original = [], SmoothGrad.attribute

    @functools.wraps(original)  # same name: the key is unchanged, only the calls are counted
    def counted(self, x, target=None):
        calls.append(len(x))
        return original(self, x, target)

    monkeypatch.setattr(SmoothGrad, "attribute", counted)
    more = ResultCache(tmp_path)  # a larger sample: the first three are read, only two computed, in one call
    grown = cached_per_image(more, _smooth(model), images, target=target)
    assert calls == [2] and more.hits == ["SmoothGrad.attribute"] * 3 and len(more.misses) == 2
    calls.clear()
    chunked = cached_per_image(ResultCache(tmp_path / "chunks"), _smooth(model), images, target=target, chunk=2)
    assert calls == [2, 2, 1] and torch.allclose(chunked, whole, atol=1e-6)  # chunk images per call, same maps
    assert torch.allclose(grown, whole, atol=1e-6) and torch.equal(grown[:3], part)
    other = ResultCache(tmp_path)  # another target of the same image is another map
    cached_per_image(other, _smooth(model), images[:1], target=torch.tensor([2]))
    assert other.misses == ["SmoothGrad.attribute"] and not other.hits
    with pytest.raises(ValueError, match="one class per image"):
        cached_per_image(ResultCache(tmp_path), _smooth(model), images, target=target[:2])
