"""Stage 7, words: digits read inside a word of letters are letters.

A handwritten ``o`` is a ``0``, an ``s`` a ``5`` and an ``l`` a ``1`` to any digit classifier,
however sure: the shapes are the same. What tells them apart is the company they keep. A number
is a run of digits; a word is a run of strokes of which most are no digit at all (``t``, ``e``,
``m``, ``y``, ``n``). So the chosen digits and the strokes that no chosen digit explains are
chained along their lines into runs of ink (neighbours on one line, of comparable height, close
together), and where a run holds more unexplained strokes than digits, its digits are taken to
be letters and dropped. A number with a digit the model missed keeps its other digits (one
unexplained stroke among several digits; pieces of one broken digit, together no wider than a
letter, count as one), and a coefficient beside a variable (``5x``) keeps
its digit (one against one).

The numbers here describe handwriting, not any one photo; each was checked over the whole dev
set, per kind of scene, and on digit-free photos (see docs/history.md).
"""

from __future__ import annotations

import numpy as np

from digitcam.engine.candidates import roots
from digitcam.engine.components import Strokes
from digitcam.engine.crops import Batch

LINE_OVERLAP = 0.5   # two pieces share a line when their rows overlap by half the shorter's height
WORD_GAP = 0.6       # ... and the gap between them is under this times the taller one's height
HEIGHT_RATIO = 2.5   # ... and neither is more than this many times taller (a dot or speck is no letter)
MAX_LETTER_ASPECT = 3.0  # wider than this times its height: an arrow, a dash or an underline
MIN_LETTER_ASPECT = 0.25  # narrower: a bar (an l, a missed 1, a long-tailed 7 or 9 the model
                         # calls no digit, the side of a box), no sign of a word. Dev set, whole
                         # and per kind (docs/history.md, eleventh session): 0.2 / 0.22 / 0.24-0.26 / 0.28:
                         # F1 0.935 / 0.937 / 0.939 / 0.936, the whiteboard's words unchanged up to
                         # 0.26 (4.5 false digits a photo) and 6.5 from 0.28 on
MAX_OVERLAP = 0.3    # side by side: neighbours share at most this much of the narrower's width
                     # (a box drawn around a digit encloses it; letters of a word stand in a row)
MIN_LETTERS = 2      # one stroke beside a digit is a variable (5x) or a digit missed, not a word
LETTER_SHARE = 1.0   # a run is a word when its letters number at least this times its digits
LETTER_WIDTH = 0.6   # a letter is at least this times the height of the run's digits wide (an x-height
                     # letter is half a digit's height and as wide): pieces narrower together are one.
                     # Rendered held-up pages, 16 each (digits dropped as letters): plain 0 / ruled 3 /
                     # squared 10 -> 0 / 0 / 3; at 0.5, 0 / 0 / 6. Dev set and digit-free sets the same


def _links(boxes: np.ndarray) -> np.ndarray:
    """Which pairs of boxes (x, y, w, h) are neighbours in one run of ink along a line."""
    b = boxes.astype(np.float64)
    x0, y0, w, h = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    x1, y1 = x0 + w, y0 + h
    oy = np.minimum(y1[:, None], y1[None]) - np.maximum(y0[:, None], y0[None])
    gx = np.maximum(x0[:, None], x0[None]) - np.minimum(x1[:, None], x1[None])
    hi, lo = np.maximum(h[:, None], h[None]), np.minimum(h[:, None], h[None])
    narrow = np.minimum(w[:, None], w[None])
    link = ((oy >= LINE_OVERLAP * lo) & (gx <= WORD_GAP * hi) & (gx >= -MAX_OVERLAP * narrow)
            & (hi <= HEIGHT_RATIO * lo))
    np.fill_diagonal(link, False)
    return link


def _letters(boxes: np.ndarray, height: float) -> int:
    """How many letters the unexplained strokes ``boxes`` (x, y, w, h) of a run can be: one a
    stroke, but no more than the width of line they cover (overlaps once) holds letters
    LETTER_WIDTH times the run's digit ``height`` wide. A digit the model missed that a grid line
    or a faint pen broke into three pieces is one letter, not three that outvote its number."""
    if len(boxes) == 0:
        return 0
    order = np.argsort(boxes[:, 0])
    x0, x1 = boxes[order, 0], boxes[order, 0] + boxes[order, 2]
    covered, start, end = 0.0, x0[0], x1[0]
    for a, b in zip(x0[1:], x1[1:]):
        if a > end:
            covered += end - start
            start, end = a, b
        else:
            end = max(end, b)
    covered += end - start
    return min(len(boxes), max(1, int(round(covered / (LETTER_WIDTH * height)))))


def drop_letters(batch: Batch, chosen: list[int], strokes: tuple[Strokes, Strokes]) -> list[int]:
    """``chosen`` without the digits that sit in runs of ink made mostly of non-digits."""
    if not chosen:
        return chosen
    keep = np.ones(len(chosen), bool)
    for s in strokes:
        mine = [k for k, i in enumerate(chosen) if batch.hyps[i].polarity == s.polarity]
        if not mine or len(s) == 0:
            continue
        explained = np.isin(s.ids, np.concatenate([batch.hyps[chosen[k]].members for k in mine]))
        st = s.stats[~explained]
        st = st[(st[:, 2] <= MAX_LETTER_ASPECT * st[:, 3]) & (st[:, 2] >= MIN_LETTER_ASPECT * st[:, 3])]
        if len(st) == 0:
            continue
        digit_boxes = np.array([batch.hyps[chosen[k]].box for k in mine], np.float64)
        boxes = np.concatenate([digit_boxes, st[:, :4].astype(np.float64)])
        run = roots(len(boxes), np.argwhere(np.triu(_links(boxes))))
        is_digit = np.arange(len(boxes)) < len(mine)
        heights = boxes[:, 3]
        for r in np.unique(run[:len(mine)]):
            in_run = run == r
            letters = _letters(boxes[in_run & ~is_digit], float(np.median(heights[in_run & is_digit])))
            if letters >= max(MIN_LETTERS, LETTER_SHARE * np.count_nonzero(in_run & is_digit)):
                for k in np.flatnonzero(in_run[:len(mine)]):
                    keep[mine[k]] = False
    return [i for i, k in zip(chosen, keep) if k]
