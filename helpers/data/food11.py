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

import json
import re
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from helpers.data.images import (ChannelOrder, CorruptImageError, ResizeMode, apply_channel_order,
                                 load_image, CHANNEL_ORDERS, RESIZE_MODES)

SPLITS = ("training", "validation", "evaluation")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
FOOD11_CLASS_NAMES = (
    "Bread", "Dairy product", "Dessert", "Egg", "Fried food", "Meat",
    "Noodles/Pasta", "Rice", "Seafood", "Soup", "Vegetable/Fruit",
)
CLASSES_FILE = "classes.json"
_NAME_PATTERN = re.compile(r"^(\d+)_(\d+)$")

EXPECTED_LAYOUT = """Expected a Food-11 style folder:
    <data_dir>/training/<label>_<n>.jpg      e.g. training/3_101.jpg is image 101 of class 3
    <data_dir>/validation/<label>_<n>.jpg
    <data_dir>/evaluation/<label>_<n>.jpg
(optional <data_dir>/classes.json: {"names": ["Bread", ...]}).
To use the embedded demo data instead, pass data_dir="default" (installed by `make setup`)."""


class DataLayoutError(ValueError):
    """The data folder does not have the Food-11 layout; the message shows the expected one."""


@dataclass(frozen=True)
class ImageRecord:
    """One labelled image of a split."""

    path: Path
    label: int
    number: int

    @property
    def image_id(self) -> str:
        """The file's stem, e.g. ``3_101``: how the report and the user name an image."""
        return self.path.stem


def parse_file_name(path: Path) -> tuple[int, int] | None:
    """``<label>_<n>.<ext>`` -> (label, n); None when the name does not follow the pattern."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    match = _NAME_PATTERN.match(path.stem)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _fallback_name(label: int, num_classes: int) -> str:
    return FOOD11_CLASS_NAMES[label] if num_classes == len(FOOD11_CLASS_NAMES) else f"class {label}"


def read_class_names(root: Path, num_classes: int, language: str = "en", labels_used: int | None = None) -> list[str]:
    """Class names from ``classes.json`` (``names`` or ``names_<language>``), else Food-11's
    names when there are 11 classes, else ``class 0``, ``class 1``...

    ``labels_used`` (largest label in the data + 1, at most ``num_classes``): ``classes.json`` must
    name these; outputs past them that it does not name (a head with more outputs than the data's
    labels) get the fallback names. Without it, ``classes.json`` must name all ``num_classes``.
    """
    path = root / CLASSES_FILE
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise DataLayoutError(f"{path} is not valid JSON ({error}). {EXPECTED_LAYOUT}") from error
        names = data.get(f"names_{language}") or data.get("names")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise DataLayoutError(f"{path} must hold a list of strings under 'names'. {EXPECTED_LAYOUT}")
        needed = num_classes if labels_used is None else labels_used
        if len(names) < needed:
            raise DataLayoutError(f"{path} names {len(names)} classes but the files use labels up to "
                                  f"{needed - 1}: add the missing names.")
        if labels_used is None:
            return list(names)
        return list(names[:num_classes]) + [_fallback_name(k, num_classes) for k in range(len(names), num_classes)]
    return [_fallback_name(k, num_classes) for k in range(num_classes)]


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


def check_data_dir(root: str | Path) -> Path:
    """Check that ``root`` exists and holds the three split folders; return it resolved."""
    root = Path(root).expanduser()
    if not root.exists():
        raise DataLayoutError(f"Data folder {root} does not exist. {EXPECTED_LAYOUT}")
    if not root.is_dir():
        raise DataLayoutError(f"Data folder {root} is a file, not a folder. {EXPECTED_LAYOUT}")
    missing = [s for s in SPLITS if not (root / s).is_dir()]
    if missing:
        present = sorted(p.name for p in root.iterdir() if p.is_dir())[:10]
        raise DataLayoutError(f"Data folder {root} lacks the split folder(s) {', '.join(missing)} "
                              f"(it has: {', '.join(present) or 'no folders'}). {EXPECTED_LAYOUT}")
    return root.resolve()


@dataclass
class Food11Split:
    """The labelled images of one split, loaded lazily at the model's input size.

    ``channel_order="bgr"`` hands the model BGR tensors, for HW3 models trained on OpenCV images;
    the models in :mod:`helpers.models` flip channels themselves, so keep "rgb" with those.

    ``num_classes``: the model's number of outputs. Given, it is the split's class count: files
    whose label the model cannot output are left out and recorded in :attr:`skipped` (and
    :attr:`outside_labels`), unless the labels run on right past the head (label ``num_classes``
    occurs, e.g. labels 0..10 for a 5-way head): then the data has classes the model was not
    trained on and :class:`DataLayoutError` names them. Without it, the class count is the
    largest label + 1.
    """

    root: Path
    split: str
    image_size: int
    resize_mode: ResizeMode = "squash"
    channel_order: ChannelOrder = "rgb"
    language: str = "en"
    num_classes: int | None = None  # the model's outputs; after construction always the class count
    records: list[ImageRecord] = field(init=False)
    unparsed: list[Path] = field(init=False)
    class_names: list[str] = field(init=False)
    skipped: dict[Path, str] = field(init=False, default_factory=dict)
    outside_labels: dict[Path, int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {self.split!r}")
        if self.channel_order not in CHANNEL_ORDERS:
            raise ValueError(f"channel_order must be one of {CHANNEL_ORDERS}, got {self.channel_order!r}")
        if self.resize_mode not in RESIZE_MODES:
            raise ValueError(f"resize_mode must be one of {RESIZE_MODES}, got {self.resize_mode!r}")
        if not isinstance(self.image_size, int) or self.image_size < 8:
            raise ValueError(f"image_size must be an integer >= 8, got {self.image_size!r}")
        self.root = check_data_dir(self.root)
        folder = self.root / self.split
        self.records, self.unparsed = [], []
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            parsed = parse_file_name(path)
            if parsed is None:
                self.unparsed.append(path)
            else:
                self.records.append(ImageRecord(path, *parsed))
        if self.unparsed:
            examples = ", ".join(p.name for p in self.unparsed[:5])
            warnings.warn(f"{len(self.unparsed)} file(s) in {folder} do not follow <label>_<n>.<image "
                          f"extension> and are not used, e.g. {examples}", stacklevel=2)
        if not self.records:
            raise DataLayoutError(f"Split folder {folder} holds no images named <label>_<n>.jpg "
                                  f"({len(self.unparsed)} other file(s)). {EXPECTED_LAYOUT}")
        if self.num_classes is None:
            self.class_names = read_class_names(self.root, max(r.label for r in self.records) + 1, self.language)
        else:
            self._drop_labels_outside(self.num_classes)
            labels_used = max(r.label for r in self.records) + 1
            self.class_names = read_class_names(self.root, self.num_classes, self.language, labels_used)
        self.num_classes = len(self.class_names)
        self._by_id = {r.image_id: i for i, r in enumerate(self.records)}

    def _drop_labels_outside(self, num_classes: int) -> None:
        """Skip files whose label the model cannot output, or raise when the labels run past the head."""
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive integer (the model's outputs), got {num_classes!r}")
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

    @property
    def absent_classes(self) -> list[int]:
        """Classes without any file in this split (e.g. extra outputs of a larger head)."""
        present = {r.label for r in self.records}
        return [k for k in range(self.num_classes) if k not in present]

    def __len__(self) -> int:
        return len(self.records)

    def class_counts(self) -> Counter:
        """Number of images per label (by file name; corrupt files are counted here)."""
        return Counter(r.label for r in self.records)

    def index_of(self, image_id: str) -> int:
        """Position of an image given its id (file stem, e.g. ``3_101``)."""
        if image_id not in self._by_id:
            reason = next((why for path, why in self.skipped.items() if path.stem == image_id), None)
            if reason is not None:
                raise KeyError(f"Image {image_id!r} in {self.root / self.split} is skipped: {reason}")
            examples = ", ".join(r.image_id for r in self.records[:5])
            raise KeyError(f"No image {image_id!r} in {self.root / self.split}; "
                           f"ids are file names without extension, e.g. {examples}")
        return self._by_id[image_id]

    def load(self, index: int) -> torch.Tensor:
        """Decode image ``index``; raises CorruptImageError for unreadable files."""
        if not 0 <= index < len(self.records):
            raise IndexError(f"Image index {index} out of range: the {self.split} split has "
                             f"{len(self.records)} images (0..{len(self.records) - 1}).")
        tensor = load_image(self.records[index].path, self.image_size, self.resize_mode)
        return apply_channel_order(tensor, self.channel_order)

    def load_many(self, indices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, list[int]]:
        """Load images as one batch, skipping (with a warning) any that cannot be read.

        Returns ``(images (N,3,S,S), labels (N,), kept_indices)``.
        """
        images, labels, kept = [], [], []
        for index in indices:
            record = self.records[index]
            if record.path in self.skipped:
                continue
            try:
                images.append(self.load(index))
            except CorruptImageError as error:
                self.skipped[record.path] = error.reason
                warnings.warn(f"Skipping unreadable image {record.path}: {error.reason}", stacklevel=2)
                continue
            labels.append(record.label)
            kept.append(index)
        if not images:
            empty = torch.empty(0, 3, self.image_size, self.image_size)
            return empty, torch.empty(0, dtype=torch.long), []
        return torch.stack(images), torch.tensor(labels, dtype=torch.long), kept

    def batches(self, batch_size: int = 32, indices: Sequence[int] | None = None
                ) -> Iterator[tuple[torch.Tensor, torch.Tensor, list[int]]]:
        """Iterate over the split (or the given indices) in batches, skipping unreadable images."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        order = list(range(len(self))) if indices is None else list(indices)
        for start in range(0, len(order), batch_size):
            images, labels, kept = self.load_many(order[start:start + batch_size])
            if kept:
                yield images, labels, kept


def load_splits(root: str | Path, image_size: int, resize_mode: ResizeMode = "squash",
                channel_order: ChannelOrder = "rgb", language: str = "en",
                num_classes: int | None = None) -> dict[str, Food11Split]:
    """All three splits of a Food-11 folder (``num_classes``: the model's outputs, see Food11Split)."""
    return {s: Food11Split(Path(root), s, image_size, resize_mode, channel_order, language, num_classes)
            for s in SPLITS}
