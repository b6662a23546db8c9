"""Stage 8, alone: a small digit far from any other is a speck of the scene, not a digit.

Digits that someone wrote to be read come in company (a number, a row, a page, a grid), or
stand alone as the subject of the picture, large in it. A shape the size of a raindrop, an icon
or a star of the Hubble deep field, far from anything else read as a digit, is neither, however
surely its 28x28 crop reads: the model sees the crop and its nearest surroundings, never the
photo around them. So a digit with no other digit within ``ALONE`` of its own heights that is
smaller than ``LONE_SIZE`` of the image's shorter side is dropped.

Measured over every digit the engine reads in the dev photos, their painted-out copies and four
sets of digit-free photos (docs/history.md, fourteenth session): no true digit the dev set reads
stands more than 3.3 of its heights from another, unless it is the only digit of its
photo, and then it is at least 0.11 of the shorter side. Dropping the small lonely ones removes
31 of the 72 false digits on 86 digit-free photographs, 2 of the dev set's 16 and 4 of the 37 on
its painted-out copies, and no digit that was read. Both numbers leave a margin: a sudoku clue
is rarely 6 heights from its nearest other clue, and a digit held up at arm's length to a webcam
is 5-10% of the frame's height.

A digit alone needs more evidence than one in company: nothing around it says that someone wrote
digits there. One under a tenth of the shorter side read less surely than ``LONE_CONFIDENCE`` is
dropped too (a ripple, a raindrop, a swirl of a painting read at 0.7-0.8); a digit that is the
subject of the picture, larger, stands however unsurely it reads.
"""

from __future__ import annotations

import numpy as np

ALONE = 6.0        # no other digit's centre within this many of the digit's heights ...
LONE_SIZE = 0.03   # ... and smaller than this share of the image's shorter side: a speck
LONE_CONFIDENCE = 0.8  # ... or smaller than LONE_UNSURE_SIZE and read less surely than this
LONE_UNSURE_SIZE = 0.1  # (seventeenth session: the dev set's 22 digits alone are 0.11-1.5 of the
                        # shorter side and read at 0.875 and surer; of 20 false digits alone on the
                        # dev, painted-out and 156 digit-free photos, 5 read under 0.8, four of them
                        # 2-5% of the shorter side. A thick 3 filling a canvas reads at 0.72)


def specks(boxes: np.ndarray, width: int, height: int, confidence: np.ndarray | None = None) -> np.ndarray:
    """Which of ``boxes`` (N, 4: x, y, w, h in image pixels) are small digits alone, or (given
    their ``confidence``) digits alone under LONE_UNSURE_SIZE read less surely than
    LONE_CONFIDENCE (a boolean mask).
    A digit's size is the longer side of its box, so a digit on its side counts alike."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not len(boxes) or min(width, height) <= 0:
        return np.zeros(len(boxes), bool)
    size = np.maximum(boxes[:, 2], boxes[:, 3])
    centre = boxes[:, :2] + boxes[:, 2:] / 2.0
    dist = np.linalg.norm(centre[:, None, :] - centre[None, :, :], axis=2)
    np.fill_diagonal(dist, np.inf)
    lone = dist.min(axis=1) >= ALONE * size
    small = size < LONE_SIZE * min(width, height)
    out = lone & small
    if confidence is not None:
        rest = np.flatnonzero(~out)     # alone among the digits that stay (specks keep no company)
        near = dist[np.ix_(rest, rest)].min(axis=1, initial=np.inf)
        unsure = np.asarray(confidence, np.float64)[rest] < LONE_CONFIDENCE
        modest = size[rest] < LONE_UNSURE_SIZE * min(width, height)
        out[rest] |= (near >= ALONE * size[rest]) & unsure & modest
    return out
