"""The whole report on data in the ImageFolder layout (``<split>/<class name>/<file>``), at tiny parameters:
class names come from the folders, image ids are ``<class>/<stem>``, and section 0's counts add up."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest


def as_image_folder(food11: Path, root: Path, class_names: list[str]) -> Path:
    """The tiny Food-11 fixture moved into class folders: ``<label>_<n>.jpg`` -> ``<class name>/<n>.jpg``."""
    shutil.copytree(food11, root)
    for split in ("training", "validation", "evaluation"):
        for path in sorted((root / split).glob("*_*.jpg")):
            label, number = path.stem.split("_")
            target = root / split / class_names[int(label)] / f"{number}.jpg"
            target.parent.mkdir(exist_ok=True)
            path.rename(target)
    (root / "classes.json").unlink()  # the names come from the folders
    return root


def shown_markdown(notebook: Path) -> list[str]:
    nb = nbformat.read(notebook, as_version=4)
    return [o["data"]["text/markdown"] for c in nb.cells for o in c.get("outputs", [])
            if "text/markdown" in o.get("data", {})]


@pytest.mark.slow
def test_whole_report_on_an_image_folder(tiny_kit, tmp_path):
    data = as_image_folder(tiny_kit.data, tmp_path / "imagefolder", tiny_kit.CLASS_NAMES)
    counted = sum(1 for p in (data / "evaluation").rglob("*") if p.is_file())
    notebook = tiny_kit.run_papermill(tmp_path / "report.ipynb", tiny_kit.params(tmp_path, data_dir=str(data)))
    shown = shown_markdown(notebook)
    table = next(t for t in shown if t.startswith("| Class |"))
    assert [line.split("|")[1].strip() for line in table.splitlines()[2:]] == ["Egg", "Rice", "Soup", "Total"]
    assert table.splitlines()[-1].replace(" ", "") == f"|Total|9|9|{counted}|"
    files_read = next(t for t in shown if t.startswith("**Files read.**"))
    match = re.search(r"(\d+) of (\d+) files were read; (\d+) left out: 1 unreadable \(`Egg/99.jpg`", files_read)
    assert match, files_read
    read, total, left_out = map(int, match.groups())
    assert (read, total, left_out) == (9, counted, 1)
    explained = next(t for t in shown if t.startswith("| Image |"))
    ids = re.findall(r"`([^`]+)`", explained)
    assert ids and all(re.fullmatch(r"(Egg|Rice|Soup)/\d+", i) for i in ids), ids
    assert "ImageFolder layout" in next(t for t in shown if t.startswith("**Data.**"))


@pytest.mark.parametrize("language, form", [
    ("en", "ids are <class folder>/<file name without extension>, e.g. Egg/"),
    ("zh-TW", "影像 id 是<類別資料夾>/<不含副檔名的檔名>，例如 Egg/"),
])
def test_an_unknown_image_id_is_told_in_the_folder_form(tiny_kit, tmp_path, language, form):
    from test_report_first_cell import run_cells_until_error

    data = as_image_folder(tiny_kit.data, tmp_path / "imagefolder", tiny_kit.CLASS_NAMES)
    failed, parameters_at, text = run_cells_until_error(
        tiny_kit.params(tmp_path, data_dir=str(data), image_ids=["pizza/1"], language=language))
    assert failed == parameters_at + 1 and "pizza/1" in text and form in text, text


def test_class_folders_that_differ_stop_the_first_cell_naming_them(tiny_kit, tmp_path):
    from test_report_first_cell import run_cells_until_error

    data = as_image_folder(tiny_kit.data, tmp_path / "imagefolder", tiny_kit.CLASS_NAMES)
    shutil.rmtree(data / "validation" / "Soup")
    failed, parameters_at, text = run_cells_until_error(tiny_kit.params(tmp_path, data_dir=str(data)))
    assert failed == parameters_at + 1 and "\n" not in text
    assert text.startswith("Parameter data_dir = ") and "validation/ lacks Soup" in text
    assert not list(tmp_path.rglob("*.png")), "nothing written"
