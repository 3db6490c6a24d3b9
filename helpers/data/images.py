"""Read any image file as an RGB float tensor in [0, 1], whatever its mode.

Food photos arrive as JPEG, PNG, grayscale, palette, CMYK, RGBA or 16-bit files; a classifier
wants 3 channels in [0, 1] at a fixed size, in the channel order it was trained with (many HW3
models were trained on OpenCV's BGR).
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torchvision.transforms import v2 as T
from torchvision.transforms.functional import InterpolationMode

ChannelOrder = Literal["rgb", "bgr"]
ResizeMode = Literal["squash", "center_crop"]
CHANNEL_ORDERS = ("rgb", "bgr")
RESIZE_MODES = ("squash", "center_crop")


class CorruptImageError(ValueError):
    """An image file that cannot be decoded (corrupt, truncated or not an image)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"Cannot read image {path}: {reason}")
        self.path = Path(path)
        self.reason = reason


def _high_bit_depth_to_8bit(image: Image.Image) -> Image.Image:
    # PIL's convert("L") clips 16-bit and float images instead of scaling them.
    array = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        low, high = float(np.nanmin(array)), float(np.nanmax(array))
        array = (array - low) / (high - low) if high > low else np.zeros_like(array)
    else:
        array = array / (65535.0 if array.max() > 255 else 255.0)
    return Image.fromarray(np.clip(np.round(array * 255), 0, 255).astype(np.uint8), mode="L")


def _on_white(image: Image.Image) -> Image.Image:
    # Transparent areas become white (a plate) rather than the black that dropping alpha gives.
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert a PIL image of any mode to 8-bit RGB, honouring EXIF rotation and transparency."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = _high_bit_depth_to_8bit(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        return _on_white(image)
    return image.convert("RGB")


def read_rgb(path: str | Path) -> Image.Image:
    """Open and fully decode an image file as RGB; raise CorruptImageError if it cannot be read."""
    path = Path(path)
    try:
        with Image.open(path) as image:
            image.load()  # decode now, so a truncated file fails here and not later
            return to_rgb(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise CorruptImageError(path, str(error) or type(error).__name__) from error


def resize_transform(size: int, mode: ResizeMode = "squash") -> T.Transform:
    """The resize a model was trained with: "squash" (cv2.resize to size x size, as in HW3) or
    "center_crop" (shorter side to size * 8/7, then a centre crop, as for ImageNet models)."""
    if mode not in RESIZE_MODES:
        raise ValueError(f"resize mode must be one of {RESIZE_MODES}, got {mode!r}")
    if mode == "squash":
        return T.Resize((size, size), interpolation=InterpolationMode.BILINEAR, antialias=True)
    return T.Compose([
        T.Resize(round(size * 8 / 7), interpolation=InterpolationMode.BILINEAR, antialias=True),
        T.CenterCrop(size),
    ])


def pil_to_tensor(image: Image.Image) -> torch.Tensor:
    """An RGB PIL image as a float tensor (3, H, W) in [0, 1]."""
    return T.functional.to_dtype(T.functional.pil_to_tensor(image), torch.float32, scale=True)


def apply_channel_order(images: torch.Tensor, channel_order: ChannelOrder) -> torch.Tensor:
    """Reorder the channel axis (-3) from RGB to the given order ("bgr" flips it)."""
    if channel_order not in CHANNEL_ORDERS:
        raise ValueError(f"channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
    return images.flip(-3) if channel_order == "bgr" else images


def load_image(path: str | Path, size: int | None = None, resize_mode: ResizeMode = "squash",
               channel_order: ChannelOrder = "rgb") -> torch.Tensor:
    """Load an image file as a float tensor (3, size, size) in [0, 1] in the given channel order."""
    tensor = pil_to_tensor(read_rgb(path))
    if size is not None:
        tensor = resize_transform(size, resize_mode)(tensor).clamp_(0.0, 1.0)
    return apply_channel_order(tensor, channel_order)
