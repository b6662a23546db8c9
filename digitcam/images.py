"""Reading image files the way a user expects: right way up, any depth, alpha on white, safe sizes."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from digitcam.errors import DigitcamError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".jpe", ".bmp", ".dib", ".tif", ".tiff", ".webp", ".pbm", ".pgm",
                  ".ppm", ".pxm", ".pnm", ".sr", ".ras", ".jp2", ".exr", ".hdr", ".pic", ".avif", ".gif"}
MAX_PIXELS = 40_000_000        # larger images are decoded at a reduced size
REFUSE_PIXELS = 1 << 30        # OpenCV's own decoding limit
# Only JPEG decodes at a reduced size without holding the full image (libjpeg's DCT scaling).
# Other formats are decoded whole first, which costs 3 bytes a pixel: they are refused above
# this size, so one image never needs more than about 400 MB (two scan workers: 800 MB).
MAX_FULL_DECODE_PIXELS = 130_000_000
MAX_BYTES = 512 * 1024 * 1024

try:  # libjpeg's "Premature end of JPEG file" and friends are reported per file instead
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
except AttributeError:  # pragma: no cover - older OpenCV builds
    pass


class ImageError(DigitcamError):
    """An image that cannot be read; scan reports it in that image's row and goes on."""


def _header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the file header without decoding the pixels, when Pillow can tell."""
    try:
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = None
        with Image.open(path) as im:
            return im.size
    except Exception:  # noqa: BLE001 - Pillow not installed or format unknown to it: decode normally
        return None


def _jpeg_truncated(data: bytes) -> bool:
    """Whether a JPEG's image data stops short. Phones append data after the end-of-image marker
    (Huawei's trailer, motion photos, padding), and EXIF thumbnails hold markers of their own, so
    the marker is looked for after the last start-of-scan, not at the end of the file. Neither
    marker can occur inside entropy-coded data (0xFF is always stuffed there)."""
    sos = data.rfind(b"\xff\xda")
    return sos < 0 or data.find(b"\xff\xd9", sos) < 0


def _has_alpha_png(data: bytes) -> bool:
    return data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 25 and data[25] in (4, 6)


def _reduced_flag(pixels: int) -> tuple[int, int]:
    for factor, flag in ((2, cv2.IMREAD_REDUCED_COLOR_2), (4, cv2.IMREAD_REDUCED_COLOR_4), (8, cv2.IMREAD_REDUCED_COLOR_8)):
        if pixels / (factor * factor) <= MAX_PIXELS:
            return factor, flag
    return 8, cv2.IMREAD_REDUCED_COLOR_8


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Decode an image file to a uint8 BGR (or grayscale) array, EXIF orientation applied.

    16-bit images are scaled to 8 bits, transparent pixels are put on white, and images over
    40 megapixels are decoded at a half, quarter or eighth of their size. Raises
    :class:`ImageError` with a short reason for anything that is not a readable image.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise ImageError("empty file (0 bytes)")
        if size > MAX_BYTES:
            raise ImageError(f"file too large ({size // 2**20} MB)")
        data = path.read_bytes()
    except PermissionError:
        raise ImageError("permission denied") from None
    except IsADirectoryError:
        raise ImageError("is a folder") from None
    except FileNotFoundError:
        raise ImageError("no such file") from None
    except OSError as exc:
        raise ImageError(f"cannot read ({exc.strerror or type(exc).__name__})") from None
    if data[:2] == b"\xff\xd8" and _jpeg_truncated(data):
        raise ImageError("truncated JPEG (the image data ends before its end-of-image marker)")
    dims = _header_size(path)
    buf = np.frombuffer(data, np.uint8)
    factor = 1
    if dims and dims[0] * dims[1] > REFUSE_PIXELS:
        raise ImageError(f"image too large ({dims[0]}x{dims[1]}); downscale it below {REFUSE_PIXELS // 10**6} megapixels")
    if dims and dims[0] * dims[1] > MAX_FULL_DECODE_PIXELS and data[:2] != b"\xff\xd8":
        raise ImageError(f"image too large to decode ({dims[0]}x{dims[1]}, {dims[0] * dims[1] // 10**6} megapixels); "
                         f"digitcam decodes at most {MAX_FULL_DECODE_PIXELS // 10**6} megapixels of formats other than JPEG: "
                         "downscale it or save it as JPEG")
    if dims and dims[0] * dims[1] > MAX_PIXELS:
        factor, flag = _reduced_flag(dims[0] * dims[1])
        image = cv2.imdecode(buf, flag)
        if image is not None and image.shape[0] > dims[1] // factor + 1:  # the codec ignored the reduction
            image = cv2.resize(image, (dims[0] // factor, dims[1] // factor), interpolation=cv2.INTER_AREA)
    elif _has_alpha_png(data):
        image = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
        if image is not None and image.ndim == 3 and image.shape[2] == 4:
            image = _on_white(image)
    else:
        image = cv2.imdecode(buf, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    if image is None or image.size == 0:
        raise ImageError("not an image OpenCV can read (corrupt or unsupported format)")
    return _to_uint8(image)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    image = image.astype(np.float32)
    hi = float(image.max()) if image.size else 1.0
    return np.clip(image * (255.0 / (hi if hi > 1.0 else 1.0)), 0, 255).astype(np.uint8)


def _on_white(bgra: np.ndarray) -> np.ndarray:
    """Composite a BGRA image over white paper (ink drawn on a transparent layer stays visible)."""
    bgra = _to_uint8(bgra)
    alpha = bgra[:, :, 3:4].astype(np.float32) / 255.0
    return (bgra[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES
