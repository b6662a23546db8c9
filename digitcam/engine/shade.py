"""Stage 1b, shade: a shaded page that the paper's level took for ink is measured again.

The paper's level (engine.ink.backgrounds) is a median and a closing over windows a quarter and
a sixth of the frame's shorter side: robust to bold strokes and paper grain, and it follows
light that changes slowly. Where a page held up is shaded (darker at one corner, lit from one
side) in front of a brighter wall or window, the windows along its edge see the wall, the level
there comes out the wall's, and a band of the page is a little darker than that "paper": one
large, faint piece of dark ink, which swallows every digit written on it. Rendered pages held up
in front of a bright wall lost their first row or two this way (720p: recall 0.85).

Such a piece is told by its faintness: real ink is darker than its paper by a quarter or more
(a pencil's grey on white), and so are the dark things behind a page (a leather desk, a shirt);
the shaded band of a page is darker than the misjudged level by a tenth or so. Within it the
paper is measured again, closer: a closing over a small square, which removes strokes up to
that thick and follows the page's shade. A piece that reaches the frame's edge is left alone:
it is the scene behind the page (a bright fabric, faint everywhere, measured closer is nothing
but its own weave, whose pieces crowd out the page's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from digitcam.engine.ink import MIN_CONTRAST

if TYPE_CHECKING:
    from digitcam.engine.components import LabelMap

FAINT_SIDE = 6     # a piece of dark ink at least 1/FAINT_SIDE of the frame's shorter side both ways ...
FAINT = 0.2        # ... darker than the paper's level under it by less than this share of that level
                   # (medians over the piece) ...
CLOSE_PART = 24    # ... is measured again against a closing over 1/CLOSE_PART of the frame's shorter
                   # side (30 px at 720p: strokes up to that thick stay ink)
SAMPLE = 4         # (speed only) the faintness is measured on every SAMPLE-th row and column


def faint(stats: np.ndarray, labels: LabelMap, paper: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Indices into ``stats`` (x, y, w, h, area per piece of dark ink; ``labels``: their label
    map, piece i labelled i + 1) of the pieces that are a shaded page taken for ink: large, faint
    (``strength``: the ink's contrast, ``paper``: the paper's level), inside the frame."""
    h, w = paper.shape
    big = min(h, w) / FAINT_SIDE
    x, y, bw, bh = (stats[:, k] for k in range(4))
    inside = (x > 0) & (y > 0) & (x + bw < w) & (y + bh < h)
    out = []
    for i in np.flatnonzero((bw >= big) & (bh >= big) & inside):
        x0, y0, x1, y1 = int(x[i]), int(y[i]), int(x[i] + bw[i]), int(y[i] + bh[i])
        # medians over every SAMPLE-th row and column: the piece spans a sixth of the frame both
        # ways, so thousands of its pixels remain (a sudoku's grid, read over all of them, cost a
        # millisecond a frame)
        ly, lx = y0 - labels.y, x0 - labels.x     # (a piece lies inside the labels' rect)
        on = labels.labels[ly:ly + bh[i]:SAMPLE, lx:lx + bw[i]:SAMPLE] == i + 1
        ink, level = strength[y0:y1:SAMPLE, x0:x1:SAMPLE][on], paper[y0:y1:SAMPLE, x0:x1:SAMPLE][on]
        if len(ink) and np.median(ink) < FAINT * np.median(level):
            out.append(i)
    return np.array(out, np.int64)


def paper_again(pieces: np.ndarray, stats: np.ndarray, labels: LabelMap, mask: np.ndarray, gray: np.ndarray,
                paper: np.ndarray, strength: np.ndarray,
                min_contrast: int = MIN_CONTRAST) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New ``mask`` (0/255), ``paper`` and ``strength`` (uint8, as ink.contrasts gives them) of the
    uint8 ``gray`` frame, in which the ``pieces`` (see :func:`faint`) are measured again against
    the closer level; every other pixel as it was."""
    h, w = gray.shape
    mask, paper, strength = mask.copy(), paper.copy(), strength.copy()
    k = max(3, min(h, w) // CLOSE_PART) | 1
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    for i in pieces:
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        x0, y0, x1, y1 = max(0, x - k), max(0, y - k), min(w, x + bw + k), min(h, y + bh + k)
        smooth = cv2.GaussianBlur(gray[y0:y1, x0:x1], (3, 3), 0)
        level = cv2.blur(cv2.morphologyEx(smooth, cv2.MORPH_CLOSE, square, borderType=cv2.BORDER_REPLICATE), (3, 3))
        contrast = cv2.subtract(level, smooth)
        on = labels.crop(x0, y0, x1, y1) == i + 1
        mask[y0:y1, x0:x1][on] = cv2.threshold(contrast, min_contrast, 255, cv2.THRESH_BINARY)[1][on]
        paper[y0:y1, x0:x1][on] = level[on]
        strength[y0:y1, x0:x1][on] = contrast[on]
    return mask, paper, strength
