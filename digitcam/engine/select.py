"""Stage 6, selection: the set of digits that best explains the ink, each stroke in at most one.

Every hypothesis was scored in the one model call. A split into pieces competes as one unit
whose score is its least sure piece, so it wins only where all its pieces read better than the
whole. Units are taken surest first (the usual greedy answer to a set-packing problem, as in
non-maximum suppression), each only if none of its strokes is already used. A merge read as
"not a digit" is never taken, and so leaves its strokes to be read alone.
"""

from __future__ import annotations

import numpy as np

from digitcam.detections import iou_matrix
from digitcam.engine.crops import Batch

DUPLICATE_IOU = 0.4  # the same digit found in both polarities: keep the surer reading


def digit_scores(probs: np.ndarray, min_confidence: float) -> np.ndarray:
    """A hypothesis' score: its digit confidence, or 0 when it reads "not a digit" or too unsure."""
    conf = probs[:, :10].max(axis=1)
    ok = (probs.argmax(axis=1) < 10) & (conf >= min_confidence)
    return np.where(ok, conf, 0.0)


def choose(batch: Batch, probs: np.ndarray, min_confidence: float) -> list[int]:
    """Indices of the chosen hypotheses (pieces of a chosen split included)."""
    score = digit_scores(probs, min_confidence)
    units: list[tuple[float, list[int]]] = []
    splits: dict[tuple[int, int], list[int]] = {}
    for i, h in enumerate(batch.hyps):
        if h.parent < 0:
            if score[i] > 0:
                units.append((float(score[i]), [i]))
        else:
            splits.setdefault((h.parent, h.pieces), []).append(i)
    for idx in splits.values():
        if len(idx) == batch.hyps[idx[0]].pieces and score[idx].min() > 0:
            units.append((float(score[idx].min()), idx))
    units.sort(key=lambda u: -u[0])
    used: set[tuple[int, int]] = set()
    chosen: list[int] = []
    for _, idx in units:
        h = batch.hyps[idx[0]]
        atoms = {(h.polarity, int(m)) for m in h.members}
        if atoms & used:
            continue
        used |= atoms
        chosen.extend(idx)
    return _drop_duplicates(batch, chosen, score)


def _drop_duplicates(batch: Batch, chosen: list[int], score: np.ndarray) -> list[int]:
    """One digit seen twice (dark ink, and the paper inside it as light ink): keep the surer."""
    if len(chosen) < 2:
        return chosen
    boxes = np.array([batch.hyps[i].box for i in chosen], np.float64)
    pol = np.array([batch.hyps[i].polarity for i in chosen])
    iou = iou_matrix(boxes, boxes)
    area = boxes[:, 2] * boxes[:, 3]
    ix = np.clip(np.minimum(boxes[:, None, 0] + boxes[:, None, 2], boxes[None, :, 0] + boxes[None, :, 2])
                 - np.maximum(boxes[:, None, 0], boxes[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(boxes[:, None, 1] + boxes[:, None, 3], boxes[None, :, 1] + boxes[None, :, 3])
                 - np.maximum(boxes[:, None, 1], boxes[None, :, 1]), 0, None)
    inside = ix * iy >= 0.7 * np.minimum(area[:, None], area[None])
    clash = (iou > DUPLICATE_IOU) | (inside & (pol[:, None] != pol[None]))
    np.fill_diagonal(clash, False)
    s = score[chosen]
    alive = np.ones(len(chosen), bool)
    for i in np.argsort(-s, kind="stable"):
        if alive[i]:
            alive &= ~(clash[i] & (s < s[i]))
    return [c for c, a in zip(chosen, alive) if a]
