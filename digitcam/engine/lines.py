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

A box drawn around a digit does the same round its corners: its top and bottom are level lines
that the rule search takes away (engine.ink), and its sides stand alone, each a perfect ``1``.
From each end of such a side a line turns off, to the same side at both ends, for at least
``CORNER`` of its length, within ``FAN`` degrees of square (perspective opens and closes a box's
corners); a 1 standing on a ruled line, or between two, meets lines running off both ways, and a
1 on whose foot an underline ends has a corner at one end only: they stay (thirtieth session:
sheets of one boxed digit lying on the desk, 40 frames, 20 false digits -> 2, recall the same).

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
CORNER = 0.5     # a box's side: from each end a line turns off to one side, as far as this share of
                 # the stroke's length at least (a box drawn around a digit is no narrower)
ARM = 0.7        # ... a line as dark as the side nearly (this share of its contrast): drawn with it; a
                 # page's printed rules and grid are paler than a pen
FAN = np.arange(-45.0, 46.0, 7.5)   # degrees from square: a box seen in perspective (7.5 apart: a
                                   # line off by half of it drifts past WOBBLE only past 30 px)


def line_pieces(gray: np.ndarray, strokes: tuple[Strokes, Strokes], batch: Batch, chosen: list[int],
                probs: np.ndarray) -> list[int]:
    """``chosen`` without the 1s whose straight stroke's line runs on past both ends, straight on
    or round a corner (indices into ``batch.hyps``, in working-image pixels like ``gray``;
    ``probs``: the model's, row by row). Only 1s are tested: a straight bar read as another
    digit is rare, and the frame loop is hot."""
    return [i for i in chosen if probs[i, :10].argmax() != 1
            or run_on(gray, strokes[batch.hyps[i].polarity], batch.hyps[i]) < RUN_ON]


def run_on(gray: np.ndarray, strokes: Strokes, hyp: Hypothesis) -> float:
    """How much of the stretch past a straight stroke's ends its ridge runs through: the lesser
    share of the two ends, straight on, or round a corner to the same side at both (the side of
    a box drawn around a digit, whose top and bottom turn away from it); 0 for a stroke that is
    not straight (or a piece of a split region)."""
    bar = _bar(gray, strokes, hyp)
    if bar is None:
        return 0.0
    centre, along, across, (t0, t1, first, last), length, width, contrast = bar
    ends = np.stack([centre + t1 * along, centre + t0 * along])
    straight = _runs(gray, strokes, ends, np.stack([along, -along])[:, None], length, 0.0, length, contrast, width)[:, 0]
    if straight.min() >= RUN_ON:
        return float(straight.min())
    # round a corner: from each end, a line off to one side (a 1 standing on a rule meets it running both ways)
    fans = np.broadcast_to(np.concatenate([_fan(across), _fan(-across)]), (2, 2 * len(FAN), 2))
    corners = np.stack([centre + last * along, centre + first * along])   # (the stroke's last pixels: the corner)
    shares = _runs(gray, strokes, corners, fans, CORNER * length, width / 2, length, contrast, width, ARM)
    arms = [shares[:, :len(FAN)].max(axis=1), shares[:, len(FAN):].max(axis=1)]   # (each side, each end)
    corner = [np.where(other < RUN_ON, mine, 0.0) for mine, other in (arms, arms[::-1])]
    return max(float(straight.min()), *(float(c.min()) for c in corner))


def _bar(gray: np.ndarray, strokes: Strokes, hyp: Hypothesis) -> tuple | None:
    """A straight stroke's centre (frame pixels), axis and the direction across it, the ends'
    places along the axis from the centre (past all but 2% of its ink, and its last pixels), its
    length, its width and its contrast with its paper; None for a stroke that is not straight, a
    piece of a split region, or too faint (a stroke too short to sample past reads 0 in :func:`_runs`)."""
    if hyp.parent >= 0:
        return None
    x, y, w, h = hyp.box
    lab = strokes.labels.crop(x, y, x + w, y + h)
    ys, xs = np.nonzero(lab == hyp.members[0] if len(hyp.members) == 1 else np.isin(lab, hyp.members))
    if len(xs) < 3:
        return None
    dx, dy = xs - xs.mean(), ys - ys.mean()
    sxx, syy, sxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)
    half, root = (sxx + syy) / 2, float(np.hypot((sxx - syy) / 2, sxy))
    if half + root < STRAIGHT ** 2 * max(half - root, 1e-6):   # spread along its axis against across it
        return None
    angle = 0.5 * np.arctan2(2 * sxy, sxx - syy)
    along = np.array([np.cos(angle), np.sin(angle)])
    across = np.array([-along[1], along[0]])
    t = dx * along[0] + dy * along[1]
    t0, t1 = (float(v) for v in np.percentile(t, [2, 98]))
    length = max(t1 - t0, 1.0)
    contrast = float(np.median(np.abs(strokes.background[ys + y, xs + x].astype(np.float32) - gray[ys + y, xs + x])))
    if contrast < 1:
        return None
    return (np.array([xs.mean() + x, ys.mean() + y]), along, across, (t0, t1, float(t.min()), float(t.max())),
            length, len(xs) / length, contrast)


def _fan(direction: np.ndarray) -> np.ndarray:
    """``direction`` and its turns by FAN degrees either way: where a box's side runs from a
    corner that perspective has opened or closed."""
    a = np.radians(FAN)[:, None]
    c, s = np.cos(a), np.sin(a)
    return np.concatenate([c * direction[0] - s * direction[1], s * direction[0] + c * direction[1]], axis=1)


def _runs(gray: np.ndarray, strokes: Strokes, ends: np.ndarray, directions: np.ndarray, reach: float,
          skip: float, length: float, contrast: float, width: float, ridge: float = RIDGE) -> np.ndarray:
    """For each of a stroke's two ``ends`` (2, 2) and each of its ``directions`` (2, k, 2), the
    share (2, k) of the stretch ``reach`` long, from ``skip`` past the end, that a ridge of the
    stroke's polarity (``ridge`` of its ``contrast``) runs through before BREAK of its ``length``
    of paper. The frame may end a stretch: its share is then of what is in view, and a stretch
    with under 3 samples in view counts as all ridge (an end at the frame's edge says nothing;
    the other end decides)."""
    H, W = gray.shape
    d = skip + np.arange(1.0, reach, 1.0)
    if len(d) < 3:
        return np.zeros(directions.shape[:2])
    normal = np.stack([-directions[..., 1], directions[..., 0]], axis=-1)
    # (2 ends, k directions, n steps, 7 offsets across: the line's wobble, then either side)
    steps = ends[:, None, None, :] + d[None, None, :, None] * directions[:, :, None, :]
    offsets = np.array([*range(-WOBBLE, WOBBLE + 1), -(width + 3), width + 3])
    pts = steps[:, :, :, None, :] + offsets[:, None] * normal[:, :, None, None, :]
    xi, yi = np.rint(pts[..., 0]).astype(np.intp), np.rint(pts[..., 1]).astype(np.intp)
    ok = ((xi >= 0) & (xi < W) & (yi >= 0) & (yi < H)).all(axis=-1)                 # (2, k, n)
    xi, yi = np.minimum(np.maximum(xi, 0), W - 1), np.minimum(np.maximum(yi, 0), H - 1)
    values = gray[yi, xi].astype(np.float32)
    line, beside = values[..., : 2 * WOBBLE + 1], values[..., 2 * WOBBLE + 1:].mean(axis=-1)
    if strokes.polarity == DARK:
        best, ink = line.min(axis=-1), beside - line.min(axis=-1)       # dark ink: darker than beside it
    else:
        best, ink = line.max(axis=-1), line.max(axis=-1) - beside
    on = (ink > ridge * contrast) & ok
    paper = np.abs(best - strokes.background[yi[..., WOBBLE], xi[..., WOBBLE]]) < RIDGE * contrast
    gap = max(3, int(BREAK * length))
    n = len(d)
    seen = np.where(ok.all(axis=-1), n, np.argmin(ok, axis=-1))                      # (2, k): samples in view
    # the ridge before the first run of `gap` samples of paper in view (a line runs on through a
    # crossing; a 1 written over another one stops where paper begins), else all in view
    windows = np.cumsum(np.concatenate([np.zeros((*paper.shape[:2], 1), int), paper], axis=-1), axis=-1)
    full = (windows[..., gap:] - windows[..., :-gap]) == gap                         # (2, k, n - gap + 1)
    full &= np.arange(n - gap + 1) + gap <= seen[..., None]
    end = np.where(full.any(axis=-1), np.argmax(full, axis=-1), seen) if full.shape[-1] else seen
    counts = np.take_along_axis(np.cumsum(np.concatenate([np.zeros((*on.shape[:2], 1), int), on], axis=-1), axis=-1),
                                end[..., None], axis=-1)[..., 0]
    return np.where(seen < 3, 1.0, counts / np.maximum(seen, 1))
