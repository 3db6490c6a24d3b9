"""ImageFolder layout (torchvision's convention): ``<root>/{training,validation,evaluation}/<class name>/<file>``.

Labels are what torchvision's ``ImageFolder`` gives, i.e. what the user's training used: the position of
the class folder in the sorted list of folders (:func:`torchvision.datasets.folder.find_classes`, which
counts hidden folders too). So every split must have the same class folders, or one label would mean
two classes: differing folders are an error naming them. An empty class folder is fine (the class keeps
its label and is listed as absent). Files are found in the class folder and its sub-folders, as
``ImageFolder`` does; an image's id is its path below the split folder without the extension
(``Soup/101``), with the extension where two files would otherwise share an id.

Class names are the folder names; ``classes.json`` may name them in another language
(``names_zh-TW``) and name the model's extra outputs. A model with more outputs than class folders
runs (the extra outputs are absent classes); one with fewer stops with the classes it cannot represent.

Files that carry no label (outside every class folder, or not an image file) are listed in ``unparsed``.
"""
from __future__ import annotations

import os
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from torchvision.datasets.folder import find_classes

from helpers.data.image_split import (CLASSES_FILE, EXPECTED_LAYOUT, IMAGE_SUFFIXES, SPLITS, DataLayoutError,
                                      ImageRecord, ImageSplit, is_visible, read_classes_file)


def image_folder_classes(root: Path) -> list[str]:
    """The class folders shared by the three splits, in label order; raises when they differ."""
    per_split = {}
    for split in SPLITS:
        try:
            per_split[split], _ = find_classes(root / split)
        except FileNotFoundError:
            per_split[split] = []
    every = sorted(set().union(*per_split.values()))
    missing = {s: [c for c in every if c not in per_split[s]] for s in SPLITS}
    if any(missing.values()):
        lacks = "; ".join(f"{s}/ lacks {', '.join(names[:10])}{', ...' if len(names) > 10 else ''}"
                          for s, names in missing.items() if names)
        hidden = [c for c in every if c.startswith(".")]
        hint = (f" Hidden folders ({', '.join(hidden)}) count as classes in torchvision's ImageFolder too: delete "
                "them." if hidden else "")
        raise DataLayoutError(
            f"The class folders of {root} differ between the splits: {lacks}. A label is the position of its folder "
            f"in the sorted list of class folders, so every split needs the same folders (an empty one is fine): "
            f"add the missing folders or remove the extra ones.{hint}")
    return per_split[SPLITS[0]]


def _unique_ids(paths: list[Path], folder: Path) -> list[str]:
    """Path below the split folder without the extension; with it where two files would share an id."""
    stems = [path.relative_to(folder).with_suffix("").as_posix() for path in paths]
    shared = {stem for stem, n in Counter(stems).items() if n > 1}
    return [path.relative_to(folder).as_posix() if stem in shared else stem for stem, path in zip(stems, paths)]


def _files_below(folder: Path) -> list[Path]:
    """Visible files in ``folder`` and its visible sub-folders (links followed, as ImageFolder does), sorted."""
    found = []
    for current, folders, files in os.walk(folder, followlinks=True):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        found += [Path(current) / f for f in sorted(files) if not f.startswith(".")]
    return found


@dataclass
class ImageFolderSplit(ImageSplit):
    """One split in the ImageFolder layout: ``<root>/<split>/<class name>/<file>``."""

    layout = "imagefolder"
    id_form = "<class folder>/<file name without extension>"

    def _scan(self) -> None:
        folder = self.folder
        classes = image_folder_classes(self.root)
        if self.num_classes is not None and len(classes) > self.num_classes:
            self._raise_classes_past_the_head(classes)
        paths, labels = [], []
        for label, name in enumerate(classes):
            for path in _files_below(folder / name):
                if path.suffix.lower() in IMAGE_SUFFIXES:
                    paths.append(path)
                    labels.append(label)
                else:
                    self.unparsed.append(path)
        class_folders = set(classes)
        self.unparsed += [p for p in sorted(folder.iterdir())
                          if is_visible(p) and p.name not in class_folders and not p.is_dir()]
        self.records = [ImageRecord(p, k, i) for p, k, i in zip(paths, labels, _unique_ids(paths, folder))]
        if self.unparsed:
            examples = ", ".join(p.relative_to(folder).as_posix() for p in self.unparsed[:5])
            warnings.warn(f"{len(self.unparsed)} file(s) in {folder} are not images inside a class folder and are "
                          f"not used, e.g. {examples}", stacklevel=5)
        if not self.records:
            raise DataLayoutError(f"Split folder {folder} holds no images in its class folders "
                                  f"({', '.join(classes[:5])}{', ...' if len(classes) > 5 else ''}). {EXPECTED_LAYOUT}")
        self.class_names = self._class_names(classes, self.num_classes or len(classes))

    def _class_names(self, classes: list[str], num_classes: int) -> list[str]:
        """Folder names (or ``classes.json``'s names in the report's language), then names for extra outputs."""
        given = read_classes_file(self.root, self.language)
        if given is not None and self.language != "en" and len(given) < len(classes):
            raise DataLayoutError(f"{self.root / CLASSES_FILE} names {len(given)} classes in {self.language} but there "
                                  f"are {len(classes)} class folders ({', '.join(classes[:5])}, ...): add the missing "
                                  "names.")
        names = list(classes)
        if given is not None and self.language != "en":
            names = list(given[:len(classes)])
        extra = range(len(classes), num_classes)
        return names + [given[k] if given is not None and k < len(given) else f"class {k}" for k in extra]

    def _raise_classes_past_the_head(self, classes: list[str]) -> None:
        cannot = classes[self.num_classes:]
        described = "; ".join(f"{name} ({sum(1 for _ in _files_below(self.folder / name))} files)"
                              for name in cannot[:10]) + ("; ..." if len(cannot) > 10 else "")
        raise DataLayoutError(
            f"The model has {self.num_classes} outputs (classes 0..{self.num_classes - 1}) but {self.root} has "
            f"{len(classes)} class folders; it cannot represent the class(es) {described} in {self.folder}. "
            f"Use a checkpoint trained on this data (its last layer needs {len(classes)} outputs), "
            "or remove those folders from every split.")
