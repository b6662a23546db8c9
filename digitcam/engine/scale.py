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
MARGIN = 3.0          # the closer look reads the box of the digits read so far, this many of their
                      # (median) heights wider on every side. True digits outside that box, of the
                      # frames that take a second look (rendered held-up 640x480 pages: 26 frames of
                      # seed 11, 57 of seed 31, 27 before a wall), at 2 / 3 / 4 / 5 / 6 heights: 24 /
                      # 11 / 5 / 3 / 0 of 2,640, the box 0.26 / 0.33 / 0.40 / 0.47 / 0.54 of the
                      # frame. Read (F1; seed 31 / wall seeds 37, 41 / 720p wall): the whole frame
                      # 0.970 / 0.918, 0.936 / 0.905; 3: 0.969 / 0.962, 0.967 / 0.917; 4: 0.970 /
                      # 0.960, 0.971 / 0.919; 6: 0.972 / 0.962, 0.971 / 0.916. Dev F1 and false digits
                      # on 22 / 32 held-out digit-free images: 3: 0.957, 0 / 5; 4: 0.952, 0 / 7; 6:
                      # 0.954, 3 / 7 (the whole frame: 0.956, 0 / 5). A page before a wall gains most,
                      # as the part's own sizes rule its stages (the paper's window, the rules' least
                      # length): given the frame's instead, the wall's seed 37 read 0.921 (26th session)
WHOLE = 0.8           # ... and the whole frame where that box would cover this share of it anyway


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


def closer_box(boxes: np.ndarray, shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The part (x, y, w, h) of a frame of ``shape`` that a closer look reads: around the digits
    read so far (``boxes``, x y w h in frame pixels), MARGIN of their heights wider, or None
    for the whole frame (no digits read, or the part would cover WHOLE of it).

    A closer look reads the frame up to twice enlarged: four times the pixels, where the small
    digits of a page held up are a third of a 640x480 frame. The digits the first look missed
    stand beside the ones it read (same page, same size)."""
    if len(boxes) == 0:
        return None
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    pad = MARGIN * float(np.median(b[:, 3]))
    x0, y0 = int(np.floor(b[:, 0].min() - pad)), int(np.floor(b[:, 1].min() - pad))
    x1, y1 = int(np.ceil((b[:, 0] + b[:, 2]).max() + pad)), int(np.ceil((b[:, 1] + b[:, 3]).max() + pad))
    return part_or_whole((x0, y0, x1 - x0, y1 - y0), shape)   # (clipped to the frame there)


def part_or_whole(box: tuple[int, int, int, int], shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """``box`` clipped to a frame of ``shape``, or None (all of the frame) where it would cover
    WHOLE of it anyway."""
    h, w = shape[:2]
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(w, int(box[0] + box[2])), min(h, int(box[1] + box[3]))
    if x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) >= WHOLE * w * h:
        return None
    return x0, y0, x1 - x0, y1 - y0


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
