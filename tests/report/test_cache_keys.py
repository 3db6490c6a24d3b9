"""The result cache's key follows the model's channel order (the code's part is tested with
cached() in tests/report_notebook/test_report_cache.py); interrupted writes
leave no lasting litter; cache files get the same permissions as the report's other outputs."""
from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest
import torch

from helpers.models.classic import Food11CNN
from helpers.report.cache import ResultCache, model_fingerprint

PARTS = {"images": torch.arange(6.0), "sigma": 0.2}


def test_rgb_and_bgr_models_of_one_checkpoint_have_different_fingerprints():
    torch.manual_seed(0)
    state = Food11CNN(3, input_size=32).state_dict()
    models = {}
    for order in ("rgb", "bgr"):
        models[order] = Food11CNN(3, input_size=32, channel_order=order)
        models[order].load_state_dict(state)
    assert model_fingerprint(models["rgb"]) != model_fingerprint(models["bgr"])
    again = Food11CNN(3, input_size=32, channel_order="bgr")
    again.load_state_dict(state)
    assert model_fingerprint(again) == model_fingerprint(models["bgr"])


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_stale_part_files_are_removed_and_live_ones_kept(tmp_path):
    folder = tmp_path / "lime"
    folder.mkdir(parents=True)
    stale = folder / f".{'a' * 32}.k3j_x9q2.part"
    live = folder / f".{'b' * 32}.p0z8w1m4.part"
    foreign = folder / ".notes.part"  # not a name the cache writes: never touched
    result = folder / f"{'c' * 32}.pt"
    for path in (stale, live, foreign, result):
        path.write_bytes(b"x")
    for path in (stale, foreign, result):
        _age(path, 3600)
    cache = ResultCache(tmp_path, stale_part_seconds=600)
    assert cache.removed_parts == [stale]
    assert not stale.exists() and live.exists() and foreign.exists() and result.exists()
    assert ResultCache(tmp_path / "missing").removed_parts == []  # no folder yet: nothing to do
    _age(live, 3600)
    ResultCache(tmp_path, enabled=False)  # a disabled cache does not touch the folder
    assert live.exists()


def test_a_part_file_the_cache_itself_names_is_cleaned_up(tmp_path, monkeypatch):
    import tempfile

    from helpers.report import cache as cache_module

    names, mkstemp = [], tempfile.mkstemp

    def recording_mkstemp(*args, **kwargs):
        fd, name = mkstemp(*args, **kwargs)
        names.append(Path(name))
        return fd, name

    monkeypatch.setattr(cache_module.tempfile, "mkstemp", recording_mkstemp)
    ResultCache(tmp_path).get_or_compute("saliency", PARTS, lambda: torch.ones(2))
    (left_over,) = names  # as a killed run would leave it: written, never renamed
    left_over.write_bytes(b"half a tensor")
    _age(left_over, 3600)
    assert ResultCache(tmp_path).removed_parts == [left_over] and not left_over.exists()


def test_failed_write_leaves_no_part_file(tmp_path):
    cache = ResultCache(tmp_path)
    with pytest.raises(Exception, match="pickle"):  # torch.save cannot store a lambda: fails midway
        cache.get_or_compute("lime", PARTS, lambda: {"f": lambda: 0})
    assert (tmp_path / "lime").is_dir() and not list(tmp_path.rglob("*.part"))


@pytest.mark.parametrize("umask,expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_cache_files_get_the_permissions_of_other_outputs(tmp_path, umask, expected):
    previous = os.umask(umask)
    try:
        cache = ResultCache(tmp_path)
        cache.get_or_compute("saliency", PARTS, lambda: torch.ones(2))
        plain = tmp_path / "plain.txt"
        plain.write_text("an output written the ordinary way")
    finally:
        os.umask(previous)
    (stored,) = (tmp_path / "saliency").glob("*.pt")
    assert stat.S_IMODE(stored.stat().st_mode) == expected == stat.S_IMODE(plain.stat().st_mode)
    assert torch.equal(ResultCache(tmp_path).get_or_compute("saliency", PARTS, lambda: None), torch.ones(2))
