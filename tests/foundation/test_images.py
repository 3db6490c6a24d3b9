"""Images of every mode load as RGB in [0, 1], compared by value with their source; EXIF rotation
is applied; corrupt files raise a clear error."""
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


def _as_hwc(tensor: torch.Tensor) -> np.ndarray:
    return tensor.permute(1, 2, 0).numpy().astype(np.float64)


def _colourful(size: int = 32) -> np.ndarray:
    """An RGB test picture: three different ramps and a saturated red square."""
    yy, xx = np.mgrid[:size, :size]
    image = np.stack([xx * 255 // (size - 1), yy * 255 // (size - 1), 255 - xx * 127 // (size - 1)], -1)
    image[size // 4: size // 2, size // 4: size // 2] = (200, 30, 40)
    return image.astype(np.uint8)


@pytest.mark.parametrize("mode,suffix", [("I;16", ".png"), ("I", ".tiff")])
@pytest.mark.parametrize("brightest", [65535, 16383])  # full range; a dark photo (not stretched)
def test_16_bit_images_are_scaled_not_clipped(tmp_path, mode, suffix, brightest):
    ramp = np.linspace(0, brightest, 32 * 32).reshape(32, 32).astype(np.uint16 if mode == "I;16" else np.int32)
    source = Image.fromarray(ramp)
    tensor = load_image(_save(tmp_path, f"deep{suffix}", source))
    expected = ramp / 65535
    for channel in tensor:  # grey: every channel is the scaled source
        assert abs(float(channel.mean()) - expected.mean()) < 1 / 255
        assert np.abs(channel.numpy() - expected).max() <= 0.5 / 255 + 1e-6  # rounding to 8 bits only


@pytest.mark.parametrize("suffix,tolerance", [(".tiff", 1e-6), (".jpg", 0.03)])
def test_cmyk_matches_its_rgb_source(tmp_path, suffix, tolerance):
    source = _colourful()
    path = tmp_path / f"cmyk{suffix}"
    Image.fromarray(source).convert("CMYK").save(path, **({"quality": 95} if suffix == ".jpg" else {}))
    assert Image.open(path).mode == "CMYK"
    difference = np.abs(_as_hwc(load_image(path)) - source / 255)
    assert difference.mean() <= tolerance and difference.max() <= max(4 * tolerance, 1e-6)


def test_palette_image_matches_its_colours(tmp_path):
    rng = np.random.default_rng(0)
    colours = rng.integers(0, 256, (16, 3), dtype=np.uint8)
    indices = rng.integers(0, 16, (24, 24), dtype=np.uint8)
    image = Image.fromarray(indices, "P")
    image.putpalette(colours.ravel().tolist())
    tensor = load_image(_save(tmp_path, "palette.png", image))
    np.testing.assert_allclose(_as_hwc(tensor), colours[indices] / 255, atol=1e-6)


def test_transparent_palette_pixels_become_white(tmp_path):
    colours = np.array([[200, 30, 40], [20, 120, 60], [0, 0, 0]], dtype=np.uint8)
    indices = np.zeros((12, 12), np.uint8)
    indices[:, 6:] = 1
    indices[3:9, 3:9] = 2  # index 2 (black in the palette) is the transparent one
    image = Image.fromarray(indices, "P")
    image.putpalette(colours.ravel().tolist())
    path = tmp_path / "palette_alpha.png"
    image.save(path, transparency=2)
    expected = colours[indices] / 255
    expected[indices == 2] = 1.0
    np.testing.assert_allclose(_as_hwc(load_image(path)), expected, atol=1e-6)


@pytest.mark.parametrize("orientation,white_half", [(6, "top"), (8, "bottom")])
def test_exif_rotated_photo_comes_out_the_right_way_up(tmp_path, orientation, white_half):
    # Stored 40 wide x 20 tall with the left half white, as a camera held sideways writes it;
    # orientation 6 says "turn 90 degrees clockwise to view" (left -> top), 8 counter-clockwise.
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = 255
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"rotated{orientation}.jpg"
    Image.fromarray(stored).save(path, exif=exif, quality=95)
    tensor = load_image(path)
    assert tensor.shape == (3, 40, 20)  # upright: taller than wide
    top, bottom = float(tensor[:, :20].mean()), float(tensor[:, 20:].mean())
    white, black = (top, bottom) if white_half == "top" else (bottom, top)
    assert white > 0.95 and black < 0.05


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
