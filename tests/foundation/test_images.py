"""Images of every mode load as RGB in [0, 1]; corrupt files raise a clear error."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from helpers.data.images import CorruptImageError, apply_channel_order, load_image


def _save(tmp_path: Path, name: str, image: Image.Image) -> Path:
    path = tmp_path / name
    image.save(path)
    return path


@pytest.mark.parametrize("mode", ["L", "1", "P", "RGBA", "LA", "CMYK", "I;16", "I", "F", "RGB"])
def test_every_mode_becomes_rgb_in_unit_range(tmp_path, mode):
    base = Image.fromarray(np.linspace(0, 255, 24 * 24).reshape(24, 24).astype(np.uint8)).convert("RGB")
    if mode == "I;16":
        image = Image.fromarray((np.linspace(0, 65535, 24 * 24).reshape(24, 24)).astype(np.uint16))
    elif mode in ("I", "F"):
        image = Image.fromarray(np.linspace(0, 65535, 24 * 24).reshape(24, 24).astype(
            np.int32 if mode == "I" else np.float32))
    else:
        image = base.convert(mode)
    suffix = {"CMYK": ".jpg", "F": ".tiff", "I": ".tiff"}.get(mode, ".png")
    path = _save(tmp_path, f"img{suffix}", image)
    tensor = load_image(path, size=16)
    assert tensor.shape == (3, 16, 16)
    assert tensor.dtype == torch.float32
    assert 0.0 <= tensor.min() and tensor.max() <= 1.0
    if mode not in ("1",):  # a gradient image keeps a real range (16-bit is scaled, not clipped)
        assert tensor.max() - tensor.min() > 0.5


def test_transparent_pixels_become_white(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 255  # red, fully transparent
    tensor = load_image(_save(tmp_path, "t.png", Image.fromarray(rgba, "RGBA")))
    assert torch.allclose(tensor, torch.ones_like(tensor))


def test_bgr_flips_channels(tmp_path):
    image = Image.new("RGB", (8, 8), (255, 0, 0))
    path = _save(tmp_path, "red.png", image)
    rgb = load_image(path)
    bgr = load_image(path, channel_order="bgr")
    assert rgb[0].mean() == 1.0 and rgb[2].mean() == 0.0
    assert bgr[2].mean() == 1.0 and bgr[0].mean() == 0.0
    assert torch.equal(apply_channel_order(bgr, "bgr"), rgb)
    with pytest.raises(ValueError, match="rgb"):
        load_image(path, channel_order="brg")


def test_resize_modes(tmp_path):
    wide = Image.new("RGB", (60, 20), (0, 0, 0))
    wide.paste((255, 255, 255), (0, 0, 10, 20))  # a white band on the far left
    path = _save(tmp_path, "wide.png", wide)
    squashed = load_image(path, 16, "squash")
    cropped = load_image(path, 16, "center_crop")
    assert squashed.shape == cropped.shape == (3, 16, 16)
    assert squashed[:, :, 0].mean() > 0.9  # squash keeps the whole width
    assert cropped[:, :, 0].mean() < 0.1  # a centre crop cuts the band off


def test_corrupt_and_truncated_files_raise_naming_the_file(tmp_path):
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"not an image at all")
    with pytest.raises(CorruptImageError, match="garbage.jpg"):
        load_image(garbage)
    good = _save(tmp_path, "good.jpg", Image.fromarray(
        np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)))
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(CorruptImageError, match="truncated.jpg"):
        load_image(truncated)
