"""Tilted lines: how far a page's lines of digits lean, and reading them levelled.

A sticky note or a page held up to a camera is rarely level, and a digit turned by 30 degrees
is a poor match for MNIST's upright ones. The lean is measured from what the model already
read, not from the ink: clutter (wood grain, a striped shirt) has directions of its own, digits
do not. Each digit-like region of the first look votes with the direction to its nearest
digit-like neighbour (the "docstrum" of O'Gorman, 1993), folded into [-45, 45) degrees so rows
and stacked columns vote alike; the peak of the votes is the lean, if enough votes agree.

A ruled or squared page leaning more than the rule search's ``ink.RULE_SLANT`` is the
exception: its rules are not cut, they glue each row of digits into one region, and no digit is
read to vote. Where the digits cast too few votes or disagree, the lean of the page's rules
(a family of straight lines leaning alike, :func:`lean_of_rules`) is tried instead, and the
levelled reading is kept only where its digits then stand on level lines (:func:`confirmed`).

``scan`` then reads the frame again, rotated level, and keeps whichever reading is surer in sum
(so a wrong lean costs time, never digits); ``live`` instead carries each frame's lean to the
next frame and reads it level at once: one pass a frame. Numbers are grouped in the levelled
frame, along the line; boxes come back as the upright bounds of each levelled box.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MIN_TILT = 8.0       # degrees; below this the engine reads as well without levelling (see docs/history.md)
MIN_VOTES = 4        # votes at the peak needed to measure a lean (a pair of neighbours casts two)
AGREEMENT = 0.2      # share of the votes within BIN of the peak (spread evenly, 4 of 90 degrees
                     # would hold 0.04; digits scattered in short numbers give 0.3-0.5, a dense
                     # page of slanted handwriting 0.24-0.27: at 0.25 a slightly other model, the
                     # float32 export of the shipped one, measured 0.244 on a cluttered dev page
                     # leaning 43 degrees and lost its levelled reading, 10 digits; 0.2 reads every
                     # dev and digit-free photo as 0.25 did, with as many looks)
BIN = 4.0            # degrees; the width of the vote window
NEIGHBOUR = 1.5     # a neighbour is nearer than this many region sizes: digits of one number (a
                     # line gap is 1.6 digit heights and more), so digits of other lines do not vote
CONFIRM_REACH = 2.5  # region sizes: digits this far apart are neighbours on a line when a levelled reading
                     # confirms the rules' lean (a sudoku's digits stand a cell, 1.5-2 of their heights,
                     # apart; at NEIGHBOUR they cast no votes, and a leaning sudoku read levelled
                     # was not kept)
SURE = 0.3           # a region votes when it reads as a digit at least this surely
LEVEL_FAVOUR = 0.5   # summed confidence: the levelled reading is kept unless the frame as it is
                     # reads surer by more than half a sure digit; about as sure, the levelled one
                     # groups its numbers along the lines (a 30-degree page of MNIST digits reads
                     # equally surely either way)
FOLD_DOUBT = 35.0    # degrees; a lean this steep may be the other way of the fold (rows at 44 degrees
                     # and columns at -46 vote alike): both are read

@dataclass
class Lean:
    degrees: float   # counter-clockwise, as seen on screen; 0 when unknown
    votes: int
    agreement: float


def _apart(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each box's size (its longer side), and from the centre of box ``i`` to that of box ``j``
    the vector ``d[i, j]`` and its length ``dist[i, j]``."""
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    d = centres[None, :, :] - centres[:, None, :]
    return np.maximum(boxes[:, 2], boxes[:, 3]), d, np.hypot(d[..., 0], d[..., 1])


def measure(boxes: np.ndarray, reach: float = NEIGHBOUR) -> Lean:
    """The lean of the lines that the digit-like ``boxes`` (x, y, w, h) sit on; a neighbour is
    nearer than ``reach`` region sizes."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if len(boxes) < 2:
        return Lean(0.0, 0, 0.0)
    size, d, dist = _apart(boxes)
    np.fill_diagonal(dist, np.inf)
    nearest = dist.argmin(axis=1)
    ok = dist[np.arange(len(boxes)), nearest] < reach * np.maximum(size, size[nearest])
    if ok.sum() < MIN_VOTES:
        return Lean(0.0, int(ok.sum()), 0.0)
    v = d[np.arange(len(boxes)), nearest][ok]
    # screen angle: y grows downwards, so a line rising to the right has a positive lean
    angles = np.degrees(np.arctan2(-v[:, 1], v[:, 0]))
    folded = (angles + 45.0) % 90.0 - 45.0
    # the peak: the window of width BIN holding most votes (on the circle of period 90)
    diff = (folded[:, None] - folded[None, :] + 45.0) % 90.0 - 45.0
    inside = np.abs(diff) <= BIN / 2
    centre = int(inside.sum(axis=0).argmax())
    members = inside[:, centre]
    offsets = diff[members, centre]
    lean = float((folded[centre] + offsets.mean() + 45.0) % 90.0 - 45.0)
    return Lean(lean, int(members.sum()), float(members.mean()))


PAIR_REACH = 5.0    # region sizes: where nearest neighbours give no clear lean, every pair of regions this
                    # near votes (see measure_pairs) ...
JITTER = 0.2        # ... for the leans at which the two stand on one line (or one column) give or take
                    # this many region sizes: a hand writes a row's digits a little higher or lower one by one
PAIR_STEP = 0.5     # degrees: the leans tried
PAIR_AGREEMENT = 0.3  # the pairs' mean vote for the lean needed to take it (MIN_VOTES regions agreeing too).
                    # Boxes strewn at random (500 sets of 4-40): 0.21 at the median, 0.33 at the 90th
                    # percentile; 0.3 takes 14% of them (0.2, AGREEMENT: 56%). A row alone gives 0.6-1.0,
                    # a page of several rows 0.30-0.47 (the dev photos turned 15 and 30 degrees); 4 of the
                    # 204 digit-free photos give one (0.23-0.49), and the 2 under 0.3 are read as they are


def measure_pairs(boxes: np.ndarray, reach: float = PAIR_REACH) -> Lean:
    """The lean of the lines the digit-like ``boxes`` (x, y, w, h) sit on, voted by every pair of
    them nearer than ``reach`` region sizes.

    Nearest neighbours (:func:`measure`) measure a row of close-set digits, but a handwritten
    row's digits stand a little higher or lower one by one: two neighbours a size apart whose
    centres differ by a fifth of a size lean 11 degrees off their row, and a row of spaced digits
    turned 15 degrees casts no two nearest-neighbour votes that agree within BIN. Here each pair
    votes for every lean by how nearly the two would then stand on one line (or one column), their
    offset across it against JITTER: a pair four sizes apart along a row pins its lean to 3
    degrees, a pair one size apart to 11, and the lean most pairs agree on wins.
    ``votes``: the regions in the pairs that stand on one line at that lean (within two JITTERs);
    ``agreement``: the pairs' mean vote for it."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if len(boxes) < 2:
        return Lean(0.0, 0, 0.0)
    size, d, dist = _apart(boxes)
    big, small = np.maximum(size[:, None], size[None]), np.minimum(size[:, None], size[None])
    # (two boxes of one digit, a part and its whole, are no pair)
    i, j = np.nonzero(np.triu((dist < reach * big) & (dist > 0.5 * small), 1))
    if len(i) == 0:
        return Lean(0.0, 0, 0.0)
    angle = np.arctan2(-d[i, j, 1], d[i, j, 0])     # screen angle: a line rising to the right leans positive
    apart = dist[i, j] / big[i, j]
    leans = np.deg2rad(np.arange(-45.0, 45.0, PAIR_STEP))[:, None]
    # a pair's offset across a line at each lean (rows and columns alike), in region sizes
    across = np.minimum(np.abs(np.sin(angle - leans)), np.abs(np.cos(angle - leans))) * apart
    vote = np.exp(-0.5 * (across / JITTER) ** 2)
    best = int(vote.sum(axis=1).argmax())
    on = vote[best] > np.exp(-2.0)
    regions = np.union1d(i[on], j[on])
    # the lean the pairs on the line stand on best, least squares: each pair's own lean (rows and
    # columns alike) weighted by its length squared (the offset a degree off makes)
    off = (np.degrees(angle[on] - leans[best, 0]) + 45.0) % 90.0 - 45.0
    lean = float(np.degrees(leans[best, 0]) + np.average(off, weights=apart[on] ** 2))
    return Lean((lean + 45.0) % 90.0 - 45.0, int(len(regions)), float(vote[best].mean()))


def _clear(lean: Lean) -> bool:
    """Whether a measured lean is one: enough votes, and enough of them agreeing."""
    return lean.votes >= MIN_VOTES and lean.agreement >= AGREEMENT


def lean_of(boxes: np.ndarray) -> float:
    """The lean worth levelling (degrees), or 0.0 when the lines are level or it is unclear."""
    return lean_to_level(boxes)[0]


RULE_FAMILY = 3      # a page's lean is that of at least this many distinct rules leaning alike (as ink.FAMILY)
RULE_MOST = 0.5      # ... and of more than this share of the steep lines found: a page's rules lean alike,
                     # texture's lines (fabric, foliage) lean every way. Rendered pages leaning up to 30
                     # degrees: the family is 0.70-1.00 of them ruled or squared, 0.60-1.00 on a typeset
                     # sudoku; 0.13-0.50 on 25 of the 34 digit-free frames and pictures that gave a lean,
                     # whose levelled looks cost 0.2-0.5 s a frame and read nothing (twenty-third session)


def lean_to_level(boxes: np.ndarray, density: np.ndarray | None = None) -> tuple[float, bool]:
    """The lean worth levelling (degrees), and whether it is the rules' rather than the digits'.

    The digits' where their nearest neighbours agree on one (:func:`measure`); else that of the
    page's rules in ``density`` (see :func:`lean_of_rules`), if given and steep enough to glue the
    rows, else that of every near pair of digits (:func:`measure_pairs`), where enough agree; else 0.0.
    The rules' lean needs no confirmation where the pairs' agrees with it (within BIN).
    A reading levelled by the rules' lean is kept only where its digits confirm it
    (:func:`confirmed`): a digit-free photo's lines lean too, and a levelled reading of a
    few false digits is surer than none."""
    lean = measure(boxes)
    if _clear(lean):
        return (lean.degrees if abs(lean.degrees) >= MIN_TILT else 0.0), False
    pairs = measure_pairs(boxes)   # too few nearest neighbours agree: every near pair votes
    pairs = pairs if pairs.agreement >= PAIR_AGREEMENT and _clear(pairs) else None
    rules = 0.0 if density is None else lean_of_rules(density)
    if rules:
        # a page whose rules lean past the rule search glues its rows: the rules measure its lean
        # finer than the few digits read, and where those agree, they confirm it already
        return rules, pairs is None or abs(fold(pairs.degrees - rules)) > BIN
    if pairs is not None:
        return (pairs.degrees if abs(pairs.degrees) >= MIN_TILT else 0.0), False
    return 0.0, False


def confirmed(after: np.ndarray) -> bool:
    """Whether a reading levelled by the rules' lean confirms it: its digit-like ``after`` boxes
    sit on level lines (enough of them, agreeing on a lean under MIN_TILT), neighbours counted
    up to CONFIRM_REACH sizes apart. A digit-free photo's leaning lines, read levelled, give a
    few scattered false digits, which do not."""
    lean = measure(after, CONFIRM_REACH)
    return _clear(lean) and abs(lean.degrees) < MIN_TILT


def lean_of_rules(density: np.ndarray) -> float:
    """The lean (degrees, counter-clockwise, in [-45, 45)) of a page's rules, or 0.0 where there
    is no family of them or it leans no more than the rule search reaches (``ink.RULE_SLANT``:
    those rules are cut as they lean). A ruled or squared page leaning more is levelled by it
    when no digit can be read to measure the lean (its rules, not cut out, glue every row of
    digits into one region).

    ``density``: the summed-area table of the dark ink pooled 4:1 (``Strokes.density``). The
    straight lines of its sparse ink (see :func:`digitcam.engine.ink.sparse_ink`) at any angle,
    strongest first; lines leaning alike that meet inside the frame are one (a fan of lines
    through one stroke); the largest set of at least RULE_FAMILY leaning alike (within BIN, rows
    and columns folded together), and more than RULE_MOST of the steep lines, gives the lean.
    Clutter's lines (wood grain) may form a family
    too: a lean from them costs a look, never digits (the levelled reading is kept only where it
    is surer and its digits confirm the lean, :func:`confirmed`)."""
    from digitcam.engine.ink import FAMILY_FRACTION, MAX_LINES, RULE_SLANT, sparse_ink

    density = np.asarray(density)
    if density.ndim != 2 or min(density.shape) < 8:
        return 0.0
    pooled = np.diff(np.diff(density, axis=0), axis=1).clip(0, 255).astype(np.uint8)
    _, sparse = sparse_ink(pooled)
    h, w = sparse.shape
    # a rule of a family spans at least 1/FAMILY_FRACTION of the frame (as the rule search's);
    # a degree is fine enough: the levelled page's rules are found within ink.RULE_SLANT
    votes = max(10, int(max(h, w) / FAMILY_FRACTION))
    found = cv2.HoughLines(sparse, 1, np.deg2rad(1.0), votes)
    if found is None or len(found) < RULE_FAMILY:
        return 0.0
    lines = found[:128, 0].astype(np.float64)
    rho, theta = lines[:, 0], lines[:, 1]
    # where each pair of lines meets: inside the frame, they are one line
    c, s = np.cos(theta), np.sin(theta)
    det = c[:, None] * s[None] - s[:, None] * c[None]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (rho[:, None] * s[None] - s[:, None] * rho[None]) / det
        y = (c[:, None] * rho[None] - rho[:, None] * c[None]) / det
    meet = (np.abs(det) > 1e-9) & (x >= 0) & (x <= w) & (y >= 0) & (y <= h)
    # ... when they lean alike: a floorboard's gap crossing the rules is a line of its own
    alike = np.abs(np.degrees(theta[:, None] - theta[None])) <= BIN
    same = (meet & alike) | ((np.abs(det) <= 1e-9) & (np.abs(rho[:, None] - rho[None]) < 2.0))
    alive = np.ones(len(lines), bool)
    kept = []
    while alive.any() and len(kept) < MAX_LINES:
        i = int(alive.argmax())
        kept.append(i)
        alive &= ~same[i]
    # a rule is ink all along; a line through a grid's crossings (its diagonals) or through
    # scattered texture gathers its votes from points apart
    kept = [i for i in kept if _unbroken(sparse, rho[i], theta[i], votes)]
    lean = np.array([fold(90.0 - np.degrees(theta[i])) for i in kept])
    # rules leaning up to RULE_SLANT are cut by the rule search as they are (a floorboard's, too):
    # only steeper families need the page levelled
    lean = lean[np.abs(lean) > RULE_SLANT - BIN / 2]
    if len(lean) < RULE_FAMILY:
        return 0.0
    diff = np.abs((lean[:, None] - lean[None] + 45.0) % 90.0 - 45.0)
    near = diff <= BIN / 2
    best = int(near.sum(axis=1).argmax())
    if near[best].sum() < RULE_FAMILY or near[best].sum() <= RULE_MOST * len(lean):
        return 0.0
    offsets = ((lean[near[best]] - lean[best] + 45.0) % 90.0) - 45.0
    out = fold(lean[best] + float(np.median(offsets)))
    return out if abs(out) > RULE_SLANT else 0.0


RULE_GAP = 2         # pooled pixels: a rule's ink along its line breaks for no more than this


def _unbroken(ink: np.ndarray, rho: float, theta: float, length: int) -> bool:
    """Whether the Hough line (``rho``, ``theta``) runs through ``ink`` (0/255) unbroken, gaps of up
    to RULE_GAP pixels bridged and a pixel either side counted, for ``length`` pixels somewhere."""
    h, w = ink.shape
    c, s = np.cos(theta), np.sin(theta)
    t = np.arange(-(h + w), h + w, dtype=np.float64)
    xs = np.rint(rho * c - t * s).astype(np.intp)      # along the line, a pixel a step
    ys = np.rint(rho * s + t * c).astype(np.intp)
    inside = (xs >= 1) & (xs <= w - 2) & (ys >= 1) & (ys <= h - 2)
    xs, ys = xs[inside], ys[inside]
    if len(xs) < length:
        return False
    near = (ink[ys, xs] | ink[ys - 1, xs] | ink[ys + 1, xs] | ink[ys, xs - 1] | ink[ys, xs + 1]) > 0
    on = np.flatnonzero(near)
    if len(on) == 0:
        return False
    breaks = np.flatnonzero(np.diff(on) > RULE_GAP + 1)
    starts, ends = on[np.r_[0, breaks + 1]], on[np.r_[breaks, len(on) - 1]]
    return bool((ends - starts + 1).max() >= length)


def fold(degrees: float) -> float:
    """``degrees`` as the same set of lines' lean in [-45, 45)."""
    return float((degrees + 45.0) % 90.0 - 45.0)


def choices(lean: float) -> list[float]:
    """The ways to level a page leaning by ``lean``: itself, and past FOLD_DOUBT also the lean a
    quarter turn away, since the fold cannot tell rows at 44 degrees from columns at -46."""
    if not lean:
        return []
    if abs(lean) > FOLD_DOUBT:
        return [lean, lean - 90.0 * np.sign(lean)]
    return [lean]


def level(gray: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """``gray`` rotated by ``-degrees`` so lines leaning by ``degrees`` lie level, on a canvas
    large enough to hold all of it (edges repeated); and the 2x3 map from frame to levelled pixels."""
    h, w = gray.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), -degrees, 1.0)
    c, s = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(np.ceil(w * c + h * s)), int(np.ceil(w * s + h * c))
    m[0, 2] += nw / 2.0 - w / 2.0
    m[1, 2] += nh / 2.0 - h / 2.0
    out = cv2.warpAffine(gray, m, (nw, nh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return out, m


def compose(a: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """The 2x3 affine map ``a`` after ``b`` (``b`` None: ``a``)."""
    if b is None:
        return a
    return (np.vstack([a, [0, 0, 1]]) @ np.vstack([b, [0, 0, 1]]))[:2]


def box_into(box: tuple[int, int, int, int], m: np.ndarray) -> tuple[int, int, int, int]:
    """The bounds, in levelled pixels, of a box of the frame (``m``: frame -> levelled): all of
    its corners (a part of the frame read closer, levelled, is read closer there)."""
    x, y, w, h = box
    pts = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], np.float64) @ np.asarray(m, np.float64).T
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def box_back(box: tuple[int, int, int, int], m: np.ndarray) -> tuple[int, int, int, int]:
    """The upright bounds, in frame pixels, of a box of the levelled image (``m``: frame -> levelled).

    The levelled box holds the digit with margins at its corners; its bounds in the frame are
    taken over the box shrunk to the ellipse inside it, which fits the turned digit closer."""
    x, y, w, h = box
    inv = cv2.invertAffineTransform(m)
    if inv[0, 1] == 0 and inv[1, 0] == 0:   # no turn (a part of the frame): the box itself
        x0, y0 = inv[0, 0] * x + inv[0, 2], inv[1, 1] * y + inv[1, 2]
        return int(round(x0)), int(round(y0)), int(round(inv[0, 0] * w)), int(round(inv[1, 1] * h))
    a = np.radians(np.arange(0, 360, 15))
    pts = np.stack([x + w / 2 + w / 2 * np.cos(a), y + h / 2 + h / 2 * np.sin(a), np.ones_like(a)], axis=1) @ inv.T
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    return int(x0), int(y0), int(max(1, x1 - x0)), int(max(1, y1 - y0))
