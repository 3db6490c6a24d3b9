"""Print a model's accuracy (overall and per class) on a split.

    python -m helpers.evaluation.accuracy [--data default] [--arch default] [--checkpoint PATH]
                                          [--split evaluation] [--channel-order rgb] [--device auto]
                                          [--model-kwargs JSON] [--input-size N] [--normalize imagenet]
                                          [--resize center_crop] [--allow-pickle]

``--arch`` takes what the report's ``model_arch`` takes: default, classic, path/to/model.py:Class,
torchvision:<name>, timm:<name>.
"""
from __future__ import annotations

import argparse
import json
import sys

from helpers.data.default_dataset import resolve_data_dir
from helpers.data.image_split import SPLITS
from helpers.data.layout import open_split
from helpers.evaluation.confusion import confusion_report
from helpers.evaluation.predictions import predict_split
from helpers.data.images import RESIZE_MODES
from helpers.models.registry import load_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Accuracy of a model on a Food-11-layout split.")
    parser.add_argument("--data", default="default", help='data folder, or "default" for the demo data')
    parser.add_argument("--arch", default="default",
                        help="default, classic, path/to/model.py:Class, torchvision:<name> or timm:<name>")
    parser.add_argument("--model-kwargs", type=json.loads, default=None, help='constructor arguments as JSON, e.g. \'{"width": 32}\'')
    parser.add_argument("--input-size", type=int, default=None)
    parser.add_argument("--normalize", default=None,
                        help='none, imagenet or JSON {"mean": [...], "std": [...]}; default: the architecture\'s own')
    parser.add_argument("--resize", default=None, choices=RESIZE_MODES)
    parser.add_argument("--allow-pickle", action="store_true", help="read a whole pickled model you made yourself")
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--split", default="evaluation", choices=SPLITS)
    parser.add_argument("--channel-order", default="rgb", choices=("rgb", "bgr"))
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    try:
        normalize = json.loads(args.normalize) if args.normalize and args.normalize.startswith("{") else args.normalize
        loaded = load_model(args.arch, args.checkpoint, args.channel_order, args.input_size, device=args.device,
                            allow_pickle=args.allow_pickle, model_kwargs=args.model_kwargs, normalize=normalize,
                            resize=args.resize)
        # The class count is the model's: stray labels are skipped, extra outputs are absent classes.
        split = open_split(resolve_data_dir(args.data), args.split, loaded.input_size, loaded.resize_mode,
                           num_classes=loaded.num_classes)
        predictions = predict_split(loaded.model, split, args.batch_size)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    names = loaded.class_names or split.class_names
    report = confusion_report(predictions.labels.numpy(), predictions.predicted.numpy(), names)
    print(f"{args.arch} model on {split.root.name}/{args.split}: accuracy {report.accuracy:.4f} "
          f"({int(report.counts.trace())}/{int(report.counts.sum())} images"
          f"{f', {len(predictions.skipped)} skipped' if predictions.skipped else ''})")
    for name, accuracy, support in report.ranked_classes():
        if support:
            print(f"  {name:<20} {accuracy:.3f}  (n={support})")
    absent = [names[k] for k in range(len(names)) if not report.support[k]]
    if absent:  # outputs of the head that no readable image of the split carries
        print(f"  never in the data (model outputs only): {', '.join(absent)}")
    for path, reason in list(predictions.skipped.items())[:10]:
        print(f"  skipped {path.name}: {reason}")
    if len(predictions.skipped) > 10:
        print(f"  ... and {len(predictions.skipped) - 10} more skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
