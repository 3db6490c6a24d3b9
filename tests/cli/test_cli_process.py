"""The command as a user runs it (a fresh process on the default model), and the README's
``explain_photo`` example in a Jupyter kernel. Slow: each starts Python and imports torch."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _run(*args: object) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "TQDM_DISABLE")}
    return subprocess.run([sys.executable, "-m", "helpers.explain", *map(str, args)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_a_fresh_process_on_the_default_model(demo_photos, tmp_path):
    out = tmp_path / "out"
    proc = _run(*demo_photos, "--method", "smoothgrad-guided,gradcam", "--samples", 4, "--out", out)
    assert proc.returncode == 0, proc.stderr
    for photo in demo_photos:
        assert re.search(rf"^{re.escape(str(photo))}: .+ 0\.\d{{3}}, .+ 0\.\d{{3}}, .+ 0\.\d{{3}}$", proc.stdout, re.M)
        for method in ("smoothgrad-guided", "gradcam"):
            assert (out / f"{photo.stem}_{method}.png").is_file()
            assert np.isfinite(np.load(out / f"{photo.stem}_{method}.npy")).all()
    # not a terminal: plain progress lines, no bar
    assert re.findall(r"^\[\d/4\] \S+: 2 photos", proc.stderr, re.M) and "\r" not in proc.stderr


@pytest.mark.slow
def test_a_fresh_process_exits_2_on_a_bad_target(demo_photos, tmp_path):
    proc = _run(demo_photos[0], "--target", 5, "--out", tmp_path / "out")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == ["error: --target 5 is out of range: the model has 5 classes (0..4)"]
    assert not (tmp_path / "out").exists()


def readme_notebook_example() -> str:
    """The README's ```python block that calls explain_photo."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)
    found = [b for b in blocks if "explain_photo(" in b]
    assert len(found) == 1, "the README should show explain_photo in one python block"
    return found[0]


@pytest.mark.slow
def test_the_readme_notebook_example_runs_in_jupyter(demo_photos):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(readme_notebook_example())]
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(REPO_ROOT)}}).execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert re.search(r"\[\(4, 'Seafood', 0\.99\d+\)", text), text  # the README's printed top-3 line
    assert any("image/png" in o.get("data", {}) for o in outputs), "the result showed no figure"
