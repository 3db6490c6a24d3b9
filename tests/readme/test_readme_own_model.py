"""README "Your own model": its example model file and its commands load in the report's loader
(fast; the README test runs the commands themselves on a fresh clone)."""
from __future__ import annotations

import ast

import pytest

from helpers.models.registry import load_model
from readme_clone import REPO_ROOT, create_example_paths
from readme_commands import readme_commands, split_command

OWN_MODEL_COMMANDS = [c.text for c in readme_commands((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
                      if "model_arch" in split_command(c.text).parameters
                      and split_command(c.text).parameters["model_arch"] not in ("default", "classic")]


def test_the_readme_shows_a_command_for_a_model_file_and_for_torchvision():
    kinds = {split_command(c).parameters["model_arch"].split(":")[0] for c in OWN_MODEL_COMMANDS}
    assert "torchvision" in kinds and any(k.endswith(".py") for k in kinds), OWN_MODEL_COMMANDS


@pytest.mark.parametrize("command", OWN_MODEL_COMMANDS)
def test_readme_own_model_command_loads(command, tmp_path, monkeypatch):
    words = split_command(command)
    create_example_paths(tmp_path, words.options, words.parameters)
    monkeypatch.chdir(tmp_path)  # the report runs in the project's folder: relative paths start there
    p = {k: ast.literal_eval(v) if v[:1] in "{[0123456789" else v for k, v in words.parameters.items()}
    loaded = load_model(p["model_arch"], p["checkpoint"], input_size=p.get("input_size"), device="cpu",
                        model_kwargs=p.get("model_kwargs"), normalize=p.get("normalize"))
    assert loaded.num_classes == 11
    source = (tmp_path / p["model_arch"].split(":")[0]) if ".py:" in p["model_arch"] else None
    if source is not None:
        assert len(source.read_text().strip().splitlines()) <= 16, "the README's example stays about ten lines"
