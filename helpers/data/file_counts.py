"""How many files a split holds, how many were read and why the others were left out: one count that
the report's class table and its "files read" sentence share, so their numbers add up.

Files counted: every visible file in the split folder (hidden ones such as ``.DS_Store`` are no data;
in the ImageFolder layout, class sub-folders included), which is what a person counting the folder
finds. Each counted file is in exactly one group:

* labelled, per class (read, or unreadable once decoding failed),
* a label the model cannot output (Food-11 names such as ``99_0.jpg``),
* no label: a name that is not ``<label>_<n>.jpg``, or a file outside every class folder.

Left out = unreadable + label outside the model + no label, so read + left out = counted.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from helpers.data.image_split import ImageSplit


@dataclass(frozen=True)
class FileCounts:
    """The files of one split, each in one group (see the module's docstring)."""

    per_class: Counter                 # label -> labelled files (unreadable ones included)
    unreadable: dict[Path, str]        # labelled files that could not be decoded -> reason
    outside_labels: dict[Path, int]    # files whose label the model cannot output -> label
    unlabelled: list[Path] = field(default_factory=list)  # files that carry no label

    @property
    def labelled(self) -> int:
        return sum(self.per_class.values())

    @property
    def counted(self) -> int:
        return self.labelled + len(self.outside_labels) + len(self.unlabelled)

    @property
    def read(self) -> int:
        return self.labelled - len(self.unreadable)

    @property
    def left_out(self) -> int:
        return len(self.unreadable) + len(self.outside_labels) + len(self.unlabelled)


def count_files(split: ImageSplit, unreadable: Mapping[Path, str] | None = None) -> FileCounts:
    """Count ``split``'s files; ``unreadable``: the files found unreadable so far (e.g. a prediction
    pass's ``skipped``; the split's own ``skipped`` is used too). Without a pass over the images,
    unreadable files are not known yet and are counted as labelled files that would be read."""
    labelled = {r.path for r in split.records}
    found = {**split.skipped, **(unreadable or {})}
    return FileCounts(per_class=split.class_counts(),
                      unreadable={p: why for p, why in found.items() if p in labelled},
                      outside_labels=dict(split.outside_labels), unlabelled=list(split.unparsed))
