"""Where a photo's explanations are written: ``<photo stem>_<method>.png`` (photo | map | overlay)
and ``<photo stem>_<method>.npy`` (the raw map), each written atomically (a temporary file in the
same folder, then a rename), so an interrupted run never leaves half a file under a final name."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from helpers.plotting.save import save_figure

from .photo import PhotoExplanation

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = PROJECT_ROOT / "outputs" / "explain"


def output_paths(photo: str | Path, method: str, folder: str | Path) -> tuple[Path, Path]:
    """The PNG and the .npy of one photo and method."""
    stem = f"{Path(photo).stem}_{method}"
    return Path(folder) / f"{stem}.png", Path(folder) / f"{stem}.npy"


def clashing_photos(photos: Sequence[str | Path]) -> tuple[Path, Path] | None:
    """Two photos whose outputs would have the same names (same stem in different folders), or None."""
    seen: dict[str, Path] = {}
    for photo in map(Path, photos):
        if photo.stem in seen and seen[photo.stem].resolve() != photo.resolve():
            return seen[photo.stem], photo
        seen.setdefault(photo.stem, photo)
    return None


def _file_mode() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; restored at once
    os.umask(mask)
    return 0o666 & ~mask


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> Path:
    """``write(file)`` into a temporary file beside ``path``, then rename it to ``path`` (with the
    permissions a plain ``open()`` gives; ``mkstemp`` alone gives 0o600). The temporary file is
    removed when writing fails."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_explanation(explanation: PhotoExplanation, folder: str | Path) -> list[Path]:
    """Write every map of ``explanation`` as PNG and .npy into ``folder`` (created when missing);
    return the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for method, attribution in explanation.maps.items():
        png, npy = output_paths(explanation.path, method, folder)
        figure = explanation.figure(method)
        written.append(write_atomically(png, lambda file: save_figure(figure, file)))
        values = attribution.numpy().astype(np.float32)
        written.append(write_atomically(npy, lambda file: np.save(file, values)))
    return written
