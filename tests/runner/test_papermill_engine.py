"""The runner's papermill engine: the same notebook as papermill's own, far fewer writes."""
from __future__ import annotations

import nbformat
import papermill
import papermill.engines
import pytest

from helpers.runner import papermill_engine


def _notebook(path, sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


@pytest.fixture
def writes(monkeypatch):
    """Count papermill's writes of the running notebook (the engine's saves)."""
    count = []
    real = papermill.engines.write_ipynb
    monkeypatch.setattr(papermill.engines, "write_ipynb", lambda nb, path: count.append(path) or real(nb, path))
    return count


def _run(source, output, **kwargs):
    return papermill.execute_notebook(str(source), str(output), kernel_name="python3", progress_bar=False,
                                      engine_name=papermill_engine.register(), **kwargs)


def test_saves_are_throttled_and_the_notebook_is_complete(tmp_path, writes):
    source = _notebook(tmp_path / "in.ipynb", [f"x = {i}\nx" for i in range(12)])
    _run(source, tmp_path / "out.ipynb")
    assert len(writes) <= 3  # start, end (and at most one more): papermill's own engine makes 2 x 12 + 2
    done = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert [c.outputs[0]["data"]["text/plain"] for c in done.cells] == [str(i) for i in range(12)]


def test_without_a_pause_it_saves_like_papermill(tmp_path, writes, monkeypatch):
    monkeypatch.setattr(papermill_engine, "SAVE_EVERY", 0.0)
    _run(_notebook(tmp_path / "in.ipynb", ["1", "2", "3"]), tmp_path / "out.ipynb")
    assert len(writes) == 2 * 3 + 2


def test_a_failing_cell_leaves_the_partial_notebook_with_its_error(tmp_path, writes):
    source = _notebook(tmp_path / "in.ipynb", ["a = 1", "raise ValueError('broken here')", "b = 2"])
    with pytest.raises(papermill.PapermillExecutionError, match="broken here"):
        _run(source, tmp_path / "out.ipynb")
    done = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    errors = [o for c in done.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert len(errors) == 1 and errors[0]["evalue"] == "broken here"
