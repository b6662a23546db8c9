"""Stage 1, ink: where is the paper (or board), and which pixels are ink on it.

Both polarities are kept, dark ink on light paper and light ink on a dark board, since a frame
may hold both (a sheet held in front of a dark shirt). Everything here works on the whole frame
at once with OpenCV and costs a few milliseconds at 720p.
"""

from __future__ import annotations

import cv2
import numpy as np

DARK, LIGHT = 0, 1  # ink polarity: dark ink on light paper, or light ink on a dark board
MIN_CONTRAST = 14       # grey levels between ink and the page under it (JPEG noise is ~5)
LIGHT_INK_MAX_BG = 120  # light ink needs a background darker than this (board, screen, canvas)
DARK_INK_MIN_BG = 45    # dark ink needs a background lighter than this (paper, even in shadow)


def _strokes(contrast: np.ndarray, min_contrast: int) -> np.ndarray:
    """Where strokes stand out by more than ``min_contrast``, widened by a pixel for their rims."""
    return cv2.dilate((contrast > min_contrast).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0


def backgrounds(gray: np.ndarray, min_contrast: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """The page without its ink, twice: (paper under dark ink, board under light ink).

    The page level is a median over windows a quarter of the frame's short side: robust to
    paper grain, and it follows uneven light and shadows. Where bold strokes fill more than
    half of a window, or near the edge of a page held up in a dark room, the median turns into
    ink; there a closing over a sixth of the frame (which removes dark strokes however bold) is
    higher and wins. The board under light ink is found the same way round with an opening.
    Strokes of the frame's minority polarity are taken out first (on a bright page the dark
    ones before the board's median, on a dark board the light ones before the paper's), or the
    page between bold strokes would look like ink of the other polarity. Both are computed on
    a small copy of the frame, so they are cheap at any resolution.
    """
    h, w = gray.shape
    f = max(1, min(h, w) // 72)
    if f > 1:
        small = cv2.resize(gray, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    else:
        small = cv2.GaussianBlur(gray, (3, 3), 0)
    window = min(max(3, min(small.shape) // 4) | 1, 255)
    median = cv2.medianBlur(small, window)
    bright = float(np.median(small)) >= 100
    # removes strokes up to a sixth of the frame thick
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, min(small.shape) // 6) | 1,) * 2)

    def morph(img: np.ndarray, op: int) -> np.ndarray:
        return cv2.morphologyEx(img, op, kernel, borderType=cv2.BORDER_REPLICATE)

    if bright:
        closed = morph(small, cv2.MORPH_CLOSE)
        ink = _strokes(cv2.subtract(closed, small), min_contrast)
        paper = np.maximum(median, closed)
        board = cv2.medianBlur(np.where(ink, closed, small), window)
    else:
        opened = morph(small, cv2.MORPH_OPEN)
        unlit = np.where(_strokes(cv2.subtract(small, opened), min_contrast), opened, small)
        paper = np.maximum(cv2.medianBlur(unlit, window), morph(unlit, cv2.MORPH_CLOSE))
        board = np.minimum(median, opened)
    out = []
    for bg in (paper, board):
        bg = cv2.blur(bg, (3, 3))
        out.append(cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR) if f > 1 else bg)
    return out[0], out[1]


def binarize(gray: np.ndarray, min_contrast: int = 14,
             bgs: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Ink masks (dark ink, light ink): pixels darker than the paper, or lighter than the board."""
    paper, board = backgrounds(gray, min_contrast) if bgs is None else bgs
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    dark = cv2.threshold(cv2.subtract(paper, smooth), min_contrast, 255, cv2.THRESH_BINARY)[1]
    light = cv2.threshold(cv2.subtract(smooth, board), min_contrast, 255, cv2.THRESH_BINARY)[1]
    return dark, light


RUN_POOL = 8  # long runs are found on the mask pooled 8:1 along the run (8x cheaper, same rules)


def _long_runs(mask: np.ndarray, length: int, bridge: int) -> np.ndarray:
    """Ink of ``mask`` on horizontal runs at least ``length`` long, gaps up to ``bridge`` bridged.

    Measured on the mask max-pooled 8:1 along the rows: a morphological opening as long as a
    third of the frame costs a few milliseconds there instead of tens at full size.
    """
    h, w = mask.shape
    wp = -(-w // RUN_POOL) * RUN_POOL
    padded = mask if wp == w else cv2.copyMakeBorder(mask, 0, 0, 0, wp - w, cv2.BORDER_CONSTANT, value=0)
    pooled = np.ascontiguousarray(cv2.dilate(padded, np.ones((1, RUN_POOL), np.uint8), anchor=(0, 0))[:, ::RUN_POOL])
    rect = cv2.getStructuringElement
    pooled = cv2.morphologyEx(pooled, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (max(2, bridge // RUN_POOL + 1), 1)))
    pooled = cv2.morphologyEx(pooled, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (max(2, length // RUN_POOL), 1)))
    up = cv2.resize(pooled, (wp, h), interpolation=cv2.INTER_NEAREST)
    return cv2.bitwise_and(up[:, :w] if wp != w else up, mask)


def remove_lines(mask: np.ndarray) -> np.ndarray:
    """Remove ruled lines (long, thin, horizontal or vertical) from an ink mask.

    A rule spans a large part of the frame and is only a few pixels thick; a digit's bar, even a
    long one in a close-up, is shorter or thicker. Small gaps (noise, faint print) are bridged
    before measuring length. Strokes that crossed a rule are cut by its removal; a short closing
    across the cut joins them again.
    """
    h, w = mask.shape
    thin = max(4, min(h, w) // 100)
    rect = cv2.getStructuringElement
    # thickness is measured across the run in the whole mask: where a stroke crosses the rule,
    # or along the edge of a thick bar, the ink is thick and stays
    horiz = cv2.subtract(_long_runs(mask, max(w * 2 // 5, 40), 21),
                         cv2.morphologyEx(mask, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, thin + 1))))
    vert = cv2.subtract(cv2.transpose(_long_runs(cv2.transpose(mask), max(h * 2 // 5, 40), 21)),
                        cv2.morphologyEx(mask, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (thin + 1, 1))))
    has_h, has_v = cv2.countNonZero(horiz) > 0, cv2.countNonZero(vert) > 0
    if not has_h and not has_v:
        return mask
    removed = cv2.bitwise_or(horiz, vert)
    out = cv2.subtract(mask, removed)
    closed = out
    if has_h:
        closed = cv2.morphologyEx(closed, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (1, thin + 3)))
    if has_v:
        closed = cv2.morphologyEx(closed, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (thin + 3, 1)))
    # the closing mends only the cuts: elsewhere it would fill the loops of small digits and glue
    # digits of a level row to each other (a page's edge is a long level line too)
    near = cv2.dilate(removed, rect(cv2.MORPH_RECT, (thin + 3, thin + 3)))
    return cv2.bitwise_or(out, cv2.bitwise_and(closed, near))
