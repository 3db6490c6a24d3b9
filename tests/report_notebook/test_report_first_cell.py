"""A bad parameter stops the report at the first code cell after the parameters, with one message
naming it, before anything is computed or written (fast: the cells run in-process as papermill
would run them, with the parameters injected after the parameters cell)."""
from __future__ import annotations

import nbformat
import pytest

from helpers.report.params import NOTEBOOK, ReportParameterError


def run_cells_until_error(parameters: dict) -> tuple[int, int, str]:
    """(index of the failing code cell, index of the parameters cell, message)."""
    code = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    namespace: dict = {}
    parameters_at = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    for index, cell in enumerate(code):
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        try:
            exec(compile(source, f"<cell {index}>", "exec"), namespace)
        except ReportParameterError as error:
            return index, parameters_at, str(error)
        if index == parameters_at:
            namespace.update(parameters)  # what papermill's injected cell does
    raise AssertionError("no cell failed")


@pytest.mark.parametrize("name, value, message", [
    ("trust_steps", 0, "Parameter trust_steps = 0 is not valid: use an integer >= 1."),
    ("layer", "conv9", "Parameter layer = 'conv9' is not a layer of this model."),
    ("n_grid_filters", 7, "Parameter n_grid_filters = 7 is not valid: use an integer from 1 to 5."),
])
def test_bad_parameter_fails_in_the_first_code_cell_after_the_parameters(tiny_kit, tmp_path, name, value, message):
    failed, parameters_at, text = run_cells_until_error(tiny_kit.params(tmp_path, **{name: value}))
    assert failed == parameters_at + 1
    assert text.startswith(message) and "\n" not in text and name in text
    assert not list(tmp_path.rglob("*.png")) and not list(tmp_path.rglob("*.pdf")), "nothing written"
