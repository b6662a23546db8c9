"""Stage 9, marks: what a hand adds around and between digits is not a digit.

Two marks read as digits however surely their crops read, and the page's geometry tells them:

* a **loop drawn around a number** (a circled answer) is a perfect ``0``: but a digit never
  holds other digits inside it, so a digit whose box encloses another digit's is a loop;
* a **comma** between the digits of a number (``1,000``; ``3,14``) is a perfect ``1``: but it
  is a fraction of the digits' height and hangs from their baseline, where no digit of the
  number sits. A narrow digit under MARK_HEIGHT of the height of the digit beside it, whose top
  is in that digit's lower half and whose foot is below its baseline, is a comma.
"""

from __future__ import annotations

import numpy as np

INSIDE = 0.9        # a box holds another when this share of the other's area lies inside it ...
INNER = 0.25        # ... and the other is at least this share of its height (a digit; a speck in a 0's
                    # loop read as a 1 is smaller, and leaves the 0 be)
MARK_HEIGHT = 0.5   # a comma is under this share of its neighbour's height (a quarter to a third; but
                    # a hand's digits may differ as much, so it takes the shape and place below too)
MARK_GAP = 1.0      # ... no further from it than this many of the neighbour's heights ...
COMMA_WIDTH = 0.75  # ... and narrower than this share of its own height (a small round 0 beside a tall 6 or
                    # a long-tailed 4 is as small, written in a hand whose 0s are like o's: dev photos)


def _inside(boxes: np.ndarray) -> np.ndarray:
    """(N, N): whether box j lies (INSIDE of its area) within box i, for i != j, and is at least
    INNER of its height."""
    x0, y0 = boxes[:, 0], boxes[:, 1]
    x1, y1 = x0 + boxes[:, 2], y0 + boxes[:, 3]
    ix = np.clip(np.minimum(x1[:, None], x1[None]) - np.maximum(x0[:, None], x0[None]), 0, None)
    iy = np.clip(np.minimum(y1[:, None], y1[None]) - np.maximum(y0[:, None], y0[None]), 0, None)
    area = np.maximum(boxes[:, 2] * boxes[:, 3], 1e-9)
    out = (ix * iy >= INSIDE * area[None]) & (boxes[:, 3][None] >= INNER * boxes[:, 3][:, None])
    np.fill_diagonal(out, False)
    return out


def loops(boxes: np.ndarray) -> np.ndarray:
    """Which of the digit ``boxes`` (N, 4: x, y, w, h) enclose another digit's box (bool, N)."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if len(boxes) < 2:
        return np.zeros(len(boxes), bool)
    return _inside(boxes).any(axis=1)


def commas(boxes: np.ndarray) -> np.ndarray:
    """Which of the digit ``boxes`` (N, 4) are commas beside a digit (bool, N): under MARK_HEIGHT
    of its height and narrower than COMMA_WIDTH of their own, within MARK_GAP of its heights
    across, their top in its lower half and their foot below its baseline."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if len(boxes) < 2:
        return np.zeros(len(boxes), bool)
    x0, y0, w, h = boxes.T
    gap = np.maximum(x0[:, None], x0[None]) - np.minimum((x0 + w)[:, None], (x0 + w)[None])   # (mark, digit)
    small = (h[:, None] < MARK_HEIGHT * h[None]) & (w < COMMA_WIDTH * h)[:, None]
    near = gap <= MARK_GAP * h[None]
    base = y0 + h                                                                              # baselines
    low = (y0[:, None] > y0[None] + h[None] / 2) & (y0[:, None] < base[None]) & (base[:, None] > base[None])
    out = small & near & low
    np.fill_diagonal(out, False)
    return out.any(axis=1)


def marks(boxes: np.ndarray) -> np.ndarray:
    """Which of the digit ``boxes`` are marks, loops or commas (bool, N)."""
    return loops(boxes) | commas(boxes)


__all__ = ["MARK_HEIGHT", "commas", "loops", "marks"]
