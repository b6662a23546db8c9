"""Stage 8, alone: a small digit far from any other is a speck of the scene, not a digit.

Digits that someone wrote to be read come in company (a number, a row, a page, a grid), or
stand alone as the subject of the picture, large in it. A shape the size of a raindrop, an icon
or a star of the Hubble deep field, far from anything else read as a digit, is neither, however
surely its 28x28 crop reads: the model sees the crop and its nearest surroundings, never the
photo around them. So a digit with no other digit within ``ALONE`` of its own heights that is
smaller than ``LONE_SIZE`` of the image's shorter side is dropped.

Measured over every digit the engine reads in the dev photos, their painted-out copies and four
sets of digit-free photos (README, Figures, fourteenth session): no true digit the dev set reads
stands more than 3.3 of its heights from another, unless it is the only digit of its
photo, and then it is at least 0.11 of the shorter side. Dropping the small lonely ones removes
31 of the 72 false digits on 86 digit-free photographs, 2 of the dev set's 16 and 4 of the 37 on
its painted-out copies, and no digit that was read. Both numbers leave a margin: a sudoku clue
is rarely 6 heights from its nearest other clue, and a digit held up at arm's length to a webcam
is 5-10% of the frame's height.
"""

from __future__ import annotations

import numpy as np

ALONE = 6.0        # no other digit's centre within this many of the digit's heights ...
LONE_SIZE = 0.03   # ... and smaller than this share of the image's shorter side: a speck


def specks(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """Which of ``boxes`` (N, 4: x, y, w, h in image pixels) are small digits alone (a boolean
    mask). A digit's size is the longer side of its box, so a digit on its side counts alike."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not len(boxes) or min(width, height) <= 0:
        return np.zeros(len(boxes), bool)
    size = np.maximum(boxes[:, 2], boxes[:, 3])
    small = size < LONE_SIZE * min(width, height)
    idx = np.flatnonzero(small)
    if len(idx) == 0 or len(boxes) == 1:   # nothing small, or a small digit with no company at all
        return small
    centre = boxes[:, :2] + boxes[:, 2:] / 2.0
    dist = np.linalg.norm(centre[idx, None, :] - centre[None, :, :], axis=2)   # small ones to all
    dist[np.arange(len(idx)), idx] = np.inf
    small[idx] = dist.min(axis=1) >= ALONE * size[idx]
    return small
