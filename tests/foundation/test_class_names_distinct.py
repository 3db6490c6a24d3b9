"""A model with more outputs than the data's classes: every output gets its own name (issue 20).

An 11-way resnet18 on a 3-class folder whose ``classes.json`` names Rice, Soup, Egg listed "Egg"
twice (the data's, and Food-11's name for output 3), so the confusion matrix and LIME's panels had
two "Egg" rows that could not be told apart."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers.data.image_split import FOOD11_CLASS_NAMES, distinct_names
from helpers.data.layout import open_split


def write_images(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(folder / name)


def food11_folder(root: Path, labels: int, class_names: list[str] | None) -> Path:
    for split in ("training", "validation", "evaluation"):
        write_images(root / split, [f"{k}_{k}.jpg" for k in range(labels)])
    if class_names is not None:
        (root / "classes.json").write_text(json.dumps({"names": class_names}), encoding="utf-8")
    return root


def image_folder(root: Path, classes: list[str], extra_names: list[str] | None = None) -> Path:
    for split in ("training", "validation", "evaluation"):
        for name in classes:
            write_images(root / split / name, ["1.jpg"])
    if extra_names is not None:
        (root / "classes.json").write_text(json.dumps({"names": sorted(classes) + extra_names}), encoding="utf-8")
    return root


@pytest.mark.parametrize("given, expected", [
    (["Rice", "Soup", "Egg"], ["Rice", "Soup", "Egg"] + [f"class {k}" for k in range(3, 11)]),
    (None, list(FOOD11_CLASS_NAMES)),                                   # no classes.json: Food-11's names
    (list(FOOD11_CLASS_NAMES[:3]), list(FOOD11_CLASS_NAMES)),           # classes.json agrees with Food-11
    (["Egg", "Bread", "Rice"], ["Egg", "Bread", "Rice"] + [f"class {k}" for k in range(3, 11)]),
])
def test_food11_layout_names_each_extra_output_once(tmp_path, given, expected):
    split = open_split(food11_folder(tmp_path, 3, given), "evaluation", 8, num_classes=11)
    assert split.class_names == expected
    assert len(set(split.class_names)) == 11


def test_image_folder_extra_outputs_never_repeat_a_folder_s_name(tmp_path):
    # a folder called "class 4" and classes.json naming output 3 like a folder: still 6 distinct names
    split = open_split(image_folder(tmp_path, ["Egg", "Rice", "class 4"], ["Rice"]), "evaluation", 8, num_classes=6)
    assert split.class_names == ["Egg", "Rice", "class 4", "Rice (output 3)", "class 4 (output 4)", "class 5"]
    assert len(set(split.class_names)) == 6


def test_names_given_twice_get_their_output_number():
    assert distinct_names(["Egg", "Soup", "Egg", "Egg"]) == ["Egg", "Soup", "Egg (output 2)", "Egg (output 3)"]

