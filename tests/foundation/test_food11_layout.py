"""The Food-11 layout: parsing, class names, bad folders, unreadable files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from foundation_fixtures import write_image
from helpers.data.food11 import (FOOD11_CLASS_NAMES, DataLayoutError, Food11Split, load_splits,
                                 parse_file_name)


def test_parse_file_name():
    assert parse_file_name(Path("3_101.jpg")) == (3, 101)
    assert parse_file_name(Path("10_0.JPEG")) == (10, 0)
    assert parse_file_name(Path("3_101.txt")) is None
    assert parse_file_name(Path("cat_1.jpg")) is None
    assert parse_file_name(Path("0001.jpg")) is None


def test_splits_load_with_labels_and_counts(food11_dir):
    splits = load_splits(food11_dir, image_size=16)
    assert set(splits) == {"training", "validation", "evaluation"}
    train = splits["training"]
    assert len(train) == 8 and train.num_classes == 2
    assert train.class_counts() == {0: 4, 1: 4}
    assert train.class_names == ["class 0", "class 1"]
    images, labels, kept = train.load_many(range(len(train)))
    assert images.shape == (8, 3, 16, 16) and kept == list(range(8))
    red = images[labels == 0]
    assert (red[:, 0].mean() > red[:, 2].mean()).item()  # label 0 is the reddish class
    assert train.records[train.index_of("1_2")].label == 1


def test_bgr_split_flips_channels(food11_dir):
    rgb = Food11Split(food11_dir, "training", 16)
    bgr = Food11Split(food11_dir, "training", 16, channel_order="bgr")
    assert torch.equal(bgr.load(0), rgb.load(0).flip(0))


def test_class_names_from_json_food11_and_language(food11_dir):
    (food11_dir / "classes.json").write_text(json.dumps({"names": ["Red", "Blue"], "names_zh-TW": ["紅", "藍"]}))
    assert Food11Split(food11_dir, "training", 16).class_names == ["Red", "Blue"]
    assert Food11Split(food11_dir, "training", 16, language="zh-TW").class_names == ["紅", "藍"]
    (food11_dir / "classes.json").unlink()
    write_image(food11_dir / "training" / "10_0.jpg", (0, 200, 0))
    assert Food11Split(food11_dir, "training", 16).class_names == list(FOOD11_CLASS_NAMES)


def test_missing_folder_shows_layout_and_default(tmp_path):
    with pytest.raises(DataLayoutError) as error:
        Food11Split(tmp_path / "nowhere", "training", 16)
    message = str(error.value)
    assert "does not exist" in message and 'data_dir="default"' in message
    assert "evaluation}/<label>_<n>.jpg" in message and "evaluation}/<class name>/<file>" in message  # both layouts


def test_missing_split_folder_is_named(food11_dir):
    import shutil
    shutil.rmtree(food11_dir / "validation")
    with pytest.raises(DataLayoutError, match="lacks the split folder\\(s\\) validation"):
        Food11Split(food11_dir, "training", 16)


def test_empty_split_is_an_error(food11_dir):
    for path in (food11_dir / "evaluation").iterdir():
        path.unlink()
    (food11_dir / "evaluation" / "notes.txt").write_text("x")
    with pytest.raises(DataLayoutError, match="holds no images"), pytest.warns(UserWarning, match="notes.txt"):
        Food11Split(food11_dir, "evaluation", 16)


def test_unparsed_names_are_reported_with_count_and_examples(food11_dir):
    write_image(food11_dir / "training" / "IMG_0001.jpg", (1, 2, 3))
    write_image(food11_dir / "training" / "bread.png", (1, 2, 3))
    with pytest.warns(UserWarning, match=r"2 file\(s\).*IMG_0001.jpg"):
        split = Food11Split(food11_dir, "training", 16)
    assert sorted(p.name for p in split.unparsed) == ["IMG_0001.jpg", "bread.png"]
    assert len(split) == 8


def test_corrupt_images_are_skipped_with_a_warning_and_counted(food11_dir):
    (food11_dir / "training" / "0_1.jpg").write_bytes(b"\xff\xd8\xff broken")
    split = Food11Split(food11_dir, "training", 16)
    with pytest.warns(UserWarning, match="0_1.jpg"):
        batches = list(split.batches(batch_size=3))
    assert sum(len(kept) for _, _, kept in batches) == 7
    assert [p.name for p in split.skipped] == ["0_1.jpg"]


def test_bad_arguments(food11_dir):
    with pytest.raises(ValueError, match="split must be one of"):
        Food11Split(food11_dir, "testing", 16)
    split = Food11Split(food11_dir, "training", 16)
    with pytest.raises(IndexError, match="0..7"):
        split.load(8)
    with pytest.raises(KeyError, match="e.g. 0_0"):
        split.index_of("9_9")


# -- the class count comes from the model (num_classes), not from the file names --------------------------------


def _labelled_folder(root: Path, labels, per_label: int = 1) -> Path:
    for split in ("training", "validation", "evaluation"):
        for label in labels:
            for n in range(per_label):
                write_image(root / split / f"{label}_{n}.jpg", (20 * (label % 12), 90, 200 - 15 * (label % 12)),
                            seed=label * 7 + n)
    return root


def test_head_with_more_outputs_than_labels_names_all_outputs_and_lists_absent_ones(tmp_path):
    root = _labelled_folder(tmp_path / "data", range(10))
    split = Food11Split(root, "evaluation", 16, num_classes=11)
    assert split.num_classes == 11 and len(split) == 10 and not split.skipped
    assert split.class_names == list(FOOD11_CLASS_NAMES)
    assert split.absent_classes == [10]
    assert Food11Split(root, "evaluation", 16).num_classes == 10  # without the model: labels decide
    (root / "classes.json").write_text(json.dumps({"names": [f"dish {k}" for k in range(10)]}))
    names = Food11Split(root, "evaluation", 16, num_classes=12).class_names
    assert names == [f"dish {k}" for k in range(10)] + ["class 10", "class 11"]


def test_classes_json_must_still_name_every_label_in_the_data(tmp_path):
    root = _labelled_folder(tmp_path / "data", range(4))
    (root / "classes.json").write_text(json.dumps({"names": ["a", "b"]}))
    with pytest.raises(DataLayoutError, match="names 2 classes but the files use labels up to 3"):
        Food11Split(root, "evaluation", 16, num_classes=11)


def test_stray_label_is_skipped_with_its_reason_and_never_used(food11_dir):
    stray = write_image(food11_dir / "evaluation" / "99_0.jpg", (1, 200, 1))
    with pytest.warns(UserWarning, match=r"1 file\(s\).*99 \(1 file, e.g. 99_0.jpg\)"):
        split = Food11Split(food11_dir, "evaluation", 16, num_classes=11)
    assert split.skipped == {stray: "label 99 is outside the model's 11 classes (0..10)"}
    assert split.outside_labels == {stray: 99}
    assert len(split) == 8 and 99 not in split.class_counts() and split.num_classes == 11
    _, labels, _ = split.load_many(range(len(split)))
    assert int(labels.max()) < 11
    with pytest.raises(KeyError, match="skipped: label 99 is outside"):
        split.index_of("99_0")
    with pytest.warns(UserWarning, match="99_0.jpg"):
        splits = load_splits(food11_dir, 16, num_classes=11)
    assert list(splits["evaluation"].skipped) == [stray] and not splits["training"].skipped


def test_labels_running_past_the_head_raise_naming_labels_and_files(tmp_path):
    root = _labelled_folder(tmp_path / "data", range(11), per_label=2)
    write_image(root / "evaluation" / "99_0.jpg", (1, 2, 3))
    with pytest.raises(DataLayoutError) as error:
        Food11Split(root, "evaluation", 16, num_classes=5)
    message = str(error.value)
    assert "The model has 5 outputs (classes 0..4)" in message
    assert "5, 6, 7, 8, 9, 10, 99" in message
    assert "5 (2 files, e.g. 5_0.jpg, 5_1.jpg)" in message and "10 (2 files, e.g. 10_0.jpg, 10_1.jpg)" in message
    assert "at least 11 outputs" in message and "checkpoint trained on this data" in message


def test_bad_num_classes_is_refused(food11_dir):
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        Food11Split(food11_dir, "evaluation", 16, num_classes=0)


def test_accuracy_and_predictions_use_the_models_class_count(tmp_path, capsys):
    from helpers.evaluation import accuracy
    from helpers.evaluation.predictions import predict_split
    from helpers.models.classic import Food11CNN

    root = _labelled_folder(tmp_path / "data", range(10))
    write_image(root / "evaluation" / "99_0.jpg", (1, 200, 1))
    torch.manual_seed(0)
    model = Food11CNN(11, input_size=32).eval()
    checkpoint = tmp_path / "eleven.pt"
    torch.save(model.state_dict(), checkpoint)
    with pytest.warns(UserWarning, match="99_0.jpg"):
        assert accuracy.main(["--data", str(root), "--arch", "classic", "--checkpoint", str(checkpoint),
                              "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "/10 images, 1 skipped)" in out
    assert "never in the data (model outputs only): Vegetable/Fruit" in out
    assert "skipped 99_0.jpg: label 99 is outside the model's 11 classes (0..10)" in out
    with pytest.warns(UserWarning, match="99_0.jpg"):
        split = Food11Split(root, "evaluation", 32, num_classes=11)
    predictions = predict_split(model, split, batch_size=4)
    assert predictions.num_classes == 11 and len(predictions.labels) == 10
    with pytest.raises(ValueError, match=r"label\(s\) 99 but the model has only 11 outputs.*num_classes=11"):
        predict_split(model, Food11Split(root, "evaluation", 32), batch_size=4)
