"""Fixtures of the README test (see readme_clone for the clone and the example paths)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from readme_clone import head_commit, make_fresh_clone


@pytest.fixture(scope="session")
def results_cache(tmp_path_factory) -> Path:
    """One result cache for all the clones: the first report run on a model computes, the next
    ones reuse (the commands' behaviour is the same; only the time is saved)."""
    return tmp_path_factory.mktemp("readme_results_cache")


@pytest.fixture(scope="session")
def clone_commit() -> str:
    """The commit every clone of this session takes: HEAD when the session started."""
    return head_commit()


@pytest.fixture
def fresh_clone(tmp_path, results_cache, clone_commit) -> Callable[[], Path]:
    return lambda: make_fresh_clone(tmp_path / "clone", results_cache, clone_commit)

