"""Stage 3, hypotheses: every way the strokes could form a digit, proposed generously.

Nothing here decides what is a digit. Each stroke is proposed alone; strokes that could be
parts of one digit (the flag of a 5, a broken 7, the two strokes of a 4) are proposed as pairs,
as the groups they chain into, and as the groups a repeated merge makes; regions too wide for
one digit are also proposed split into pieces (see :mod:`digitcam.engine.crops`). The model
scores them all in one call, and :mod:`digitcam.engine.select` picks the set of digits that
explains the ink, each stroke in at most one digit. A stacked column that chains into one tall
group is read "not a digit", and its digits are read from the singles and pairs instead.

The only fixed numbers are sanity bounds that no digit breaks at any scale (a digit is at least
MIN_HEIGHT pixels of the working image tall and is not a hair-thin line across the frame).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digitcam.engine.components import Strokes
from digitcam.engine.ink import DARK, DARK_INK_MIN_BG, LIGHT, LIGHT_INK_MAX_BG

MIN_HEIGHT = 10         # working-image pixels: the scale stage makes digits at least this tall
MAX_HEIGHT_FRAC = 0.95  # taller than this fraction of the frame: a page edge or a hand
MIN_FILL = 0.03         # ink / box area below this: a thin outline (a box, the page border)
MAX_ASPECT = 6.0        # width / height: up to five touching digits, not a ruled line
MIN_ASPECT = 0.04       # a "1" is thin, but not a hair
MAX_GROUP = 8           # strokes in one digit: a pencil digit breaks into a few pieces, not dozens
MAX_CANDIDATES = 400    # per frame: singles first, then pairs, then groups


@dataclass
class Hypothesis:
    """One possible digit: a set of strokes of one polarity (or a piece of a split, see crops)."""

    box: tuple[int, int, int, int]   # x, y, w, h in working-image pixels
    polarity: int
    members: np.ndarray              # component labels in that polarity's label map
    ink: int = 0                     # pixels of ink in its strokes
    parent: int = -1                 # for a piece of a split: the index of the whole hypothesis
    piece: int = 0                   # 1..pieces for a piece, 0 for a whole
    pieces: int = 1

    @property
    def key(self) -> tuple:
        return (self.polarity, tuple(sorted(int(m) for m in self.members)), self.parent, self.piece, self.pieces)


def join_matrix(boxes: np.ndarray) -> np.ndarray:
    """Which pairs of stroke boxes (x, y, w, h) could be parts of one digit.

    Generous on purpose: they overlap horizontally by a third of the narrower one (or one sits
    inside the other), the vertical gap is small next to their height, and together they are
    not much wider than tall. A wrong pair costs one crop and is read "not a digit".
    """
    b = boxes.astype(np.float64)
    x0, y0 = b[:, 0], b[:, 1]
    x1, y1 = x0 + b[:, 2], y0 + b[:, 3]
    w, h = b[:, 2], b[:, 3]
    ox = np.minimum(x1[:, None], x1[None]) - np.maximum(x0[:, None], x0[None])
    gy = np.maximum(y0[:, None], y0[None]) - np.minimum(y1[:, None], y1[None])
    minw = np.minimum(w[:, None], w[None])
    maxh = np.maximum(h[:, None], h[None])
    size = np.maximum(w, h)  # a stroke's extent: a flag is flat but long
    big, small = np.maximum(size[:, None], size[None]), np.minimum(size[:, None], size[None])
    merged_h = np.maximum(y1[:, None], y1[None]) - np.minimum(y0[:, None], y0[None])
    merged_w = np.maximum(x1[:, None], x1[None]) - np.minimum(x0[:, None], x0[None])
    join = ((ox >= 0.3 * minw) & (gy <= 0.35 * maxh) & (merged_h <= 2.2 * maxh)
            & (merged_w <= 1.5 * merged_h) & (big <= 10 * small))
    np.fill_diagonal(join, False)
    return join


def _roots(n: int, edges: np.ndarray) -> np.ndarray:
    """Union-find over ``edges`` (E, 2): the root of each of ``n`` nodes."""
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in edges:
        ri, rj = root(int(i)), root(int(j))
        if ri != rj:
            parent[rj] = ri
    return np.array([root(i) for i in range(n)])


def chained_groups(boxes: np.ndarray, join: np.ndarray) -> list[np.ndarray]:
    """Groups of strokes linked by chains of joinable pairs, and those of a repeated merge.

    The repeated merge (join, take the union box, join again) gathers the many pieces of a
    faint pencil digit; each merge makes the next one easier, so it can also swallow a whole
    column of digits, which is why its groups are only hypotheses.
    """
    n = len(boxes)
    out = []
    if n == 0:
        return out
    roots = _roots(n, np.argwhere(np.triu(join)))
    for r in np.unique(roots):
        g = np.flatnonzero(roots == r)
        if 3 <= len(g) <= MAX_GROUP:
            out.append(g)
    groups = [np.array([i]) for i in range(n)]
    cur = boxes.astype(np.float64)
    for _ in range(6):
        j = join_matrix(cur)
        if not j.any():
            break
        roots = _roots(len(groups), np.argwhere(np.triu(j)))
        merged, boxes_next = [], []
        for r in np.unique(roots):
            idx = np.flatnonzero(roots == r)
            merged.append(np.concatenate([groups[i] for i in idx]))
            lo = cur[idx, :2].min(axis=0)
            hi = (cur[idx, :2] + cur[idx, 2:]).max(axis=0)
            boxes_next.append(np.concatenate([lo, hi - lo]))
        groups, cur = merged, np.array(boxes_next)
    out.extend(g for g in groups if 2 <= len(g) <= MAX_GROUP)
    return out


def _plausible(stats: np.ndarray, background: np.ndarray, polarity: int, frame: tuple[int, int]) -> bool:
    """Sanity bounds on a whole hypothesis (stats of its strokes): see the module docstring."""
    H, W = frame
    x0, y0 = stats[:, 0].min(), stats[:, 1].min()
    x1, y1 = (stats[:, 0] + stats[:, 2]).max(), (stats[:, 1] + stats[:, 3]).max()
    w, h = x1 - x0, y1 - y0
    if h < MIN_HEIGHT or h > MAX_HEIGHT_FRAC * H or (w >= W - 1 and h >= H - 1):
        return False
    aspect = w / float(h)
    if aspect > MAX_ASPECT or aspect < MIN_ASPECT or w < max(3, 0.06 * h):
        return False
    if stats[:, 4].sum() < MIN_FILL * w * h:
        return False
    # Nothing is written lighter than white paper, nor darker than a blackboard: such regions
    # are the page between strokes, or glare.
    level = int(background[y0 + h // 2, x0 + w // 2])
    return not ((polarity == LIGHT and level > LIGHT_INK_MAX_BG) or (polarity == DARK and level < DARK_INK_MIN_BG))


def propose(strokes: tuple[Strokes, Strokes], frame: tuple[int, int]) -> list[Hypothesis]:
    """Whole-region hypotheses (singles, pairs, chained groups) of both polarities."""
    singles, pairs, groups = [], [], []
    seen: set[tuple] = set()
    for s in strokes:
        if len(s) == 0:
            continue
        join = join_matrix(s.stats[:, :4])
        sets = [(singles, np.array([i])) for i in range(len(s))]
        sets += [(pairs, np.array(p)) for p in np.argwhere(np.triu(join))]
        sets += [(groups, g) for g in chained_groups(s.stats[:, :4], join)]
        for bucket, idx in sets:
            key = (s.polarity, tuple(sorted(idx.tolist())))
            if key in seen:
                continue
            seen.add(key)
            st = s.stats[idx]
            if not _plausible(st, s.background, s.polarity, frame):
                continue
            x0, y0 = int(st[:, 0].min()), int(st[:, 1].min())
            x1, y1 = int((st[:, 0] + st[:, 2]).max()), int((st[:, 1] + st[:, 3]).max())
            bucket.append(Hypothesis((x0, y0, x1 - x0, y1 - y0), s.polarity, s.ids[idx], int(st[:, 4].sum())))
    out = []
    for bucket in (singles, pairs, groups):
        bucket.sort(key=lambda hyp: -hyp.box[2] * hyp.box[3])
        out.extend(bucket[: max(0, MAX_CANDIDATES - len(out))])
    return out
