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
from digitcam.engine.ink import DARK_INK_MIN_BG, LIGHT, LIGHT_INK_MAX_BG

MIN_HEIGHT = 10         # working-image pixels: the scale stage makes digits at least this tall
MAX_HEIGHT_FRAC = 0.95  # taller than this fraction of the frame: a page edge or a hand
MIN_FILL = 0.03         # ink / box area below this: a thin outline (a box, the page border)
MAX_ASPECT = 6.0        # width / height: up to five touching digits, not a ruled line
MIN_ASPECT = 0.015      # width / height: a "1" is thin, but not a hair. A 1 drawn as one straight
                        # pen stroke is as wide as the pen (3-6 px) however tall: 2% of its height
                        # in a close-up. (Up to the fourteenth session 0.04, and no narrower than
                        # 6% of the height: such 1s were never proposed. Whether a thin stroke is a
                        # 1 or a line is the model's to say from its context; docs/history.md.)
MAX_GROUP = 8           # strokes in one digit: a pencil digit breaks into a few pieces, not dozens
MAX_CANDIDATES = 400    # per frame: singles first, then pairs, then groups


@dataclass
class Hypothesis:
    """One possible digit: a set of strokes of one polarity (or a piece of a split, see crops)."""

    box: tuple[int, int, int, int]   # x, y, w, h in working-image pixels
    polarity: int
    members: np.ndarray              # component labels in that polarity's label map
    ink: int = 0                     # pixels of ink in its strokes
    parent: int = -1                 # for a piece of a wide region: the index of the whole hypothesis
    piece: int = 0                   # a piece spans segments piece .. end of its region's
    end: int = 0                     # ... cut candidates (see crops), out of
    pieces: int = 1                  # ... this many segments
    stretch: float = 1.0             # read this many times wider than it is (a narrow digit's twin, see crops)
    tall: float = 1.0                # read this many times taller than it is (a flat digit's twin, see crops)

    @property
    def twin(self) -> bool:
        """A narrow or a flat region's twin: its strokes read stretched (see crops)."""
        return self.stretch != 1.0 or self.tall != 1.0

    @property
    def key(self) -> tuple:
        return (self.polarity, tuple(sorted(int(m) for m in self.members)), self.parent, self.piece, self.end,
                self.stretch, self.tall)


def join_matrix(boxes: np.ndarray) -> np.ndarray:
    """Which pairs of stroke boxes (x, y, w, h) could be parts of one digit.

    Generous on purpose: they overlap horizontally by a third of the narrower one (or one sits
    inside the other) with a small vertical gap next to their height, or they stand side by side
    on one line with a small horizontal gap, and together they are not much wider than tall. A
    wrong pair costs one crop and is read "not a digit".
    """
    b = boxes.astype(np.float32)  # pixel coordinates: exact in float32, and half the memory traffic
    x0, y0, w, h = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    x1, y1 = x0 + w, y0 + h
    ox = np.minimum(x1[:, None], x1) - np.maximum(x0[:, None], x0)   # overlap (negative: gap)
    oy = np.minimum(y1[:, None], y1) - np.maximum(y0[:, None], y0)
    merged_w = np.maximum(x1[:, None], x1) - np.minimum(x0[:, None], x0)
    merged_h = np.maximum(y1[:, None], y1) - np.minimum(y0[:, None], y0)
    maxh = np.maximum(h[:, None], h)
    minh = np.minimum(h[:, None], h)
    minw = np.minimum(w[:, None], w)
    size = np.maximum(w, h)  # a stroke's extent: a flag is flat but long
    big, small = np.maximum(size[:, None], size), np.minimum(size[:, None], size)
    stacked = (ox >= 0.3 * minw) & (-oy <= 0.35 * maxh) & (merged_h <= 2.2 * maxh)
    # the two halves of a 0 or the arcs of a 3 drawn apart: side by side, close, on one line
    beside = (-ox <= 0.15 * maxh) & (oy >= 0.6 * minh) & (merged_w <= 1.1 * merged_h)
    join = (stacked | beside) & (merged_w <= 1.5 * merged_h) & (big <= 10 * small)
    np.fill_diagonal(join, False)
    return join


def roots(n: int, edges: np.ndarray) -> np.ndarray:
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


def _split_by(roots: np.ndarray) -> list[np.ndarray]:
    """Indices grouped by equal ``roots``."""
    order = np.argsort(roots, kind="stable")
    _, starts = np.unique(roots[order], return_index=True)
    bounds = [*starts.tolist(), len(order)]
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def chained_groups(boxes: np.ndarray, join: np.ndarray) -> list[np.ndarray]:
    """Groups of strokes linked by chains of joinable pairs, and those of a repeated merge.

    The repeated merge (join, take the union box, join again) gathers the many pieces of a
    faint pencil digit; each merge makes the next one easier, so it can also swallow a whole
    column of digits, which is why its groups are only hypotheses.
    """
    n = len(boxes)
    out = []
    if n == 0 or not join.any():
        return out
    out.extend(g for g in _split_by(roots(n, np.argwhere(np.triu(join)))) if 3 <= len(g) <= MAX_GROUP)
    members = [np.array([i]) for i in range(n)]
    cur = boxes.astype(np.float64)
    for step in range(6):
        j = join if step == 0 else join_matrix(cur)
        if not j.any():
            break
        root = roots(len(members), np.argwhere(np.triu(j)))
        _, part = np.unique(root, return_inverse=True)
        members = [members[g[0]] if len(g) == 1 else np.concatenate([members[i] for i in g]) for g in _split_by(part)]
        lo = np.full((len(members), 2), np.inf)
        hi = np.full((len(members), 2), -np.inf)
        np.minimum.at(lo, part, cur[:, :2])
        np.maximum.at(hi, part, cur[:, :2] + cur[:, 2:])
        cur = np.concatenate([lo, hi - lo], axis=1)
    out.extend(g for g in members if 2 <= len(g) <= MAX_GROUP)
    return out


def plausible(boxes: np.ndarray, ink: np.ndarray, background: np.ndarray, polarity: int,
              frame: tuple[int, int]) -> np.ndarray:
    """Which whole hypotheses (boxes (N, 4) x, y, w, h; ink pixels (N,)) pass the sanity bounds
    of the module docstring. Vectorised: a cluttered frame has hundreds."""
    H, W = frame
    x, y, w, h = (boxes[:, k].astype(np.float64) for k in range(4))
    ok = (h >= MIN_HEIGHT) & (h <= MAX_HEIGHT_FRAC * H) & ~((w >= W - 1) & (h >= H - 1))
    aspect = w / np.maximum(h, 1)
    ok &= (aspect <= MAX_ASPECT) & (aspect >= MIN_ASPECT) & (w >= 3)
    ok &= ink >= MIN_FILL * w * h
    # Nothing is written lighter than white paper, nor darker than a blackboard: such regions
    # are the page between strokes, or glare.
    # Sampled at the box's centre and corners, the region passes if it lies on the board or paper
    # at any of them: a thick digit filling the frame covers its centre, where the background
    # estimate follows the ink.
    px = np.stack([x + w // 2, x, x + w - 1, x, x + w - 1]).astype(int)
    py = np.stack([y + h // 2, y, y, y + h - 1, y + h - 1]).astype(int)
    levels = background[np.clip(py, 0, H - 1), np.clip(px, 0, W - 1)]
    ok &= (levels.min(axis=0) <= LIGHT_INK_MAX_BG) if polarity == LIGHT else (levels.max(axis=0) >= DARK_INK_MIN_BG)
    return ok


def _union(stats: np.ndarray, sets: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Union boxes (x, y, w, h) and ink of sets of strokes."""
    boxes = np.empty((len(sets), 4), np.int64)
    ink = np.empty(len(sets), np.int64)
    for k, idx in enumerate(sets):
        st = stats[idx]
        x0, y0 = st[:, 0].min(), st[:, 1].min()
        boxes[k] = (x0, y0, (st[:, 0] + st[:, 2]).max() - x0, (st[:, 1] + st[:, 3]).max() - y0)
        ink[k] = st[:, 4].sum()
    return boxes, ink


def propose(strokes: tuple[Strokes, Strokes], frame: tuple[int, int]) -> list[Hypothesis]:
    """Whole-region hypotheses (singles, pairs, chained groups) of both polarities."""
    buckets: list[list[Hypothesis]] = [[], [], []]
    for s in strokes:
        if len(s) == 0:
            continue
        st = s.stats.astype(np.int64)
        join = join_matrix(st[:, :4])
        pairs = np.argwhere(np.triu(join))
        x0 = np.minimum(st[pairs[:, 0], 0], st[pairs[:, 1], 0])
        y0 = np.minimum(st[pairs[:, 0], 1], st[pairs[:, 1], 1])
        x1 = np.maximum(st[pairs[:, 0], 0] + st[pairs[:, 0], 2], st[pairs[:, 1], 0] + st[pairs[:, 1], 2])
        y1 = np.maximum(st[pairs[:, 0], 1] + st[pairs[:, 0], 3], st[pairs[:, 1], 1] + st[pairs[:, 1], 3])
        pair_boxes = np.stack([x0, y0, x1 - x0, y1 - y0], axis=1).reshape(-1, 4)
        pair_ink = st[pairs[:, 0], 4] + st[pairs[:, 1], 4]
        groups = [g for g in chained_groups(st[:, :4], join) if len(g) > 2 or not join[g[0], g[-1]]]
        seen = {tuple(sorted(g.tolist())) for g in groups}
        groups = [np.array(g) for g in seen]
        group_boxes, group_ink = _union(st, groups)
        sets = ((0, st[:, :4], st[:, 4], [np.array([i]) for i in range(len(st))]),
                (1, pair_boxes, pair_ink, list(pairs)),
                (2, group_boxes, group_ink, groups))
        for b, boxes, ink, members in sets:
            if len(boxes) == 0:
                continue
            keep = np.flatnonzero(plausible(boxes, ink, s.background, s.polarity, frame))
            for k, box, n in zip(keep.tolist(), boxes[keep].tolist(), ink[keep].tolist()):
                buckets[b].append(Hypothesis(tuple(box), s.polarity, s.ids[members[k]], n))
    out: list[Hypothesis] = []
    for bucket in buckets:
        bucket.sort(key=lambda hyp: -hyp.box[2] * hyp.box[3])
        out.extend(bucket[: max(0, MAX_CANDIDATES - len(out))])
    return out
