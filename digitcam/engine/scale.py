"""Stage 0, scale: the working resolution, picked from what is in the image.

A fixed downscale turns the 25 px digits of a 12-megapixel phone photo into specks, and a fixed
full resolution makes a close-up of one digit slow. So the first look is at a size where large
and medium digits are comfortably readable (``base_side``); when the digits read there are
small (their median height under ``SMALL_DIGIT`` working pixels), the image is read again at the
scale that brings them to ``TARGET_DIGIT`` pixels: at most full resolution times ``MAX_UPSCALE``
and at most ``MAX_PIXELS`` working pixels. A frame needs the second look only when its digits are
small, so a webcam frame with readable digits costs one pass.
"""

from __future__ import annotations

import cv2
import numpy as np

SMALL_DIGIT = 22      # working pixels: below this median height, look again closer
TARGET_DIGIT = 36     # ... so that the median digit is this tall
MAX_UPSCALE = 2.0     # never enlarge a frame more than this (a 10 px digit becomes 20 px)
MAX_PIXELS = 16e6     # the second look's working image stays under this many pixels


def resized(image: np.ndarray, factor: float) -> np.ndarray:
    """``image`` made ``factor`` times its size (1.0: itself): area-averaged down, bilinear up.
    The engine's looks read at their scale this way; ``eval --resize`` makes another camera's
    photo with it."""
    if factor == 1.0:
        return image
    h, w = image.shape[:2]
    size = (max(1, int(round(w * factor))), max(1, int(round(h * factor))))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)


def first_scale(shape: tuple[int, int], base_side: int) -> float:
    """Scale of the first look: the frame's longer side brought down to ``base_side``."""
    return min(1.0, base_side / float(max(shape)))


def second_scale(shape: tuple[int, int], scale: float, heights: np.ndarray) -> float | None:
    """Scale of a second, closer look, or None when the digits read (or, when none was read,
    the regions proposed) were tall enough."""
    if len(heights) < 1:
        return None
    median = float(np.median(heights))
    if median >= SMALL_DIGIT:
        return None
    want = scale * TARGET_DIGIT / max(median, 1.0)
    budget = np.sqrt(MAX_PIXELS / float(shape[0] * shape[1]))
    new = min(want, MAX_UPSCALE, budget)
    return new if new > scale * 1.25 else None


def next_scale(shape: tuple[int, int], base_side: int, heights: np.ndarray) -> float:
    """The scale the next frame of a video should be read at, from the heights (frame pixels) of
    the digits read in this one: live reads each frame in one look at the scale its predecessor
    called for, instead of a first look and a closer one."""
    base = first_scale(shape, base_side)
    if len(heights) < 1:
        return base
    median = float(np.median(heights))
    if median * base >= SMALL_DIGIT:
        return base
    budget = np.sqrt(MAX_PIXELS / float(shape[0] * shape[1]))
    return max(base, min(TARGET_DIGIT / max(median, 1.0), MAX_UPSCALE, budget))
