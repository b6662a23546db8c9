"""Stage 6, selection: the set of digits that best explains the ink, each stroke in at most one.

Every hypothesis was scored in the one model call. A region wide enough to hold touching digits
was also cut into pieces (see :mod:`digitcam.engine.crops`); its reading is the chain of pieces
from its left edge to its right, the whole region being the chain of one, whose digits are
surest on average (a dynamic programme over the cut candidates, as OCR engines segment by
recognition). So a split wins only where its pieces read better than the whole, and a chain
with a piece that is no digit loses to any chain of digits. Each region's best chain is one unit
scored by its least sure digit; units are taken surest first (the usual greedy answer to a
set-packing problem, as in non-maximum suppression), each only if none of its strokes is
already used. A merge read as "not a digit" is never taken, and so leaves its strokes to be read
alone. A chain passed over because a lone digit took one of its strokes first wins them back
where it reads that digit too, in the same place (:func:`_absorb`): it explains more ink and
contradicts nothing taken. Likewise a digit read from part of its strokes gives way to the whole
that reads the same digit, where the rest was read as less sure digits (:func:`_whole_over_parts`:
a broken stroke).
"""

from __future__ import annotations

import numpy as np

from digitcam.detections import iou_matrix
from digitcam.engine.crops import Batch

DUPLICATE_IOU = 0.4  # the same digit found in both polarities: keep the surer reading
SAME_PLACE = 0.5     # a lone digit and a piece of a region overlapping this much are one digit
FLAT_SURE = 0.97     # a flat region's twin, read taller (engine.crops.FLAT), counts only where it reads a
                     # digit this surely: a flat loop stretched round is a 0 to the model, and so is
                     # the top of a cylinder seen at a slant, or a tile's arc. At 0.9 / 0.95 / 0.97 /
                     # 0.99: false digits on the 35 training backgrounds 32 / 31 / 30 / 30 (30 without
                     # twins); rendered sheets lying on a desk (heldup --recline, JPEG 60), seed 51 at
                     # 640x480, 45 degrees: F1 0.824 / 0.827 / 0.824 / 0.812 (0.789 without); seed 52 at 1280x720,
                     # 60 degrees: 0.675 / 0.666 / 0.651 / 0.630 (0.498); the dev set (webcam 0.857 ->
                     # 1.000: its 0 lying flat reads 1.00) and the 22 / 32 / 48 digit-free images the
                     # same at each. The least at which every digit-free set reads as without twins


def digit_scores(probs: np.ndarray, min_confidence: float) -> np.ndarray:
    """A hypothesis' score: its digit confidence, or 0 when it reads "not a digit" or too unsure."""
    conf = probs[:, :10].max(axis=1)
    ok = (probs.argmax(axis=1) < 10) & (conf >= min_confidence)
    return np.where(ok, conf, 0.0)


def best_chain(whole: int, pieces: list[int], batch: Batch, score: np.ndarray) -> list[int]:
    """The hypotheses (the whole, or pieces left to right) that read a wide region surest: of the
    chains over its segments 0..n whose every link reads as a digit, the one whose digits are
    surest on average (geometric mean of their confidences, so two sure digits can beat one
    unsure whole); [] if no chain reads."""
    n = batch.hyps[pieces[0]].pieces if pieces else 1
    edges: dict[int, list[tuple[int, int]]] = {}
    for k in [whole, *pieces]:
        h = batch.hyps[k]
        a, b = (0, n) if k == whole else (h.piece, h.end)
        if score[k] > 0:
            edges.setdefault(b, []).append((a, k))
    # best[b, c]: the surest chain over segments 0..b made of c digits (sum of log confidences)
    best = np.full((n + 1, n + 2), -np.inf)
    best[0, 0] = 0.0
    came: dict[tuple[int, int], tuple[int, int]] = {}
    for b in range(1, n + 1):
        for a, k in edges.get(b, []):
            for c in range(n + 1):
                v = best[a, c] + float(np.log(score[k]))
                if v > best[b, c + 1]:
                    best[b, c + 1], came[(b, c + 1)] = v, (a, k)
    counts = np.arange(n + 2)
    per_digit = np.where(counts > 0, best[n] / np.maximum(counts, 1), -np.inf)
    if not np.isfinite(per_digit.max()):
        return []
    chain, b, c = [], n, int(per_digit.argmax())
    while b > 0:
        a, k = came[(b, c)]
        chain.append(k)
        b, c = a, c - 1
    return chain[::-1]


def choose(batch: Batch, probs: np.ndarray, min_confidence: float) -> list[int]:
    """Indices of the chosen hypotheses (the pieces of a region read in pieces included)."""
    score = digit_scores(probs, min_confidence)
    # a narrow region's twin, read stretched (engine.crops.NARROW), is there to read a narrow 7, 9
    # or 4, a flat one's (FLAT) a digit lying flat; a 1 is read as it is, by the region itself (a
    # stretched ripple of sand, a dash, read as a 1), and a flat twin counts only where sure
    digit = probs[:, :10]
    for i, h in enumerate(batch.hyps):
        if h.twin and (digit[i].argmax() == 1 or (h.tall != 1.0 and digit[i].max() < FLAT_SURE)):
            score[i] = 0.0
    pieces: dict[int, list[int]] = {}
    for i, h in enumerate(batch.hyps):
        if h.parent >= 0:
            pieces.setdefault(h.parent, []).append(i)
    units: list[tuple[float, list[int]]] = []
    for i, h in enumerate(batch.hyps):
        if h.parent >= 0:
            continue
        chain = best_chain(i, pieces[i], batch, score) if i in pieces else ([i] if score[i] > 0 else [])
        if chain:
            units.append((float(score[chain].min()), chain))
    units.sort(key=lambda u: -u[0])
    taken: list[list[int]] = []
    passed: list[list[int]] = []
    used: set[tuple[int, int]] = set()
    for _, idx in units:
        atoms = _atoms(batch, idx)
        if atoms & used:
            passed.append(idx)
            continue
        used |= atoms
        taken.append(idx)
    taken = _absorb(batch, taken, passed, probs)
    taken = _whole_over_parts(batch, taken, [u for _, u in units], score, probs)
    return _drop_duplicates(batch, [i for idx in taken for i in idx], score)


def _atoms(batch: Batch, unit: list[int]) -> set[tuple[int, int]]:
    """The strokes a unit explains (a piece explains its whole region's: its strokes are cut)."""
    h = batch.hyps[unit[0]]
    return {(h.polarity, int(m)) for m in h.members}


def _owners(batch: Batch, taken: list[list[int]]) -> dict[tuple[int, int], int]:
    """Which taken unit (its index in ``taken``) explains each stroke."""
    return {a: k for k, idx in enumerate(taken) for a in _atoms(batch, idx)}


def _absorb(batch: Batch, taken: list[list[int]], passed: list[list[int]], probs: np.ndarray) -> list[list[int]]:
    """Chains of pieces that read every digit the taken units inside them read, and more.

    Greedy selection takes the surest unit first; a lone digit (a 1 standing clear) can so take a
    stroke that a region of touching digits shares with it (the 1 is the region's last piece),
    and the region, read as a chain of sure pieces, is passed over: its other digits are lost. A
    passed chain wins the strokes back when each taken unit it collides with is a single
    hypothesis lying on one of its pieces (IoU >= SAME_PLACE) that reads the same digit, and
    its strokes are all the chain's: nothing taken is contradicted, and more ink is explained."""
    passed = [chain for chain in passed if len(chain) > 1]   # only a chain of pieces can absorb
    if not passed:
        return taken
    label = probs[:, :10].argmax(axis=1)
    owner = _owners(batch, taken)
    dropped: set[int] = set()
    added: list[list[int]] = []
    for chain in passed:
        atoms = _atoms(batch, chain)
        hit = {owner[a] for a in atoms if a in owner}
        if not hit or -1 in hit or hit & dropped or any(a not in atoms for k in hit for a in _atoms(batch, taken[k])):
            continue
        pieces = np.array([batch.hyps[i].box for i in chain], np.float64)
        agrees = True
        for k in hit:
            if len(taken[k]) != 1:
                agrees = False
                break
            one = taken[k][0]
            iou = iou_matrix(np.array([batch.hyps[one].box], np.float64), pieces)[0]
            best = int(iou.argmax())
            agrees = iou[best] >= SAME_PLACE and label[chain[best]] == label[one]
            if not agrees:
                break
        if not agrees:
            continue
        dropped |= hit
        added.append(chain)
        for a in atoms:
            owner[a] = -1   # claimed by an added chain: no other chain may take it
    return [idx for k, idx in enumerate(taken) if k not in dropped] + added


def _whole_over_parts(batch: Batch, taken: list[list[int]], units: list[list[int]], score: np.ndarray,
                      probs: np.ndarray) -> list[list[int]]:
    """A digit read from part of its strokes, and the rest read as another digit, where the
    strokes together read as the first digit too.

    A thin pen's stroke breaks where it crosses itself: the top of a 4 reads as a 4 (1.00), its
    stem's lower part as a 1 (0.78), and the whole 4 (1.00) comes second to its top by a hair and
    is passed over. A hypothesis not taken wins the strokes of the units it holds wholly when it
    reads the digit that one of them (a part of it) reads, and is surer than all the others: the
    model read the merge as that digit, not as "not a digit", which is what it was taught for two
    digits merged."""
    if len(taken) < 2:
        return taken
    label = probs[:, :10].argmax(axis=1)
    owner = _owners(batch, taken)
    chosen = {i for idx in taken for i in idx}
    dropped: set[int] = set()
    added: list[list[int]] = []
    for unit in units:
        if len(unit) != 1 or unit[0] in chosen:
            continue
        u = unit[0]
        atoms = _atoms(batch, unit)
        hit = {owner.get(a, -2) for a in atoms} - {-2}
        if len(hit) < 2 or -1 in hit or hit & dropped:
            continue
        if any(len(taken[k]) != 1 or not _atoms(batch, taken[k]) <= atoms for k in hit):
            continue
        same = [k for k in hit if label[taken[k][0]] == label[u]]
        others = [k for k in hit if k not in same]
        if len(same) != 1 or any(score[taken[k][0]] >= score[u] for k in others):
            continue
        dropped |= hit
        added.append(unit)
        for a in atoms:
            owner[a] = -1
    return [idx for k, idx in enumerate(taken) if k not in dropped] + added


def _drop_duplicates(batch: Batch, chosen: list[int], score: np.ndarray) -> list[int]:
    """One digit seen twice (dark ink, and the paper inside it as light ink): keep the surer, and a
    digit read as it is over a narrow region's stretched twin (the paper between a light digit's
    strokes on a dark canvas, stretched, can read as a digit too)."""
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
    s = score[chosen] - 2.0 * np.array([batch.hyps[i].twin for i in chosen])   # twins rank last
    alive = np.ones(len(chosen), bool)
    for i in np.argsort(-s, kind="stable"):
        if alive[i]:
            alive &= ~(clash[i] & (s < s[i]))
    return [c for c, a in zip(chosen, alive) if a]
