"""Stage 7b, line pieces: a straight stroke whose line runs on past both its ends is no 1.

A wire-frame, a fence or a lattice of thin lines crossed by other lines falls apart, in the ink
mask, into short straight pieces between the crossings; each piece's crop is a perfect ``1``,
and its context shows only more of the same line. A written ``1`` ends where the pen lifted:
beyond its ends lies paper, or, after a gap, the next line of writing. So for each straight
digit chosen (its ink spread ``STRAIGHT`` times further along its axis than across it) the frame is sampled
along its axis past each end, over a stretch as long as the stroke itself, and where a ridge of
the stroke's own polarity (darker or lighter than the paper beside it by ``RIDGE`` of the
stroke's contrast) runs through ``RUN_ON`` of the stretch at both ends, unbroken by paper
(``BREAK``), the stroke is a piece of a line and is dropped. Another 1 written under it, after a
gap, does not count: only the ridge before the first stretch of paper does.

Measured on every digit the engine reads in the dev set and on 115 digit-free photographs
(docs/history.md, eighteenth session): of the dev set's read digits, no true 1 scores over 0.27
at its lesser end (no true digit over 0.4); six false 1s on a wire-frame wallpaper score 0.86-0.95.
"""

from __future__ import annotations

import numpy as np

from digitcam.engine.candidates import Hypothesis
from digitcam.engine.components import Strokes
from digitcam.engine.crops import Batch
from digitcam.engine.ink import DARK

STRAIGHT = 3.0   # the ink spreads this many times further along its axis than across it: a bar
RIDGE = 0.35     # a ridge past the end: the line's centre differs from beside it by this share
                 # of the stroke's own contrast with its paper
RUN_ON = 0.5     # ... over at least this share of the stretch past each end (dev-set true 1s:
                 # at most 0.27; the wire-frame's pieces: 0.86 and more)
BREAK = 0.15     # a stretch of paper this many stroke lengths long ends the line (where another
                 # line crosses it, the axis is ink, not paper, and the line runs on)
WOBBLE = 2       # pixels either side of the axis where the line may run (it may bend a little)


def line_pieces(gray: np.ndarray, strokes: tuple[Strokes, Strokes], batch: Batch, chosen: list[int],
                probs: np.ndarray) -> list[int]:
    """``chosen`` without the 1s whose straight stroke's line runs on past both ends (indices into
    ``batch.hyps``, in working-image pixels like ``gray``; ``probs``: the model's, row by row).
    Only 1s are tested: a straight bar read as another digit is rare, and the frame loop is hot."""
    return [i for i in chosen if probs[i, :10].argmax() != 1
            or run_on(gray, strokes[batch.hyps[i].polarity], batch.hyps[i]) < RUN_ON]


def run_on(gray: np.ndarray, strokes: Strokes, hyp: Hypothesis) -> float:
    """How much of the stretch past a straight stroke's ends its ridge runs through: the lesser
    share of the two ends, 0 for a stroke that is not straight (or a piece of a split region)."""
    if hyp.parent >= 0:
        return 0.0
    x, y, w, h = hyp.box
    lab = strokes.labels.crop(x, y, x + w, y + h)
    ys, xs = np.nonzero(lab == hyp.members[0] if len(hyp.members) == 1 else np.isin(lab, hyp.members))
    if len(xs) < 3:
        return 0.0
    dx, dy = xs - xs.mean(), ys - ys.mean()
    sxx, syy, sxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)
    half, root = (sxx + syy) / 2, float(np.hypot((sxx - syy) / 2, sxy))
    if half + root < STRAIGHT ** 2 * max(half - root, 1e-6):   # spread along its axis against across it
        return 0.0
    angle = 0.5 * np.arctan2(2 * sxy, sxx - syy)
    along = np.array([np.cos(angle), np.sin(angle)])
    across = np.array([-along[1], along[0]])
    t = dx * along[0] + dy * along[1]
    t0, t1 = (float(v) for v in np.percentile(t, [2, 98]))
    length = max(t1 - t0, 1.0)
    width = len(xs) / length
    H, W = gray.shape
    contrast = float(np.median(np.abs(strokes.background[ys + y, xs + x].astype(np.float32) - gray[ys + y, xs + x])))
    d = np.arange(1.0, length, 1.0)
    if contrast < 1 or len(d) < 3:
        return 0.0
    centre = np.array([xs.mean() + x, ys.mean() + y])
    # both ends at once: (2 ends, n steps, 7 offsets across: the line's wobble, then either side)
    steps = np.stack([t1 + d, t0 - d])[..., None] * along + centre               # (2, n, 2)
    offsets = np.array([*range(-WOBBLE, WOBBLE + 1), -(width + 3), width + 3])
    pts = steps[:, :, None, :] + offsets[:, None] * across                        # (2, n, 7, 2)
    xi, yi = np.rint(pts[..., 0]).astype(np.intp), np.rint(pts[..., 1]).astype(np.intp)
    ok = ((xi >= 0) & (xi < W) & (yi >= 0) & (yi < H)).all(axis=2)                 # (2, n)
    xi, yi = np.minimum(np.maximum(xi, 0), W - 1), np.minimum(np.maximum(yi, 0), H - 1)
    values = gray[yi, xi].astype(np.float32)
    line, beside = values[..., : 2 * WOBBLE + 1], values[..., 2 * WOBBLE + 1:].mean(axis=2)
    if strokes.polarity == DARK:
        best, ink = line.min(axis=2), beside - line.min(axis=2)       # dark ink: darker than beside it
    else:
        best, ink = line.max(axis=2), line.max(axis=2) - beside
    ridge = (ink > RIDGE * contrast) & ok
    paper = np.abs(best - strokes.background[yi[..., WOBBLE], xi[..., WOBBLE]]) < RIDGE * contrast
    gap = max(3, int(BREAK * length))
    share = []
    for e in range(2):
        # the frame may end the stretch: what lies past it is unknown, and the share is of what is
        # in view (an end at the frame's edge says nothing; the other end decides)
        seen = len(d) if ok[e].all() else int(np.argmin(ok[e]))
        share.append(1.0 if seen < 3 else _leading_run(ridge[e, :seen], paper[e, :seen], gap) / seen)
    return min(share)


def _leading_run(ridge: np.ndarray, paper: np.ndarray, gap: int) -> int:
    """Samples of ``ridge`` that are True before the first run of ``gap`` samples of ``paper``: a
    line runs on through a crossing, a 1 written over another one stops where paper begins."""
    off = np.flatnonzero(paper)
    if len(off) < gap:
        return int(ridge.sum())
    # the first index at which `gap` samples of paper in a row begin
    starts = off[: len(off) - gap + 1]
    runs = np.flatnonzero(off[gap - 1:] - starts == gap - 1)
    if len(runs) == 0:
        return int(ridge.sum())
    return int(ridge[: starts[runs[0]]].sum())
