"""Every command in README.md runs, literally, on a fresh clone (the developers' guide rule; issue 11).

The commands are read from the README itself (``readme_commands``): its ```bash blocks and the
inline ``make ...`` / ``.venv/bin/...`` commands. Each one must have a recipe (fast test below),
so a new README command that this test does not know how to run fails until it is added. The
commands deliberately not run are listed in ``RECIPES`` with why; among them ``make test``, which
is what runs this test.

The slow test runs each bash block (its commands in order), and each other command, in its own
fresh ``git clone`` of the repository with the real checkout's ``.venv`` and ``.cache`` linked in
and the README's example paths created (``path/to/food-11`` in the Food-11 layout with two tiny
images per class, ``path/to/model.pth`` / ``model/classic/best.pt`` classic checkpoints at 32 px).
The command runs with bash exactly as written, plus tiny parameters appended where it runs the
report or trains, and must exit 0 and leave the outputs it promises. A clone holds only what is
committed: run this after committing.
"""
from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import time
from pathlib import Path

import nbformat
import pytest

from helpers.pdf.export import find_error_outputs
from helpers.pdf.language import notebook_language
from helpers.pdf.check import check_language, check_pdf

from readme_clone import REPO_ROOT, clone_description, create_example_paths
from readme_commands import (RECIPES, TINY_REPORT_PARAMETERS, ReadmeCommand, Recipe, UnknownCommand, Words,
                              readme_commands, recipe_for, split_command, steps)

README = REPO_ROOT / "README.md"
COMMAND_TIMEOUT_S = 1800  # a hung command fails instead of blocking `make test` forever


def _readme_steps() -> list[list[ReadmeCommand]]:
    """Steps with at least one command to run (an unknown command counts: its step then fails
    with the reason)."""
    def runs(command: ReadmeCommand) -> bool:
        try:
            return recipe_for(command.text).runs
        except UnknownCommand:
            return True

    found = steps(readme_commands(README.read_text(encoding="utf-8")))
    return sorted((step for step in found if any(map(runs, step))), key=lambda step: step[0].line)


def _step_id(step: list[ReadmeCommand]) -> str:
    def name(command: ReadmeCommand) -> str:
        try:
            recipe = recipe_for(command.text)
        except UnknownCommand:
            return "unknown"
        return recipe.name if recipe.runs else ""

    return f"line{step[0].line}-" + "+".join(filter(None, map(name, step)))


# ---------------------------------------------------------------------------------------------
# Fast checks: the README's commands are all known, the parser does what the docstring says.

def test_every_readme_command_has_a_recipe():
    problems = []
    for command in readme_commands(README.read_text(encoding="utf-8")):
        try:
            recipe_for(command.text)
        except UnknownCommand as error:
            problems.append(f"README line {command.line}: {error}")
    assert not problems, "\n".join(problems)


def test_the_not_run_list_names_only_commands_the_readme_has():
    commands = [c.text for c in readme_commands(README.read_text(encoding="utf-8"))]
    stale = [r.name for r in RECIPES if not r.runs and not any(re.fullmatch(r.pattern, c) for c in commands)]
    assert not stale, f"RECIPES lists {stale} as not run, but the README no longer has them: remove the entries"


def test_every_recipe_that_runs_has_a_check_and_matches_its_examples():
    assert {r.name for r in RECIPES if r.runs} == set(CHECKS)
    for recipe in RECIPES:
        for example in recipe.examples:
            assert recipe_for(example) is recipe


def test_commands_are_read_from_bash_blocks_and_inline_spans():
    markdown = "\n".join([
        "Run `make demo` first, then `make demo` again; `python -m x` is prose.",
        "```bash",
        "make demo            # the set-up",
        ".venv/bin/tool --a 1 \\",
        "    --b '#not a comment' # a comment",
        "```",
        "```python",
        "print('not a command')",
        "```",
        "and `.venv/bin/tool",
        "--c 2` wraps.",
    ])
    commands = readme_commands(markdown)
    assert [(c.text, c.block) for c in commands] == [
        ("make demo", 0), (".venv/bin/tool --a 1 --b '#not a comment'", 0), (".venv/bin/tool --c 2", None)]
    assert commands[1].line == 4 and commands[2].line == 10
    assert [[c.text for c in step] for step in steps(commands)] == [
        ["make demo", ".venv/bin/tool --a 1 --b '#not a comment'"], [".venv/bin/tool --c 2"]]
    with pytest.raises(UnknownCommand, match="no recipe"):
        recipe_for(".venv/bin/tool --c 2")


def test_split_command_keeps_the_last_repeated_parameter():
    words = split_command(".venv/bin/papermill a.ipynb b.ipynb -p n 20 --x=1 --lang zh-TW -p n 2 -p ids '[\"3_1\"]'")
    assert words.parameters == {"n": "2", "ids": '["3_1"]'}
    assert words.options == {"--x": "1", "--lang": "zh-TW"}
    assert words.positional == [".venv/bin/papermill", "a.ipynb", "b.ipynb"]


# ---------------------------------------------------------------------------------------------
# The slow test: each step on a fresh clone.

def _environment() -> dict[str, str]:
    """The user's environment: nothing that `make test` or pytest adds."""
    env = dict(os.environ)
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "TQDM_DISABLE", "PYTHONPATH", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    return env


def _bash(command: str, clone: Path) -> subprocess.CompletedProcess:
    started = time.perf_counter()
    proc = subprocess.run(["bash", "-c", command], cwd=clone, env=_environment(), capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S)
    print(f"{time.perf_counter() - started:6.0f} s  exit {proc.returncode}  {command}")
    return proc


def _failure(command: str, proc: subprocess.CompletedProcess, what: str, clone: Path) -> str:
    return (f"README command {what} ({clone_description(clone)}):\n  {command}\nexit {proc.returncode}\n"
            f"--- stdout (end)\n{proc.stdout[-2500:]}\n--- stderr (end)\n{proc.stderr[-2500:]}")


def _make_installs_nothing(command: str, clone: Path) -> None:
    """A make command in the clone must find the set-up done (linked .venv and .cache): the
    test must never pip-install into the real venv or rebuild the real demo data."""
    proc = _bash("make -n " + command.removeprefix("make "), clone)
    installs = [line for line in proc.stdout.splitlines() if "pip install" in line or "--install" in line]
    assert proc.returncode == 0 and not installs, (
        f"`{command}` would install in the clone {installs or proc.stderr[-500:]}: the linked set-up in {REPO_ROOT} "
        "is not complete for this commit's requirements; run `make setup-test` there first")


def _tiny_parameter_values() -> dict:
    return {name: ast.literal_eval(value) for name, value in split_command(TINY_REPORT_PARAMETERS).parameters.items()}


def _set_parameters_and_run_all(clone: Path) -> None:
    """The Jupyter route's manual part: set the parameters (own data, tiny sizes) in the cell
    tagged ``parameters``, run all cells and save (``nbconvert --execute --inplace``)."""
    parameters = {"data_dir": "path/to/food-11", "model_arch": "classic", "checkpoint": "path/to/model.pth",
                  **_tiny_parameter_values()}
    create_example_paths(clone, {}, {name: str(value) for name, value in parameters.items()})
    path = clone / "report.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += "\n" + "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    nbformat.write(nb, path)
    command = ".venv/bin/jupyter nbconvert --to notebook --execute --inplace report.ipynb"
    proc = _bash(command, clone)
    assert proc.returncode == 0, _failure(command, proc, "preparation (run all in Jupyter) failed", clone)


PREPARE = {"set the parameters in the first cell, run all, save": _set_parameters_and_run_all}


def _notebook_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            for mime in ("text/plain", "text/markdown"):
                parts.append(str(output.get("data", {}).get(mime, "")))
    return "\n".join(parts)


def _check_executed_notebook(path: Path) -> nbformat.NotebookNode:
    assert path.is_file(), f"no executed notebook {path}"
    nb = nbformat.read(path, as_version=4)
    assert not find_error_outputs(nb), f"{path} holds errors {find_error_outputs(nb)}"
    assert "REPORT_RUN_SUMMARY " in _notebook_text(nb), f"{path} did not run to its last cell"
    return nb


def _check_pdf_in(pdf: Path, language: str) -> None:
    assert pdf.is_file(), f"no PDF {pdf}"
    report = check_pdf(pdf, min_images=1, min_pages=2)
    if language.startswith("zh"):
        assert report.has_cjk, f"{pdf}: a {language} report without Chinese text"
    check_language(report, language)  # English: no CJK; every language: no progress-bar text


def _check_report_run(clone: Path, language: str, pdf: Path | None, output_dir: Path, figures: Path,
                      parameters: dict[str, str]) -> None:
    nb = _check_executed_notebook(output_dir / f"report.{language}.ipynb")
    if "image_ids" in parameters:
        text = _notebook_text(nb)
        missing = [i for i in ast.literal_eval(parameters["image_ids"]) if str(i) not in text]
        assert not missing, f"the executed notebook does not mention the asked images {missing}"
    if pdf is not None:
        _check_pdf_in(pdf, language)
        assert (output_dir / f"report.{language}.pdf").read_bytes() == pdf.read_bytes()
    assert sorted(figures.glob("*.png")), f"no figures in {figures}"


def check_make_report(clone: Path, words: Words, proc: subprocess.CompletedProcess) -> None:
    language = next((w.split("=", 1)[1] for w in words.positional if w.startswith("lang=")), "en")
    _check_report_run(clone, language, clone / "report.pdf", clone / "outputs", clone / "figures" / language, {})


def check_run_report(clone: Path, words: Words, proc: subprocess.CompletedProcess) -> None:
    language = words.options.get("--lang", "en")
    pdf = None if "--no-pdf" in words.positional else clone / words.options.get("--pdf", "report.pdf")
    figures = clone / words.parameters.get("figures_dir", f"figures/{language}")
    _check_report_run(clone, language, pdf, clone / words.options.get("--output-dir", "outputs"), figures,
                      words.parameters)


def check_papermill(clone: Path, words: Words, proc: subprocess.CompletedProcess) -> None:
    nb = _check_executed_notebook(clone / words.positional[2])
    given = nb.metadata.get("papermill", {}).get("parameters", {})
    differing = {name: given.get(name) for name, value in words.parameters.items() if str(given.get(name)) != value}
    assert not differing, f"papermill did not apply the command's parameters: {differing}"


def check_export_pdf(clone: Path, words: Words, proc: subprocess.CompletedProcess) -> None:
    notebook = clone / words.positional[3]
    pdf = clone / words.positional[4] if len(words.positional) > 4 else notebook.with_suffix(".pdf")
    language = words.options.get("--language") or notebook_language(nbformat.read(notebook, as_version=4))
    _check_pdf_in(pdf, language)


def check_jupyter_nbconvert(clone: Path, words: Words, proc: subprocess.CompletedProcess) -> None:
    notebook = clone / words.positional[-1]
    _check_pdf_in(notebook.with_suffix(".pdf"), notebook_language(nbformat.read(notebook, as_version=4)))


def check_train_classic(clone: Path, words: Words, proc: subprocess.CompletedProcess) -> None:
    import torch

    out = clone / words.options.get("--out", "model/classic")
    for name in ("best.pt", "last.pt"):  # best to use, last for --resume
        assert (out / name).is_file(), f"training wrote no {out / name}"
    state = torch.load(out / "best.pt", weights_only=True, map_location="cpu")
    assert any(isinstance(v, torch.Tensor) for v in state.values()), "best.pt holds no weights"
    assert "best validation accuracy" in proc.stdout


_ACCURACY_LINE = re.compile(r"accuracy (\d\.\d+) \((\d+)/(\d+) images\)")


def check_accuracy(clone: Path, words: Words, proc: subprocess.CompletedProcess) -> re.Match:
    match = _ACCURACY_LINE.search(proc.stdout)
    assert match and int(match.group(3)) > 0, f"no accuracy line in:\n{proc.stdout[-1500:]}"
    return match


def check_make_accuracy(clone: Path, words: Words, proc: subprocess.CompletedProcess) -> None:
    """Also the figure the README quotes for `make accuracy`, e.g. "**0.774** on the evaluation split (65/84)"."""
    match = check_accuracy(clone, words, proc)
    quoted = re.search(r"\(`make accuracy`\)\W+(\d\.\d+)\W+on the evaluation split \((\d+)/(\d+)\)",
                       README.read_text(encoding="utf-8"))
    assert quoted, "the README no longer quotes the default model's accuracy as `(k/n)`: update this check"
    assert match.group(2, 3) == quoted.group(2, 3), f"README quotes {quoted.group(0)!r}, the command printed {match.group(0)!r}"


def check_mkdir(clone: Path, words: Words, proc: subprocess.CompletedProcess) -> None:
    missing = [d for d in shlex.split(words.text)[2:] if not (clone / d).is_dir()]
    assert not missing, f"mkdir left no folder {missing}"


def check_explain(clone: Path, words: Words, proc: subprocess.CompletedProcess) -> None:
    """The PNG and .npy of every photo and method, and each photo's top-3 line."""
    import numpy as np

    from helpers.explain.photo import parse_methods

    photos = [Path(w) for w in words.positional[3:] if not w.startswith("-")]
    out = clone / words.options.get("--out", "outputs/explain")
    assert photos, f"no photo in {words.text!r}"
    for photo in photos:
        assert re.search(rf"^{re.escape(str(photo))}: .+ \d\.\d{{3}}, .+ \d\.\d{{3}}, .+ \d\.\d{{3}}$", proc.stdout,
                         re.M), f"no top-3 line for {photo} in:\n{proc.stdout[-1500:]}"
        for method in parse_methods(words.options.get("--method", "smoothgrad-guided")):
            png, npy = out / f"{photo.stem}_{method}.png", out / f"{photo.stem}_{method}.npy"
            assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"no PNG {png}"
            assert np.isfinite(np.load(npy)).all(), f"{npy} is missing or not finite"


CHECKS = {"make report": check_make_report, "make accuracy": check_make_accuracy, "run_report": check_run_report,
          "papermill": check_papermill, "export_pdf": check_export_pdf, "jupyter nbconvert": check_jupyter_nbconvert,
          "train_classic": check_train_classic, "accuracy": check_accuracy, "mkdir": check_mkdir,
          "explain": check_explain}
NEEDS_PDF_TOOLS = {"make report", "run_report", "export_pdf", "jupyter nbconvert", "papermill"}


@pytest.mark.slow
@pytest.mark.parametrize("step", _readme_steps(), ids=_step_id)
def test_readme_step_runs_literally_on_a_fresh_clone(step: list[ReadmeCommand], fresh_clone, request):
    recipes: list[tuple[ReadmeCommand, Recipe]] = [(c, recipe_for(c.text)) for c in step]
    if any(r.name in NEEDS_PDF_TOOLS for _, r in recipes if r.runs):
        request.getfixturevalue("pdf_tools")
    clone = fresh_clone()
    for command, recipe in recipes:
        if not recipe.runs:
            continue
        to_run = recipe.command_to_run(command.text)
        words = split_command(to_run)
        create_example_paths(clone, words.options, words.parameters)
        if recipe.prepare:
            PREPARE[recipe.prepare](clone)
        if to_run.startswith("make "):
            _make_installs_nothing(to_run, clone)
        proc = _bash(to_run, clone)
        assert proc.returncode == 0, _failure(to_run, proc, f"of README line {command.line} failed", clone)
        CHECKS[recipe.name](clone, words, proc)
