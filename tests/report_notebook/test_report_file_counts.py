"""Section 0's file counts add up (issue 23): in the split the report explains, files read plus
files left out equals the files counted in the folder, and the class table's total agrees.

Fast: the notebook's set-up and section 0 data cells run in-process (as papermill would run them,
the parameters injected after the parameters cell), and what ``say``/``table`` show is captured.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from helpers.report.params import NOTEBOOK

CLASS_NAMES = ["Rice", "Soup", "Egg"]


def _photo(path: Path, colour: tuple[int, int, int], seed: int) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    image = np.clip(np.array(colour) + rng.integers(-30, 30, (40, 40, 3)), 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, quality=95)
    return path


def make_issue_23_folder(root: Path, layout: str) -> tuple[Path, int]:
    """The folder of issue 23: three readable images per class in every split, and in evaluation/
    a stray label the model cannot output, a truncated JPEG, two unreadable files and two files
    whose names carry no label. Returns the folder and how many files its evaluation/ holds."""
    colours = [(200, 160, 60), (180, 60, 40), (240, 200, 30)]

    def place(split: str, label: int, name: str) -> Path:
        folder = root / split
        return folder / CLASS_NAMES[label] / name if layout == "imagefolder" else folder / f"{label}_{name}"

    for split in ("training", "validation", "evaluation"):
        for label, colour in enumerate(colours):
            for n in range(3):
                _photo(place(split, label, f"{n}.jpg"), colour, seed=10 * label + n)
    evaluation = root / "evaluation"
    whole = place("evaluation", 1, "0.jpg").read_bytes()
    place("evaluation", 1, "50.jpg").write_bytes(whole[: len(whole) // 2])  # truncated
    place("evaluation", 0, "60.jpg").write_bytes(b"not a jpeg")
    place("evaluation", 2, "61.jpg").write_bytes(b"")
    if layout == "imagefolder":  # files outside every class folder carry no label
        _photo(evaluation / "pizza.jpg", (10, 10, 10), seed=1)
        (evaluation / "notes.txt").write_text("taken with my phone")
    else:
        _photo(evaluation / "99_0.jpg", (10, 200, 10), seed=2)  # a label the 3-way model cannot output
        _photo(evaluation / "-1_0.jpg", (10, 10, 200), seed=3)
        _photo(evaluation / "pizza.jpg", (10, 10, 10), seed=1)
    (root / "classes.json").write_text('{"names": ["Rice", "Soup", "Egg"], "names_zh-TW": ["米飯", "湯", "蛋"]}',
                                       encoding="utf-8")
    return root, sum(1 for p in evaluation.rglob("*") if p.is_file())


def run_section_0(parameters: dict, monkeypatch) -> list[str]:
    """Run the notebook's code cells up to section 0's "files read" cell; return what they showed
    as Markdown (the run-time estimate's calibration cell is left out: it times, it does not count)."""
    import IPython.display

    shown: list[str] = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda *objects, **_: shown.extend(getattr(o, "data", str(o)) for o in objects))
    code = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    parameters_at = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    namespace: dict = {}
    for index, cell in enumerate(code):
        if "estimate_report" in cell.source:
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        exec(compile(source, f"<cell {index}>", "exec"), namespace)
        if index == parameters_at:
            namespace.update(parameters)
        if "**Files read.**" in cell.source:
            return shown
    raise AssertionError("the notebook has no cell with the **Files read.** sentence")


def table_total(shown: list[str], column: int) -> int:
    """The ``Total`` row's value in the given column of the class-by-split table."""
    table = next(text for text in shown if text.startswith("| "))
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in io.StringIO(table).read().splitlines()]
    total = next(row for row in rows if row[0] in ("Total", "合計"))
    return int(total[column])


SENTENCE = {
    "en": re.compile(r"(\d+) of (\d+) (?:image )?files were read(?:; (\d+) left out)?"),
    "zh-TW": re.compile(r"的 (\d+) 個(?:影像檔|檔案)中讀入 (\d+) 個(?:；略過 (\d+) 個)?"),
}


def sentence_numbers(shown: list[str], language: str) -> tuple[int, int, int]:
    """(read, counted, left out) from the "files read" sentence."""
    text = next(t for t in shown if "Files read" in t or "讀入的檔案" in t)
    match = SENTENCE[language].search(text)
    assert match, f"no count in: {text}"
    if language == "en":
        read, counted = int(match.group(1)), int(match.group(2))
    else:
        counted, read = int(match.group(1)), int(match.group(2))
    return read, counted, int(match.group(3) or 0)


@pytest.mark.parametrize("layout", ["food11", "imagefolder"])
@pytest.mark.parametrize("language", ["en", "zh-TW"])
def test_read_plus_left_out_is_the_files_counted_and_the_table_agrees(tiny_kit, tmp_path, monkeypatch,
                                                                       language, layout):
    data, files_in_folder = make_issue_23_folder(tmp_path / "data", layout)
    parameters = tiny_kit.params(tmp_path, data_dir=str(data), language=language)
    shown = run_section_0(parameters, monkeypatch)
    read, counted, left_out = sentence_numbers(shown, language)
    assert read == 9, shown  # three readable images of each of the three classes
    assert read + left_out == counted
    assert counted == files_in_folder, "a TA counts every file in the folder"
    assert table_total(shown, column=3) == counted  # evaluation is the table's third split column
    files_read = next(t for t in shown if "Files read" in t or "讀入的檔案" in t)
    for name in (["99_0.jpg", "-1_0.jpg", "pizza.jpg"] if layout == "food11" else ["pizza.jpg", "notes.txt"]):
        assert name in files_read, f"{name} is left out without being named"
