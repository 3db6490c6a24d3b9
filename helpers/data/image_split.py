"""What every data layout shares: one split of labelled images, loaded lazily at the model's input size.

A layout (:mod:`helpers.data.food11`, :mod:`helpers.data.image_folder`) only scans its folder into
``records`` (path, label, image id), ``unparsed`` (files that carry no label) and the class names;
loading, batching, unreadable files and the counts live here, so every section of the report works on
either layout through one interface. :func:`helpers.data.layout.open_split` picks the layout.

Every visible file of a split folder ends up in exactly one place: ``records`` (labelled images,
unreadable ones included until they are loaded), ``outside_labels`` (a label the model cannot output)
or ``unparsed`` (no label). :mod:`helpers.data.file_counts` adds them up for the report.
"""
from __future__ import annotations

import json
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import torch

from helpers.data.images import (CHANNEL_ORDERS, RESIZE_MODES, ChannelOrder, CorruptImageError, ResizeMode,
                                 apply_channel_order, load_image)

SPLITS = ("training", "validation", "evaluation")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
FOOD11_CLASS_NAMES = (
    "Bread", "Dairy product", "Dessert", "Egg", "Fried food", "Meat",
    "Noodles/Pasta", "Rice", "Seafood", "Soup", "Vegetable/Fruit",
)
CLASSES_FILE = "classes.json"

EXPECTED_LAYOUT = """Expected one of two layouts:
    Food-11:      <data_dir>/{training,validation,evaluation}/<label>_<n>.jpg   e.g. training/3_101.jpg
    ImageFolder:  <data_dir>/{training,validation,evaluation}/<class name>/<file>   e.g. training/Soup/101.jpg
                  (torchvision's convention: labels are the positions of the sorted class folder names)
(optional <data_dir>/classes.json: {"names": ["Bread", ...], "names_zh-TW": [...]}).
To use the embedded demo data instead, pass data_dir="default" (installed by `make setup`)."""


class DataLayoutError(ValueError):
    """The data folder has neither supported layout; the message says what is wrong and shows the layouts."""


@dataclass(frozen=True)
class ImageRecord:
    """One labelled image of a split; ``image_id`` is how the report and the user name it."""

    path: Path
    label: int
    image_id: str


def is_visible(path: Path) -> bool:
    """Hidden files and folders (``.DS_Store``, ``.ipynb_checkpoints``) are no data and never counted."""
    return not path.name.startswith(".")


def fallback_class_name(label: int, num_classes: int) -> str:
    return FOOD11_CLASS_NAMES[label] if num_classes == len(FOOD11_CLASS_NAMES) else f"class {label}"


def read_classes_file(root: Path, language: str) -> list[str] | None:
    """The names in ``classes.json`` for ``language`` (``names_<language>``, else ``names``); None without the file."""
    path = root / CLASSES_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataLayoutError(f"{path} is not valid JSON ({error}). {EXPECTED_LAYOUT}") from error
    names = data.get(f"names_{language}") or data.get("names") if isinstance(data, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DataLayoutError(f"{path} must hold a list of strings under 'names'. {EXPECTED_LAYOUT}")
    return names


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


def check_num_classes(num_classes: object) -> None:
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer (the model's outputs), got {num_classes!r}")


@dataclass
class ImageSplit:
    """The labelled images of one split of a data folder (base of the layouts; build one with
    :func:`helpers.data.layout.open_split`).

    ``channel_order="bgr"`` hands the model BGR tensors, for models trained on OpenCV images; the
    models in :mod:`helpers.models` flip channels themselves, so keep "rgb" with those.
    ``num_classes``: the model's number of outputs (see the layouts for what they do with it);
    after construction it is always the split's class count.
    """

    layout: ClassVar[str] = ""          # "food11" or "imagefolder"
    id_form: ClassVar[str] = ""         # how image ids are formed, for messages

    root: Path
    split: str
    image_size: int
    resize_mode: ResizeMode = "squash"
    channel_order: ChannelOrder = "rgb"
    language: str = "en"
    num_classes: int | None = None
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
        if self.num_classes is not None:
            check_num_classes(self.num_classes)
        self.root = check_data_dir(self.root)
        self.records, self.unparsed = [], []
        self._scan()
        self.num_classes = len(self.class_names)
        self._by_id = {r.image_id: i for i, r in enumerate(self.records)}

    def _scan(self) -> None:
        """Fill ``records``, ``unparsed``, ``class_names`` (and ``skipped``/``outside_labels``)."""
        raise NotImplementedError(f"{type(self).__name__} must scan its folder")

    @property
    def folder(self) -> Path:
        return self.root / self.split

    @property
    def absent_classes(self) -> list[int]:
        """Classes without any file in this split (e.g. extra outputs of a larger head)."""
        present = {r.label for r in self.records}
        return [k for k in range(self.num_classes) if k not in present]

    def __len__(self) -> int:
        return len(self.records)

    def class_counts(self) -> Counter:
        """Number of labelled image files per label (unreadable files are counted here)."""
        return Counter(r.label for r in self.records)

    def index_of(self, image_id: str) -> int:
        """Position of an image given its id (see ``id_form``)."""
        if image_id not in self._by_id:
            # files left out at the scan (labels the model cannot output) are named by their stem
            reason = next((why for path, why in self.skipped.items() if path.stem == image_id), None)
            if reason is not None:
                raise KeyError(f"Image {image_id!r} in {self.folder} is skipped: {reason}")
            examples = ", ".join(r.image_id for r in self.records[:5])
            raise KeyError(f"No image {image_id!r} in {self.folder}; ids are {self.id_form}, e.g. {examples}")
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
