"""Food-11 layout: ``<root>/{training,validation,evaluation}/<label>_<n>.jpg``.

One loader serves the users' Food-11 folders and the embedded demo data (laid out the same way).
Scanning only reads file names; images are decoded when loaded, and files that turn out corrupt
are skipped with a warning and remembered in :attr:`Food11Split.skipped`, so the report can say
how many were left out.

The class count comes from the model when it is given (``num_classes``, the model's outputs), not
from the largest label in the file names: a stray file such as ``99_0.jpg`` is skipped with its
reason, a head with more outputs than the data's labels is fine (the unused outputs get names and
are listed in :attr:`Food11Split.absent_classes`), and only data whose labels run on past the head
(e.g. labels 0..10 for a 5-way head) is an error.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from helpers.data.image_split import (CLASSES_FILE, EXPECTED_LAYOUT, FOOD11_CLASS_NAMES, IMAGE_SUFFIXES,  # noqa: F401
                                      SPLITS, DataLayoutError, ImageRecord, ImageSplit, check_data_dir,
                                      check_num_classes, fallback_class_name, is_visible, read_classes_file)
from helpers.data.images import ChannelOrder, ResizeMode

_NAME_PATTERN = re.compile(r"^(\d+)_(\d+)$")


def parse_file_name(path: Path) -> tuple[int, int] | None:
    """``<label>_<n>.<ext>`` -> (label, n); None when the name does not follow the pattern."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    match = _NAME_PATTERN.match(path.stem)
    return (int(match.group(1)), int(match.group(2))) if match else None


def read_class_names(root: Path, num_classes: int, language: str = "en", labels_used: int | None = None) -> list[str]:
    """Class names from ``classes.json`` (``names`` or ``names_<language>``), else Food-11's
    names when there are 11 classes, else ``class 0``, ``class 1``...

    ``labels_used`` (largest label in the data + 1, at most ``num_classes``): ``classes.json`` must
    name these; outputs past them that it does not name (a head with more outputs than the data's
    labels) get the fallback names. Without it, ``classes.json`` must name all ``num_classes``.
    """
    names = read_classes_file(root, language)
    if names is None:
        return [fallback_class_name(k, num_classes) for k in range(num_classes)]
    needed = num_classes if labels_used is None else labels_used
    if len(names) < needed:
        raise DataLayoutError(f"{root / CLASSES_FILE} names {len(names)} classes but the files use labels up to "
                              f"{needed - 1}: add the missing names.")
    if labels_used is None:
        return list(names)
    return list(names[:num_classes]) + [fallback_class_name(k, num_classes) for k in range(len(names), num_classes)]


def _files_by_label(records: Sequence[ImageRecord], labels: Sequence[int], per_label: int = 3,
                    max_labels: int = 10) -> str:
    """``5 (4 files, e.g. 5_0.jpg, 5_1.jpg, ...); 6 (...)``: how messages name labels and their files."""
    parts = []
    for label in labels[:max_labels]:
        names = [r.path.name for r in records if r.label == label]
        more = ", ..." if len(names) > per_label else ""
        parts.append(f"{label} ({len(names)} file{'s' if len(names) != 1 else ''}, e.g. "
                     f"{', '.join(names[:per_label])}{more})")
    if len(labels) > max_labels:
        parts.append(f"... and {len(labels) - max_labels} more labels")
    return "; ".join(parts)


@dataclass
class Food11Split(ImageSplit):
    """One split in the Food-11 layout: ``<root>/<split>/<label>_<n>.jpg`` (image id: the file's stem).

    ``num_classes``: the model's number of outputs. Given, it is the split's class count: files
    whose label the model cannot output are left out and recorded in :attr:`skipped` (and
    :attr:`outside_labels`), unless the labels run on right past the head (label ``num_classes``
    occurs, e.g. labels 0..10 for a 5-way head): then the data has classes the model was not
    trained on and :class:`DataLayoutError` names them. Without it, the class count is the
    largest label + 1.
    """

    layout = "food11"
    id_form = "file names without extension"

    def _scan(self) -> None:
        folder = self.folder
        for path in sorted(p for p in folder.iterdir() if p.is_file() and is_visible(p)):
            parsed = parse_file_name(path)
            if parsed is None:
                self.unparsed.append(path)
            else:
                self.records.append(ImageRecord(path, parsed[0], path.stem))
        if self.unparsed:
            examples = ", ".join(p.name for p in self.unparsed[:5])
            warnings.warn(f"{len(self.unparsed)} file(s) in {folder} do not follow <label>_<n>.<image "
                          f"extension> and are not used, e.g. {examples}", stacklevel=5)
        if not self.records:
            raise DataLayoutError(f"Split folder {folder} holds no images named <label>_<n>.jpg "
                                  f"({len(self.unparsed)} other file(s)). {EXPECTED_LAYOUT}")
        if self.num_classes is None:
            self.class_names = read_class_names(self.root, max(r.label for r in self.records) + 1, self.language)
        else:
            self._drop_labels_outside(self.num_classes)
            labels_used = max(r.label for r in self.records) + 1
            self.class_names = read_class_names(self.root, self.num_classes, self.language, labels_used)

    def _drop_labels_outside(self, num_classes: int) -> None:
        """Skip files whose label the model cannot output, or raise when the labels run past the head."""
        check_num_classes(num_classes)
        outside = sorted({r.label for r in self.records if r.label >= num_classes})
        if not outside:
            return
        folder = self.root / self.split
        if num_classes in outside:  # the labels continue right after the head's last class
            block_end = num_classes
            while block_end + 1 in outside:
                block_end += 1
            raise DataLayoutError(
                f"The model has {num_classes} outputs (classes 0..{num_classes - 1}) but {folder} also uses "
                f"the label(s) {', '.join(map(str, outside))}, which it cannot represent: "
                f"{_files_by_label(self.records, outside)}. Use a checkpoint trained on this data (its last "
                f"layer needs at least {block_end + 1} outputs), or remove those files.")
        described = _files_by_label(self.records, outside)
        kept = []
        for record in self.records:
            if record.label < num_classes:
                kept.append(record)
                continue
            self.outside_labels[record.path] = record.label
            self.skipped[record.path] = (f"label {record.label} is outside the model's {num_classes} classes "
                                         f"(0..{num_classes - 1})")
        if not kept:
            raise DataLayoutError(f"No file in {folder} has a label the model can output (0..{num_classes - 1}): "
                                  f"{described}. Use a checkpoint trained on this data.")
        self.records = kept
        warnings.warn(f"{len(self.outside_labels)} file(s) in {folder} have labels the model cannot output "
                      f"(0..{num_classes - 1}) and are skipped: labels {described}", stacklevel=4)

def load_splits(root: str | Path, image_size: int, resize_mode: ResizeMode = "squash",
                channel_order: ChannelOrder = "rgb", language: str = "en",
                num_classes: int | None = None) -> dict[str, ImageSplit]:
    """All three splits of a data folder in either layout (see :func:`helpers.data.layout.load_splits`)."""
    from helpers.data.layout import load_splits as load_any_layout  # the layout module imports this one

    return load_any_layout(root, image_size, resize_mode, channel_order, language, num_classes)
