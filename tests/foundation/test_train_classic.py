"""The training command on a tiny Food-11 fixture: best checkpoint, safe loading, resume."""
from __future__ import annotations

import json

import pytest
import torch

from helpers.models.registry import load_model
from helpers.training.train_classic import TrainConfig, main, train_classic


@pytest.mark.slow
def test_trains_saves_best_and_resumes(food11_dir, tmp_path):
    out = tmp_path / "run"
    config = TrainConfig(str(food11_dir), str(out), epochs=2, batch_size=4, input_size=32, seed=1, device="cpu")
    state = train_classic(config, progress=False)
    assert [h["epoch"] for h in state["history"]] == [1, 2]
    best = torch.load(out / "best.pt", weights_only=True)  # a plain state_dict
    assert "fc.4.weight" in best and best["fc.4.weight"].shape == (2, 512)
    assert state["best_accuracy"] == max(h["validation_accuracy"] for h in state["history"])
    loaded = load_model("classic", out / "best.pt", device="cpu")
    assert loaded.num_classes == 2 and loaded.input_size == 32

    resumed = train_classic(TrainConfig(**{**config.__dict__, "epochs": 3}), resume=True, progress=False)
    assert [h["epoch"] for h in resumed["history"]] == [1, 2, 3]
    assert json.loads((out / "history.json").read_text())["epoch"] == 3

    # Resuming is exact: 2 + 1 epochs give the same weights as 3 epochs in one go.
    straight = tmp_path / "straight"
    train_classic(TrainConfig(**{**config.__dict__, "epochs": 3, "out": str(straight)}), progress=False)
    a = torch.load(out / "last.pt", weights_only=True)["model"]
    b = torch.load(straight / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)

    with pytest.raises(ValueError, match="other settings"):
        train_classic(TrainConfig(**{**config.__dict__, "lr": 0.5}), resume=True, progress=False)


def test_cli_reports_bad_data_folder(tmp_path, capsys):
    assert main(["--data", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--epochs", "1"]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_a_validation_label_the_training_split_lacks_is_skipped(food11_dir, tmp_path):
    import shutil

    shutil.copy(food11_dir / "validation" / "0_0.jpg", food11_dir / "validation" / "7_0.jpg")  # a stray class
    config = TrainConfig(str(food11_dir), str(tmp_path / "run"), epochs=1, batch_size=4, input_size=32, seed=1,
                         device="cpu")
    with pytest.warns(UserWarning, match="7_0.jpg"):
        state = train_classic(config, progress=False)
    assert torch.load(tmp_path / "run" / "best.pt", weights_only=True)["fc.4.weight"].shape == (2, 512)
    assert 0 <= state["history"][0]["validation_accuracy"] <= 1
