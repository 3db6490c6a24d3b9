"""Bad input: exit status 2, exactly one line on stderr naming what is wrong and why, nothing on
stdout and nothing written (the --out folder is not even created)."""
from __future__ import annotations

import json

import pytest
import torch
from helpers.explain.photo_files import write_atomically



def _bad_cases():
    """(id, arguments, words the one line must contain); "{photo}", "{classic}" and "{tmp}" are
    filled in by the test."""
    return [
        ("missing photo", ["{tmp}/nope.jpg"], ["nope.jpg", "no such file"]),
        ("photo is a folder", ["{tmp}"], ["is a folder"]),
        ("unreadable photo", ["{tmp}/broken.jpg"], ["broken.jpg", "cannot be read"]),
        ("truncated photo", ["{tmp}/truncated.jpg"], ["truncated.jpg", "cannot be read"]),
        ("unknown method", ["{photo}", "--method", "gradcam++"], ["--method", "'gradcam++'", "saliency"]),
        ("unknown method in a list", ["{photo}", "--method", "saliency,nope"], ["'nope'"]),
        ("checkpoint of another model", ["{photo}", "--model-arch", "classic", "--checkpoint", "{tmp}/other.pth"],
         ["other.pth", "conv layers"]),
        ("classic checkpoint for the default model", ["{photo}", "--checkpoint", "{classic}"],
         ["classic.pth", "not a head for the default model"]),
        ("checkpoint that is not one", ["{photo}", "--model-arch", "classic", "--checkpoint", "{tmp}/notes.pth"],
         ["notes.pth"]),
        ("missing checkpoint", ["{photo}", "--model-arch", "classic", "--checkpoint", "{tmp}/gone.pth"],
         ["gone.pth"]),
        ("wrong input size for the checkpoint", ["{photo}", "--model-arch", "classic", "--checkpoint", "{classic}",
                                                 "--input-size", "64"], ["32", "input_size=64"]),
        ("unknown architecture", ["{photo}", "--model-arch", "resnet9000"], ["--model-arch resnet9000"]),
        ("target out of range", ["{photo}", "--model-arch", "classic", "--checkpoint", "{classic}", "--target", "3"],
         ["--target 3", "3 classes", "0..2"]),
        ("negative target", ["{photo}", "--target", "-1"], ["--target", ">= 0"]),
        ("bad --model-kwargs JSON", ["{photo}", "--model-kwargs", "{{num_classes: 3"], ["--model-kwargs", "JSON"]),
        ("--model-kwargs not an object", ["{photo}", "--model-kwargs", "[3]"], ["--model-kwargs", "object"]),
        ("unknown layer", ["{photo}", "--method", "gradcam", "--model-arch", "classic", "--checkpoint", "{classic}",
                           "--layer", "conv99"], ["--layer conv99", "conv1"]),
        ("too few class names", ["{photo}", "--model-arch", "classic", "--checkpoint", "{classic}", "--classes",
                                 "{tmp}/two.json"], ["--classes", "two.json", "3 outputs"]),
        ("zero samples", ["{photo}", "--samples", "0"], ["--samples", ">= 1"]),
        ("negative sigma", ["{photo}", "--sigma", "-0.1"], ["--sigma", ">= 0"]),
        ("unknown channel order", ["{photo}", "--channel-order", "gbr"], ["--channel-order", "gbr"]),
        ("unknown resize", ["{photo}", "--resize", "crop"], ["--resize", "'crop'", "squash"]),
        ("bad --normalize JSON", ["{photo}", "--normalize", "{{mean: 1}}"], ["--normalize", "JSON"]),
        ("bgr for the default model", ["{photo}", "--channel-order", "bgr"], ["RGB"]),
        ("unknown device", ["{photo}", "--device", "tpu"], ["--device tpu"]),
        ("--out is a file", ["{photo}", "--out", "{tmp}/notes.pth"], ["--out", "notes.pth", "not a folder"]),
        ("two photos with one name", ["{photo}", "{tmp}/copy/{photo_name}"], ["same name", "rename"]),
        ("no photo", [], ["PHOTO"]),
        ("unknown option", ["{photo}", "--smaples", "3"], ["--smaples"]),
    ]


@pytest.fixture
def bad_files(tmp_path, demo_photos, classic_checkpoint):
    (tmp_path / "broken.jpg").write_bytes(b"not an image at all")
    (tmp_path / "truncated.jpg").write_bytes(demo_photos[0].read_bytes()[:2000])
    torch.save({"features.0.weight": torch.zeros(4, 3, 3, 3)}, tmp_path / "other.pth")
    (tmp_path / "notes.pth").write_text("my notes, not weights")
    (tmp_path / "two.json").write_text(json.dumps({"names": ["Rice", "Soup"]}))
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / demo_photos[0].name).write_bytes(demo_photos[0].read_bytes())
    return {"tmp": str(tmp_path), "photo": str(demo_photos[0]), "photo_name": demo_photos[0].name,
            "classic": str(classic_checkpoint)}


@pytest.mark.parametrize("args, words", [case[1:] for case in _bad_cases()], ids=[case[0] for case in _bad_cases()])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(cli, bad_files, tmp_path, args, words):
    out = tmp_path / "out" / "explain"
    filled = [arg.format(**bad_files) for arg in args]
    result = cli(*filled, *([] if "--out" in filled else ["--out", out]))
    assert result.status == 2
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    for word in words:
        assert word.format(**bad_files) in lines[0], f"{word!r} not in {lines[0]!r}"
    assert result.out == ""
    assert not out.parent.exists()


def test_cuda_asked_for_without_cuda(cli, demo_photos, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    result = cli(demo_photos[0], "--device", "cuda", "--out", tmp_path / "out")
    assert result.status == 2 and len(result.err.splitlines()) == 1 and "CUDA is not available" in result.err
    assert not (tmp_path / "out").exists()


def test_an_option_load_model_does_not_have_yet_is_named(cli, demo_photos, tmp_path, monkeypatch):
    """--normalize / --resize / --model-kwargs are passed to load_model only when given, and a
    load_model without that parameter gives one line naming the option (not a TypeError)."""
    import inspect

    import helpers.explain.__main__ as command

    def old_load_model(architecture="default", checkpoint=None, channel_order="rgb", input_size=None,
                       num_classes=None, device="auto", allow_pickle=False):
        raise AssertionError("must not be called")

    monkeypatch.setattr(command, "load_model", old_load_model)
    assert "normalize" not in inspect.signature(command.load_model).parameters
    result = cli(demo_photos[0], "--normalize", "imagenet", "--out", tmp_path / "out")
    assert result.status == 2 and result.err.count("\n") == 1 and "--normalize" in result.err
    assert not (tmp_path / "out").exists()


def test_an_interrupted_write_leaves_no_file(tmp_path):
    def fail(file):
        file.write(b"half a png")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(tmp_path / "photo_saliency.png", fail)
    assert list(tmp_path.iterdir()) == []
    write_atomically(tmp_path / "photo_saliency.png", lambda file: file.write(b"png"))
    assert [p.name for p in tmp_path.iterdir()] == ["photo_saliency.png"]
    assert (tmp_path / "photo_saliency.png").stat().st_mode & 0o644 == 0o644  # not mkstemp's 0o600


def test_ctrl_c_gives_a_line_and_leaves_only_whole_files(cli, demo_photos, classic_checkpoint, tmp_path, monkeypatch):
    import helpers.explain.photo_files as files

    written = []
    original = files.write_atomically

    def interrupted_after_two(path, write):
        if len(written) == 2:
            raise KeyboardInterrupt
        written.append(original(path, write))
        return written[-1]

    monkeypatch.setattr(files, "write_atomically", interrupted_after_two)
    out = tmp_path / "out"
    result = cli(*demo_photos, "--method", "saliency,guided", "--model-arch", "classic", "--checkpoint",
                 classic_checkpoint, "--out", out)
    assert result.status == 130 and result.err.splitlines()[-1].startswith("interrupted: ")
    assert "Traceback" not in result.err
    assert sorted(out.iterdir()) == sorted(written) and len(written) == 2  # no temporary file left behind
