"""MNIST-style normalisation: any grayscale region -> a 28x28 white-on-black digit.

MNIST digits were made by fitting the ink's bounding box into 20x20 pixels (aspect ratio kept,
anti-aliased) and placing that in a 28x28 field so that the centre of mass sits at the centre.
Every crop digitcam classifies, from the camera, a photo, the drawing canvas or the training
augmentation, goes through :func:`normalise`, so the model always sees the same kind of image.
"""

from __future__ import annotations

import cv2
import numpy as np

SIZE = 28
BOX = 20
# MNIST strokes are about 2.5 px wide at 28x28. A thin pen line on a large digit would shrink to
# a faint hairline, so strokes thinner than this (after scaling) are thickened first.
MIN_STROKE = 1.6
TARGET_STROKE = 2.4

_RAMP = np.arange(64, dtype=np.float64)  # pixel indices, for centres of mass (a box side is at most BOX)
_LEVELS = np.arange(256, dtype=np.float32)  # the grey levels, for per-level lookups
_KERNELS = {k: cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)) for k in range(2, 40)}


def _to_uint8(image: np.ndarray) -> np.ndarray:
    """Any numeric array as uint8, scaled by its type's range or, where that would misread it,
    by its content: 16-bit holding 8-bit values stays as is, floats in [0, 1] are scaled up,
    signed types are shifted by their minimum, NaN and infinities are clamped."""
    if image.dtype == np.uint8:
        return image
    if image.dtype == bool:
        return image.view(np.uint8) * np.uint8(255)
    if np.issubdtype(image.dtype, np.floating):
        finite = np.nan_to_num(image.astype(np.float32), nan=0.0, posinf=255.0, neginf=0.0)
        scale = 255.0 if finite.size and finite.max() <= 1.0 and finite.min() >= 0.0 else 1.0
        return np.clip(finite * scale, 0, 255).astype(np.uint8)
    if not np.issubdtype(image.dtype, np.integer):
        raise ValueError(f"cannot read a frame of type {image.dtype}")
    lo, hi = (int(image.min()), int(image.max())) if image.size else (0, 0)
    if lo >= 0 and hi <= 255:
        return image.astype(np.uint8)
    info = np.iinfo(image.dtype)
    if lo < 0 and info.min < 0 and lo >= -128 and hi <= 127:  # int8 data: shift its range
        return (image.astype(np.int16) + 128).astype(np.uint8)
    if image.dtype == np.uint16:
        return (image >> 8).astype(np.uint8)
    span = max(hi - lo, 1)
    return ((image.astype(np.float64) - lo) * (255.0 / span)).astype(np.uint8)


def to_gray(image: np.ndarray) -> np.ndarray:
    """Any image (gray, gray + alpha, BGR, BGRA, more channels; any integer, float or bool type)
    as a uint8 grayscale array. Alpha is dropped; channels past the fourth are ignored."""
    image = _to_uint8(np.asarray(image))
    if image.ndim == 3:
        c = image.shape[2]
        if c == 0:
            return np.zeros(image.shape[:2], np.uint8)
        if c <= 2:
            return np.ascontiguousarray(image[:, :, 0])
        return cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_BGR2GRAY)
    if image.ndim > 3:
        return to_gray(image.reshape(*image.shape[:2], -1))
    return image


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Binary mask (255 = ink) of a single-digit region of either polarity.

    Otsu's threshold splits the region in two; the ink is the smaller part (a digit covers less
    of its box than the paper does), which holds for a tight box too, where the border is
    mostly ink and the border's colour would mislead.
    """
    if int(gray.max()) - int(gray.min()) < 16:
        return np.zeros_like(gray)
    t, bright = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if np.count_nonzero(bright) * 2 > bright.size:
        return cv2.threshold(gray, t, 255, cv2.THRESH_BINARY_INV)[1]
    return bright


def levels(gray: np.ndarray, mask: np.ndarray, count: int | None = None) -> tuple[float, float] | None:
    """Mean grey level of the ink (``mask``) and of the paper (the rest), or None where either is
    empty; ``count``: the mask's ink pixels, when the caller has counted them. The paper's level
    comes from the total: one pass fewer than a second masked mean."""
    count = cv2.countNonZero(mask) if count is None else count
    if count == 0 or count == mask.size:
        return None
    ink_level = cv2.mean(gray, mask)[0]
    return ink_level, (cv2.sumElems(gray)[0] - ink_level * count) / (mask.size - count)


def _soft_ink(gray: np.ndarray, mask: np.ndarray, count: int | None = None,
              ink_paper: tuple[float, float] | None = None) -> np.ndarray:
    """Ink intensity in [0, 1]: stretched between paper and ink levels, zero away from the ink.
    ``count``: the mask's ink pixels, and ``ink_paper``: its :func:`levels`, when the caller has
    them."""
    ink_paper = levels(gray, mask, count) if ink_paper is None else ink_paper
    if ink_paper is None:
        return (mask > 0).astype(np.float32)
    ink_level, paper_level = ink_paper
    span = ink_level - paper_level
    if abs(span) < 1.0:
        return (mask > 0).astype(np.float32)
    # every grey level's ink intensity, then one lookup: the same float32 arithmetic as on the
    # region itself, done on 256 values instead of every pixel
    lut = _LEVELS - np.float32(paper_level)
    lut *= np.float32(1.0 / span)
    np.maximum(lut, 0.0, out=lut)
    np.minimum(lut, 1.0, out=lut)
    soft = lut[gray]
    soft = cv2.bitwise_and(soft, soft, mask=cv2.dilate(mask, _KERNELS[3]))  # zero away from the ink
    return np.maximum(soft, mask.astype(np.float32) * np.float32(0.5 / 255.0), out=soft)  # ink >= 0.5


def stroke_width(mask: np.ndarray, area: int | None = None) -> float:
    """Mean stroke width of a binary mask in pixels, from area and boundary length (``area``:
    its ink pixels, when the caller has counted them)."""
    area = cv2.countNonZero(mask) if area is None else area
    if area == 0:
        return 0.0
    boundary = area - cv2.countNonZero(cv2.erode(mask, _KERNELS[3]))
    return 2.0 * area / max(boundary, 1)


def normalise(region: np.ndarray, mask: np.ndarray | None = None,
              ink_paper: tuple[float, float] | None = None) -> np.ndarray:
    """Turn a region of any size and polarity into a 28x28 float32 MNIST-like digit in [0, 1].

    ``region`` is grayscale or colour; ``mask`` (255 = ink), when the caller already thresholded
    the region, says where the ink is; otherwise it is found with Otsu's threshold after deciding
    the polarity from the region's border. ``ink_paper``: ``levels(region, mask)``, when the
    caller has measured them (the engine does, for the context). An empty or blank region gives
    an all-zero image.
    """
    out = np.zeros((SIZE, SIZE), np.float32)
    region = np.asarray(region)
    if region.size == 0:   # a box of no width or height (a manifest may hold one)
        return out
    gray = to_gray(region)
    if mask is None:
        mask = ink_mask(gray)
    elif mask.dtype != np.uint8:
        mask = (mask > 0).astype(np.uint8) * 255
    count = cv2.countNonZero(mask)
    if count == 0:
        return out
    ink = _soft_ink(gray, mask, count, ink_paper)
    # The box includes the anti-aliased rim, as MNIST's 20x20 box did.
    x0, y0, w, h = cv2.boundingRect((ink > 0.1).view(np.uint8))
    ink, mask = ink[y0:y0 + h, x0:x0 + w], mask[y0:y0 + h, x0:x0 + w]

    scale = BOX / max(h, w)
    width_after = stroke_width(mask, count) * scale
    if width_after < MIN_STROKE and scale < 1.0:
        grow = int(round((TARGET_STROKE - width_after) / scale))
        if grow >= 2:
            k = _KERNELS[min(grow, 39)]
            pad = grow
            ink = cv2.dilate(cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT), k)
            h, w = ink.shape
            scale = BOX / max(h, w)
    nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
    small = cv2.resize(ink, (nw, nh), interpolation=interp)
    peak = cv2.minMaxLoc(small)[1]
    if peak <= 0:
        return out
    small *= 1.0 / peak
    total = float(small.sum())  # (cv2.moments would take a 2-pixel-wide digit for a list of points)
    cy = float((small.sum(axis=1) * _RAMP[:nh]).sum()) / total
    cx = float((small.sum(axis=0) * _RAMP[:nw]).sum()) / total
    # Whole-pixel shift, as MNIST did: a sub-pixel one would blur the digit.
    dx, dy = round((SIZE - 1) / 2.0 - cx), round((SIZE - 1) / 2.0 - cy)
    # paste the part of the digit that lands inside the 28x28 field
    sx0, sy0 = max(0, -dx), max(0, -dy)
    sx1, sy1 = min(nw, SIZE - dx), min(nh, SIZE - dy)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 + dy:sy1 + dy, sx0 + dx:sx1 + dx] = small[sy0:sy1, sx0:sx1]
    return np.minimum(out, 1.0, out=out)
