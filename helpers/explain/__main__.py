"""Explain photos from the command line, without the report.

    python -m helpers.explain PHOTO [PHOTO ...] --method smoothgrad-guided [--out DIR] [model options]

Writes ``<photo stem>_<method>.png`` (photo | map | overlay, titled with the class and its
probability) and ``<photo stem>_<method>.npy`` (the raw map) per photo and method, and prints each
photo's top-3 classes. Exit status 0 on success, 2 on bad input: one line on stderr naming the
photo, option or checkpoint and why, and nothing written. The work is done by
:func:`helpers.explain.photo.explain_photos`, which notebooks call too.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

from helpers.data.images import CHANNEL_ORDERS, RESIZE_MODES, CorruptImageError, read_rgb
from helpers.device import pick_device, progress_enabled
from helpers.explain.photo import METHODS, MethodSettings, explain_photos, make_explainers, parse_methods
from helpers.explain.photo import read_class_names
from helpers.explain.photo_files import DEFAULT_OUT, clashing_photos, save_explanation
from helpers.models.registry import load_model

BAD_INPUT = 2
_DEFAULTS = MethodSettings()


class BadInput(Exception):
    """Input the command cannot work with; its message is the one line printed."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage block: bad input is one line
        raise BadInput(f"{message} (see --help)")


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _integer(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value
    return parse


def _sigma(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (a share of the image's range, e.g. 0.2), got {text}")
    return value


def _methods(text: str) -> tuple[str, ...]:
    try:
        return parse_methods(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not valid JSON ({error}): give an object such as "
                                         "'{\"num_classes\": 11}'") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object such as '{{\"num_classes\": 11}}', got {text!r}")
    return value


def _normalize(text: str) -> str | dict:
    """A name ("none", "imagenet") or a JSON object such as '{"mean": [...], "std": [...]}'."""
    if not text.lstrip().startswith("{"):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not valid JSON ({error}): give a name such as imagenet, or "
                                         "'{\"mean\": [0.5, 0.5, 0.5], \"std\": [0.5, 0.5, 0.5]}'") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m helpers.explain", formatter_class=_Formatter,
        description="Explain why a CNN classifies photos as it does: per photo and method, a PNG (photo | map | "
                    "overlay, titled with the class and its probability) and the raw map (.npy), with the same "
                    "explainers, settings and model loading as report.ipynb.",
        epilog="examples:\n  python -m helpers.explain dish.jpg --method smoothgrad-guided\n"
               "  python -m helpers.explain a.jpg b.jpg --method all --model-arch classic --checkpoint model.pth "
               "--channel-order bgr --classes classes.json\n\n"
               "exit status: 0 on success, 2 on bad input (one line on stderr; nothing is written).")
    parser.add_argument("photos", nargs="+", type=Path, metavar="PHOTO", help="image files (any format Pillow reads)")
    method = parser.add_argument_group("methods")
    method.add_argument("--method", type=_methods, default="smoothgrad-guided", metavar="METHOD",
                        help=f"one of {', '.join(METHODS)}; a comma-separated list; or all")
    method.add_argument("--target", type=_integer(0), default=None,
                        help="class index to explain for every photo; not given: each photo's predicted class")
    method.add_argument("--samples", type=_integer(1), default=_DEFAULTS.samples, help="SmoothGrad's noisy samples")
    method.add_argument("--sigma", type=_sigma, default=_DEFAULTS.sigma,
                        help="SmoothGrad's noise, as a share of each image's range")
    method.add_argument("--seed", type=_integer(0), default=_DEFAULTS.seed, help="seed of SmoothGrad's noise and LIME")
    method.add_argument("--lime-samples", type=_integer(2), default=_DEFAULTS.lime_samples,
                        help="LIME's perturbed images per photo")
    method.add_argument("--lime-segments", type=_integer(1), default=_DEFAULTS.lime_segments,
                        help="LIME's SLIC superpixels")
    method.add_argument("--layer", default=None,
                        help="Grad-CAM's layer, a name or alias such as conv5; not given: the last convolution whose "
                             "output has a spatial extent (the report's choice)")
    method.add_argument("--batch-size", type=_integer(1), default=_DEFAULTS.batch_size,
                        help="photos per batch, and images per forward/backward pass")
    model = parser.add_argument_group("model (as the report's parameters)")
    model.add_argument("--model-arch", default="default",
                       help="default (EfficientNet-Lite0 with the food head), classic (the HW3 CNN), or your own "
                            "model as the report's model_arch takes it (path/to/model.py:Class, torchvision:NAME, "
                            "timm:NAME)")
    model.add_argument("--checkpoint", default=None, help="state_dict file; not given: the committed default head")
    model.add_argument("--checkpoint-allow-pickle", action="store_true",
                       help="also load a whole pickled model (runs code from the file: only for files you made)")
    model.add_argument("--model-kwargs", type=_json_object, default=None,
                       help="JSON object of keyword arguments for the model's constructor")
    model.add_argument("--normalize", type=_normalize, default=None,
                       help='input normalisation the model was trained with: none, imagenet or a JSON object '
                            '{"mean": [...], "std": [...]}; not given: the architecture\'s own')
    model.add_argument("--resize", choices=RESIZE_MODES, default=None,
                       help="how photos are resized to the input size; not given: the architecture's own")
    model.add_argument("--input-size", type=_integer(1), default=None,
                       help="input side in pixels; not given: read off the checkpoint or architecture")
    model.add_argument("--channel-order", choices=CHANNEL_ORDERS, default="rgb",
                       help="bgr for a model trained on OpenCV images (photos stay RGB; the model flips them)")
    model.add_argument("--classes", type=Path, default=None,
                       help='JSON class names, {"names": [...]} or a list; not given: the model\'s own, '
                            'else "class k"')
    model.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:N")
    model.add_argument("--threads", type=_integer(1), default=None,
                       help="CPU threads for torch; not given: torch's default (one per core). On a machine busy "
                            "with other work, 1 can be several times faster")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNG and .npy files "
                                                                     "(created when missing)")
    return parser


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def check_photos(photos: list[Path]) -> None:
    """Every photo exists and decodes; no two would write files of the same name."""
    for photo in photos:
        if not photo.is_file():
            raise BadInput(f"photo {photo}: {'is a folder' if photo.is_dir() else 'no such file'}")
        try:
            read_rgb(photo)
        except CorruptImageError as error:
            raise BadInput(f"photo {photo} cannot be read as an image: {_one_line(error.reason)}") from None
    clash = clashing_photos(photos)
    if clash:
        raise BadInput(f"photos {clash[0]} and {clash[1]} would write files of the same name "
                       f"({clash[0].stem}_<method>.png): rename one or run them separately")


def check_out(out: Path) -> None:
    """``out`` is (or can be created as) a writable folder; nothing is created here."""
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise BadInput(f"--out {out}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BadInput(f"--out {out}: {existing} is not writable")


def load(args: argparse.Namespace):
    """The model, with the model options; the newer ones are passed only when given, so the command
    works with every version of load_model that has them."""
    try:
        device = pick_device(args.device)
    except ValueError as error:
        raise BadInput(f"--device {args.device}: {_one_line(error)}") from None
    extra = {name: value for name, value in (("model_kwargs", args.model_kwargs), ("normalize", args.normalize),
                                             ("resize", args.resize)) if value is not None}
    known = inspect.signature(load_model).parameters
    for name in extra:
        if name not in known:
            raise BadInput(f"--{name.replace('_', '-')} is not supported by this version of "
                           f"helpers.models.registry.load_model")
    given = f"--model-arch {args.model_arch}" + (f", --checkpoint {args.checkpoint}" if args.checkpoint else "")
    try:
        return load_model(args.model_arch, args.checkpoint, args.channel_order, args.input_size, device=device,
                          allow_pickle=args.checkpoint_allow_pickle, **extra)
    except Exception as error:  # noqa: BLE001 - a user's model file may raise anything; it is their input
        kind = "" if isinstance(error, (OSError, ValueError)) else f"{type(error).__name__}: "
        raise BadInput(f"cannot load the model ({given}): {kind}{_one_line(error)}") from None


def class_names(args: argparse.Namespace, loaded) -> list[str]:
    if args.classes is not None:
        try:
            return read_class_names(args.classes, loaded.num_classes)
        except ValueError as error:
            raise BadInput(f"--classes: {_one_line(error)}") from None
    return list(loaded.class_names or [f"class {k}" for k in range(loaded.num_classes)])


def prepare(args: argparse.Namespace):
    """Everything that can be wrong is found here, before anything is computed or written."""
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    check_photos(args.photos)
    check_out(args.out)
    loaded = load(args)
    names = class_names(args, loaded)
    if args.target is not None and args.target >= loaded.num_classes:
        raise BadInput(f"--target {args.target} is out of range: the model has {loaded.num_classes} classes "
                       f"(0..{loaded.num_classes - 1})")
    settings = MethodSettings(sigma=args.sigma, samples=args.samples, lime_samples=args.lime_samples,
                              lime_segments=args.lime_segments, seed=args.seed, batch_size=args.batch_size,
                              layer=args.layer)
    try:
        explainers = make_explainers(loaded.model, args.method, loaded.input_size, settings)
    except (ValueError, KeyError) as error:
        option = "--layer" if args.layer and "layer" in str(error).lower() else "--method"
        raise BadInput(f"{option} {args.layer if option == '--layer' else ','.join(args.method)}: "
                       f"{_one_line(error)}") from None
    return loaded, names, settings, explainers


def run(args: argparse.Namespace) -> None:
    loaded, names, settings, explainers = prepare(args)
    total = len(args.photos) * len(explainers)
    bar = tqdm(total=total, unit="map", desc="explaining", disable=not progress_enabled(None))
    started, done = time.perf_counter(), 0

    def on_map(method: str, n: int) -> None:
        nonlocal done
        done += n
        if bar.disable:  # no terminal: plain lines a log can keep
            print(f"[{done}/{total}] {method}: {n} photo{'s' if n > 1 else ''} "
                  f"({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
        bar.update(n)

    with bar:
        for result in explain_photos(args.photos, loaded, args.method, args.target, settings, class_names=names,
                                     on_map=on_map, explainers=explainers):
            top = ", ".join(f"{name} {p:.3f}" for _, name, p in result.top(3))
            written = save_explanation(result, args.out)
            pngs = ", ".join(str(p) for p in written if p.suffix == ".png")
            bar.write(f"{result.path}: {top}\n  explained: {names[result.target]}; wrote {pngs} (+ .npy)",
                      file=sys.stdout)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        run(args)
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:  # Ctrl-C: a line, not a traceback; every file written so far is whole
        print("interrupted: the files written so far are complete; the others were not written", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
