"""One way to open a data folder in either layout: :func:`open_split` and :func:`load_splits`.

The layout is read off the folder: class sub-folders in the split folders make it the ImageFolder
layout, files named ``<label>_<n>.jpg`` the Food-11 layout. Both at once (in one split folder, or one
split one way and another the other way) is an error that names what was found where.
"""
from __future__ import annotations

from pathlib import Path

from helpers.data.food11 import Food11Split, parse_file_name
from helpers.data.image_folder import ImageFolderSplit
from helpers.data.image_split import (EXPECTED_LAYOUT, SPLITS, DataLayoutError, ImageSplit, check_data_dir,
                                      is_visible)
from helpers.data.images import ChannelOrder, ResizeMode

LAYOUTS: dict[str, type[ImageSplit]] = {"food11": Food11Split, "imagefolder": ImageFolderSplit}


def _examples(names: list[str]) -> str:
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def detect_layout(root: str | Path) -> str:
    """``"food11"`` or ``"imagefolder"`` for a data folder (checked with :func:`check_data_dir`)."""
    root = check_data_dir(root)
    folders, labelled = {}, {}
    for split in SPLITS:
        entries = sorted(p for p in (root / split).iterdir() if is_visible(p))
        folders[split] = [p.name for p in entries if p.is_dir()]
        labelled[split] = [p.name for p in entries if p.is_file() and parse_file_name(p) is not None]
    for split in SPLITS:
        if folders[split] and labelled[split]:
            raise DataLayoutError(
                f"{root / split} mixes class folders ({_examples(folders[split])}) with Food-11 files named "
                f"<label>_<n>.jpg ({_examples(labelled[split])}): use one layout, i.e. move the files into their "
                f"class folders or the folders' images out of them. {EXPECTED_LAYOUT}")
    with_folders = [s for s in SPLITS if folders[s]]
    flat = [s for s in SPLITS if labelled[s]]
    if with_folders and flat:
        raise DataLayoutError(
            f"The splits of {root} use two layouts: {', '.join(s + '/' for s in with_folders)} class folders "
            f"({_examples(folders[with_folders[0]])}), {', '.join(s + '/' for s in flat)} Food-11 files "
            f"({_examples(labelled[flat[0]])}): use one layout in every split. {EXPECTED_LAYOUT}")
    return "imagefolder" if with_folders else "food11"


def open_split(root: str | Path, split: str, image_size: int, resize_mode: ResizeMode = "squash",
               channel_order: ChannelOrder = "rgb", language: str = "en",
               num_classes: int | None = None) -> ImageSplit:
    """One split of a data folder in either layout (``num_classes``: the model's outputs)."""
    layout = LAYOUTS[detect_layout(root)]
    return layout(Path(root), split, image_size, resize_mode, channel_order, language, num_classes)


def load_splits(root: str | Path, image_size: int, resize_mode: ResizeMode = "squash",
                channel_order: ChannelOrder = "rgb", language: str = "en",
                num_classes: int | None = None) -> dict[str, ImageSplit]:
    """All three splits of a data folder in either layout (``num_classes``: the model's outputs)."""
    layout = LAYOUTS[detect_layout(root)]
    return {s: layout(Path(root), s, image_size, resize_mode, channel_order, language, num_classes) for s in SPLITS}
