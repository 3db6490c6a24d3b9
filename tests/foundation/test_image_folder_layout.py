"""The ImageFolder layout (``<split>/<class name>/<file>``), the layout detection, and the file counts
of both layouts. torchvision's own ImageFolder is the oracle for labels."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from torchvision.datasets import ImageFolder

from foundation_fixtures import write_image
from helpers.data.file_counts import count_files
from helpers.data.food11 import Food11Split
from helpers.data.image_folder import ImageFolderSplit
from helpers.data.layout import DataLayoutError, detect_layout, load_splits, open_split

CLASSES = {"Soup": (180, 60, 40), "Rice": (240, 240, 220), "Egg": (240, 200, 30)}  # not in sorted order


@pytest.fixture
def folder_dir(tmp_path: Path) -> Path:
    """Three class folders per split, three images each; sorted, the labels are Egg 0, Rice 1, Soup 2."""
    root = tmp_path / "imagefolder"
    for split in ("training", "validation", "evaluation"):
        for k, (name, colour) in enumerate(CLASSES.items()):
            for n in range(3):
                write_image(root / split / name / f"{100 + n}.jpg", colour, seed=10 * k + n)
    return root


def test_labels_are_torchvisions_and_ids_are_class_and_stem(folder_dir):
    write_image(folder_dir / "evaluation" / "Soup" / "extra" / "7.png", (1, 2, 3))  # ImageFolder walks sub-folders
    split = open_split(folder_dir, "evaluation", 16)
    assert isinstance(split, ImageFolderSplit) and split.layout == "imagefolder"
    oracle = ImageFolder(folder_dir / "evaluation")
    assert split.class_names == oracle.classes == ["Egg", "Rice", "Soup"]
    assert [(r.path, r.label) for r in split.records] == [(Path(p), k) for p, k in oracle.samples]
    assert split.records[0].image_id == "Egg/100" and "Soup/extra/7" in {r.image_id for r in split.records}
    assert split.records[split.index_of("Rice/101")].label == 1
    images, labels, kept = split.load_many(range(len(split)))
    assert images.shape == (10, 3, 16, 16) and labels.tolist() == [k for _, k in oracle.samples]
    egg = images[labels == 0]
    assert (egg[:, 0].mean() > egg[:, 2].mean() + 0.3).item()  # Egg's images are the yellow ones
    with pytest.raises(KeyError, match=r"ids are <class folder>/<file name without extension>, e.g. Egg/100"):
        split.index_of("pizza/1")


def test_two_files_that_would_share_an_id_keep_their_extension(folder_dir):
    write_image(folder_dir / "evaluation" / "Egg" / "100.png", (9, 9, 9))
    split = open_split(folder_dir, "evaluation", 16)
    ids = [r.image_id for r in split.records]
    assert len(set(ids)) == len(ids)
    assert "Egg/100.jpg" in ids and "Egg/100.png" in ids and "Egg/101" in ids


def test_class_folders_that_differ_between_splits_are_named(folder_dir):
    shutil.rmtree(folder_dir / "validation" / "Rice")
    (folder_dir / "evaluation" / "Bread").mkdir()
    with pytest.raises(DataLayoutError) as error:
        load_splits(folder_dir, 16)
    message = str(error.value)
    assert "differ between the splits" in message
    assert "training/ lacks Bread" in message and "validation/ lacks Bread, Rice" in message
    assert "evaluation/ lacks" not in message
    with pytest.raises(DataLayoutError, match="differ between the splits"):
        open_split(folder_dir, "training", 16)  # one split alone would get shifted labels


def test_a_hidden_folder_counts_as_a_class_as_in_torchvision_and_is_named(folder_dir):
    (folder_dir / "evaluation" / ".ipynb_checkpoints").mkdir()
    with pytest.raises(DataLayoutError, match=r"Hidden folders \(.ipynb_checkpoints\) count as classes"):
        open_split(folder_dir, "evaluation", 16)


def test_an_empty_class_folder_keeps_its_label_and_is_absent(folder_dir):
    (folder_dir / "evaluation" / "Apple").mkdir()
    for split in ("training", "validation"):
        write_image(folder_dir / split / "Apple" / "1.jpg", (200, 0, 0))
    split = open_split(folder_dir, "evaluation", 16)
    assert split.class_names == ["Apple", "Egg", "Rice", "Soup"] and split.absent_classes == [0]
    assert split.records[split.index_of("Soup/100")].label == 3


def test_more_outputs_than_folders_runs_and_fewer_stops_naming_the_classes(folder_dir):
    split = open_split(folder_dir, "evaluation", 16, num_classes=5)
    assert split.num_classes == 5 and split.class_names == ["Egg", "Rice", "Soup", "class 3", "class 4"]
    assert split.absent_classes == [3, 4] and not split.skipped
    with pytest.raises(DataLayoutError) as error:
        open_split(folder_dir, "evaluation", 16, num_classes=2)
    message = str(error.value)
    assert "The model has 2 outputs" in message and "3 class folders" in message
    assert "cannot represent the class(es) Soup (3 files)" in message and "Rice" not in message.split("class(es)")[1]


def test_classes_json_names_the_classes_in_chinese_and_the_extra_outputs(folder_dir):
    (folder_dir / "classes.json").write_text(json.dumps(
        {"names": ["Egg", "Rice", "Soup", "Tofu"], "names_zh-TW": ["蛋", "米飯", "湯", "豆腐"]}, ensure_ascii=False),
        encoding="utf-8")
    assert open_split(folder_dir, "evaluation", 16, num_classes=4).class_names == ["Egg", "Rice", "Soup", "Tofu"]
    zh = open_split(folder_dir, "evaluation", 16, language="zh-TW", num_classes=4)
    assert zh.class_names == ["蛋", "米飯", "湯", "豆腐"]
    (folder_dir / "classes.json").write_text(json.dumps({"names_zh-TW": ["蛋"]}, ensure_ascii=False),
                                             encoding="utf-8")
    with pytest.raises(DataLayoutError, match="names 1 classes in zh-TW but there are 3 class folders"):
        open_split(folder_dir, "evaluation", 16, language="zh-TW")


def test_mixed_layouts_are_an_error_that_says_where(folder_dir, food11_dir):
    write_image(folder_dir / "evaluation" / "0_1.jpg", (1, 2, 3))
    with pytest.raises(DataLayoutError, match=r"evaluation mixes class folders \(Egg, Rice, Soup\) with Food-11 "
                                              r"files named <label>_<n>.jpg \(0_1.jpg\)"):
        detect_layout(folder_dir)
    shutil.rmtree(food11_dir / "validation")
    shutil.copytree(folder_dir / "validation", food11_dir / "validation")
    with pytest.raises(DataLayoutError, match=r"two layouts: validation/ class folders .* training/, evaluation/ "
                                              r"Food-11 files"):
        load_splits(food11_dir, 16)


def test_layout_detection_and_missing_split_folder(folder_dir, food11_dir):
    assert detect_layout(folder_dir) == "imagefolder" and detect_layout(food11_dir) == "food11"
    (food11_dir / "evaluation" / ".ipynb_checkpoints").mkdir()  # hidden: still the Food-11 layout
    assert isinstance(open_split(food11_dir, "evaluation", 16), Food11Split)
    shutil.rmtree(folder_dir / "validation")
    with pytest.raises(DataLayoutError, match=r"lacks the split folder\(s\) validation"):
        open_split(folder_dir, "evaluation", 16)


def test_a_split_without_images_is_an_error(folder_dir):
    for name in CLASSES:
        for path in (folder_dir / "evaluation" / name).iterdir():
            path.unlink()
    with pytest.raises(DataLayoutError, match="holds no images in its class folders"):
        open_split(folder_dir, "evaluation", 16)


@pytest.mark.parametrize("layout", ["food11", "imagefolder"])
def test_file_counts_add_up_to_the_files_in_the_folder(folder_dir, food11_dir, layout):
    root = folder_dir if layout == "imagefolder" else food11_dir
    evaluation = root / "evaluation"
    labelled = next(p for p in sorted(evaluation.rglob("*.jpg")) if p.stem[0] in "01E")
    labelled.write_bytes(b"broken")
    write_image(evaluation / "pizza.jpg", (1, 2, 3))
    (evaluation / "notes.txt").write_text("x")
    (evaluation / ".DS_Store").write_bytes(b"\0")  # hidden: no data, not counted
    if layout == "food11":
        write_image(evaluation / "99_0.jpg", (1, 2, 3))
    with pytest.warns(UserWarning):
        split = open_split(root, "evaluation", 16, num_classes=3)
    visible = [p for p in evaluation.rglob("*") if p.is_file() and not p.name.startswith(".")]
    before = count_files(split)  # nothing decoded yet: the broken file is not known
    assert before.counted == len(visible) and not before.unreadable
    with pytest.warns(UserWarning, match="Skipping unreadable image"):
        read = sum(len(kept) for _, _, kept in split.batches(4))
    counts = count_files(split)
    assert counts.unreadable == {labelled: split.skipped[labelled]}
    assert counts.read == read and counts.read + counts.left_out == counts.counted == len(visible)
    assert sorted(p.name for p in counts.unlabelled) == ["notes.txt", "pizza.jpg"]
    assert len(counts.outside_labels) == (1 if layout == "food11" else 0)
    assert counts.labelled == sum(counts.per_class.values()) == len(split)


def test_predictions_and_cache_key_follow_the_folder_labels(folder_dir):
    from helpers.evaluation.predictions import predict_split
    from helpers.models.classic import Food11CNN
    from helpers.report.cached import call_key

    model = Food11CNN(3, input_size=32).eval()
    split = open_split(folder_dir, "evaluation", 32, num_classes=3)
    predictions = predict_split(model, split, batch_size=4)
    assert predictions.labels.tolist() == [r.label for r in split.records]
    _, key = call_key(predict_split, (model, split), {})
    for name in ("training", "validation", "evaluation"):  # same files, but every label shifts by one
        (folder_dir / name / "Apple").mkdir()
    shifted = open_split(folder_dir, "evaluation", 32, num_classes=4)
    assert [r.path for r in shifted.records] == [r.path for r in split.records]
    assert call_key(predict_split, (model, shifted), {})[1]["args"] != key["args"]
    assert torch.equal(torch.tensor([r.label for r in shifted.records]) - 1, predictions.labels)


def test_training_and_accuracy_commands_read_an_image_folder(folder_dir, tmp_path, capsys):
    from helpers.evaluation import accuracy
    from helpers.training.train_classic import TrainConfig, train_classic

    out = tmp_path / "run"
    train_classic(TrainConfig(str(folder_dir), str(out), epochs=1, batch_size=4, input_size=32, seed=1,
                              device="cpu"), progress=False)
    best = out / "best.pt"
    assert torch.load(best, weights_only=True)["fc.4.weight"].shape == (3, 512)  # one output per class folder
    assert accuracy.main(["--data", str(folder_dir), "--arch", "classic", "--checkpoint", str(best),
                          "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "/9 images" in printed and "Egg" in printed, printed
