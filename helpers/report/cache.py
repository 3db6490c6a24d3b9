"""On-disk cache of the report's expensive results (attributions, LIME, activation
maximisation, predictions) under ``.cache/results/``.

A result's key is a SHA-256 over what was computed (``kind``) and the caller's key parts: the
model's weights (:func:`model_fingerprint`), the images (:func:`tensor_fingerprint`, or
:func:`files_fingerprint` of a split's files), the method's settings and the hash of the source
code behind it (:mod:`helpers.report.cached` puts all of these in). Change any of them and the
key changes, so a stale result is never read; nothing is ever invalidated by hand. Values are nested dicts /
lists of tensors, numbers and strings, stored with ``torch.save`` and read back with
``weights_only=True`` (no pickled code), written atomically (temporary file + rename) with the
permissions a plain ``open()`` would give (``0o666`` less the umask: group-readable like the
report's other outputs; ``mkstemp`` alone gives ``0o600``). A ``.part`` file that an interrupted
write left behind is removed by the next :class:`ResultCache` once it is older than
``stale_part_seconds`` (a live write never takes that long).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE_DIR = PROJECT_ROOT / ".cache" / "results"
CACHE_FORMAT = 1  # bump when what is stored changes shape
STALE_PART_SECONDS = 15 * 60
# Only the temporary files this module names (".<32 hex key>.<mkstemp random>.part") are ever
# removed, so a cache_dir shared with other outputs loses nothing else.
_PART_NAME = re.compile(r"^\.[0-9a-f]{32}\.[^/]+\.part$")


def _sha(parts: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def tensor_fingerprint(tensor: torch.Tensor | np.ndarray) -> str:
    """Hash of a tensor's dtype, shape and values."""
    array = tensor.detach().cpu().contiguous().numpy() if isinstance(tensor, torch.Tensor) else np.ascontiguousarray(tensor)
    return _sha([str(array.dtype).encode(), str(array.shape).encode(), array.tobytes()])


def model_fingerprint(model: nn.Module) -> str:
    """Hash of the model's class, weights and buffers (and a classic model's channel order); for a
    wrapped user model also its source code, constructor arguments and preprocessing, which the
    weights do not show (an edited model file must not reuse old maps)."""
    parts = [type(model).__name__.encode(), str(getattr(model, "channel_order", "")).encode()]
    identity = getattr(model, "cache_identity", None)
    if callable(identity):  # only wrapped models: the default and classic fingerprints stay as they were
        parts.append(identity().encode())
    for name, value in sorted(model.state_dict().items()):
        parts.append(name.encode())
        parts.append(tensor_fingerprint(value).encode())
    return _sha(parts)


def files_fingerprint(paths: Iterable[Path]) -> str:
    """Hash of the files' names and contents (e.g. all images of a split)."""
    parts = []
    for path in paths:
        path = Path(path)
        parts.append(path.name.encode())
        parts.append(hashlib.sha256(path.read_bytes()).digest())
    return _sha(parts)


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return tensor_fingerprint(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot use a {type(value).__name__} in a cache key")


def remove_stale_parts(root: str | Path, older_than_seconds: float = STALE_PART_SECONDS) -> list[Path]:
    """Delete the cache's temporary ``.part`` files under ``root/<kind>/`` whose last change is
    more than ``older_than_seconds`` ago (left by a killed run); return the paths removed."""
    root = Path(root)
    if not root.is_dir():
        return []
    cutoff = time.time() - older_than_seconds
    removed = []
    for part in root.glob("*/.*.part"):
        if not _PART_NAME.match(part.name):
            continue
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
                removed.append(part)
        except FileNotFoundError:  # finished (renamed) or removed by another run meanwhile
            continue
    return removed


def _current_umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it is to set it; restore at once
    os.umask(mask)
    return mask


class ResultCache:
    """``cache.get_or_compute(kind, key_parts, compute)``: the stored result, or ``compute()``
    stored under the key. ``hits`` / ``misses`` list the kinds served from disk / computed.

    ``removed_parts``: stale ``.part`` files removed on creation.
    """

    def __init__(self, root: str | Path = DEFAULT_CACHE_DIR, enabled: bool = True, *,
                 stale_part_seconds: float = STALE_PART_SECONDS) -> None:
        self.root = Path(root)
        self.enabled = enabled
        self.hits: list[str] = []
        self.misses: list[str] = []
        self._file_mode = 0o666 & ~_current_umask()  # read once: reading it means setting it
        self.removed_parts = remove_stale_parts(self.root, stale_part_seconds) if enabled else []

    def key(self, kind: str, parts: dict) -> str:
        payload = json.dumps({"kind": kind, "format": CACHE_FORMAT, "parts": _canonical(parts)}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def path(self, kind: str, parts: dict) -> Path:
        return self.root / kind / f"{self.key(kind, parts)[:32]}.pt"

    def get(self, kind: str, parts: dict) -> tuple[bool, Any]:
        """``(True, value)`` when a result is stored under the key (counted as a hit), else
        ``(False, None)``; a damaged file counts as absent."""
        path = self.path(kind, parts)
        if self.enabled and path.is_file():
            try:
                value = torch.load(path, map_location="cpu", weights_only=True)
            except Exception:  # noqa: BLE001 - a damaged cache file is recomputed, never fatal
                return False, None
            self.hits.append(kind)
            return True, value
        return False, None

    def put(self, kind: str, parts: dict, value: Any) -> None:
        """Store a computed result under the key (counted as a miss; written only when enabled)."""
        self.misses.append(kind)
        if self.enabled:
            self._write(self.path(kind, parts), value)

    def get_or_compute(self, kind: str, parts: dict, compute: Callable[[], Any]) -> Any:
        found, value = self.get(kind, parts)
        if found:
            return value
        value = compute()
        self.put(kind, parts, value)
        return value

    def _write(self, path: Path, value: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".part")
        os.close(fd)
        try:
            torch.save(value, tmp)
            os.chmod(tmp, self._file_mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
