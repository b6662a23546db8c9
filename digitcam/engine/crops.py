"""Stage 4, crops: what the model sees of each hypothesis, two images each.

* the **digit**: the hypothesis' own strokes, normalised the MNIST way (28x28, see
  :func:`digitcam.normalise.normalise`), so the classifier reads exactly what MNIST taught it;
* the **context**: a 32x32 view of the surroundings, a square twice the region's longer side,
  ink bright, levels relative to the paper. A digit sits on paper; a floorboard gap sits in wood
  grain and runs on past the box; a stroke of a letter sits among other letters. The 28x28 crop
  of all three can look like a "1": the context is what tells them apart.

Regions wider than one digit (touching digits) are also over-segmented: cut candidates at the
columns where the ink thins, and every run of consecutive segments as wide as a digit could be
becomes a piece. :mod:`digitcam.engine.select` then reads the region as the chain of pieces (or
the whole) whose readings are surest together. Regions much narrower than tall (a narrow writer's
7s) are also read stretched to a digit's usual width, a twin that competes for the same strokes;
regions much wider than tall (the digits of a sheet lying on the desk, foreshortened) are also
read stretched to a digit's usual height, their context stretched with them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from digitcam.engine.candidates import Hypothesis
from digitcam.engine.components import Strokes
from digitcam.engine.ink import DARK
from digitcam.normalise import SIZE, levels, normalise

CONTEXT = 32          # the context image is CONTEXT x CONTEXT
CONTEXT_SPAN = 2.0    # ... showing a square CONTEXT_SPAN times the region's longer side
NORMALISE_MAX = 96    # regions taller than this are shrunk to it before normalising (speed only)
SPLIT_FROM = 0.85     # regions wider than this times their height are also proposed in pieces
PIECE_WIDTH = (0.15, 1.3)  # a piece is this many times the region's height wide (a "1" to a wide "0")
MAX_CUTS = 8          # cut candidates per region, the thinnest columns first
MAX_FRAME_PIECES = 96   # pieces per frame, for the regions first in line (the likeliest digits)
PHOTO_PIECES = 192      # ... for a photo (scan, eval), which may spend more than a camera frame: a
                        # number of touching digits in clutter comes late in that line (it looks like
                        # no one digit) and was left unsplit (docs/history.md, eleventh session)
MAX_REGION_PIECES = 16  # pieces per region: wood grain cannot take a frame's whole budget
NARROW = 0.35         # a region narrower than this times its height is also read STRETCH times wider,
STRETCH = 2.0         # ... a twin hypothesis of the same strokes (engine.select takes the surer):
                      # normalised with its aspect kept (as MNIST was), a 7 or a 9 written a quarter
                      # as wide as tall is a bar with a flag, and reads as a 1 or "not a digit".
                      # Of the dev photos' narrow digits (under 0.4), every 7 and 9 misread so reads
                      # right twice as wide (10 of 10), and of 47 1s, 38 still read as 1s (the rest
                      # mostly as "not a digit"; a twin read as a 1 counts for nothing). Dev F1 0.951
                      # -> 0.956, every digit-free set as before; held-up 720p frames 128 -> 138
                      # hypotheses (median; twenty-fifth session)
FLAT = 1.2            # a region wider than this times its height is also read taller, a twin of the
                      # same strokes stretched to TALL_TO times as tall as wide (at most MAX_TALL times
                      # its height), its context stretched alike: a sheet lying on the desk before a
                      # webcam shows its digits foreshortened (at 60 degrees, half as tall: a 0 as wide
                      # as tall), and normalised with that aspect kept, a digit lying flat is "not a
                      # digit" to both heads (the dev set's webcam 0, 85x26 px; stretched 1.5 to 3
                      # times, read as a 0 at 1.00 by both). Dark ink only: a sheet lies on a desk;
                      # boards and screens stand upright (a light stroke of a drawing on a dark ground,
                      # stretched, read as a 7 at 1.00 and called for a closer look that read five 0s)
TALL_TO = 1.0 / 0.75
MAX_TALL = 3.0
MAX_FLAT_TWINS = 48   # flat twins per frame, for the regions first in line


@dataclass
class Batch:
    """Every hypothesis of a frame, with the two model inputs of each."""

    hyps: list[Hypothesis] = field(default_factory=list)
    digits: np.ndarray = field(default_factory=lambda: np.zeros((0, SIZE, SIZE), np.float32))
    contexts: np.ndarray = field(default_factory=lambda: np.zeros((0, CONTEXT, CONTEXT), np.float32))

    def __len__(self) -> int:
        return len(self.hyps)


def _mask(strokes: Strokes, hyp: Hypothesis, pad: int, shape: tuple[int, int]):
    x, y, w, h = hyp.box
    H, W = shape
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(W, x + w + pad), min(H, y + h + pad)
    labels = strokes.labels.crop(x0, y0, x1, y1)
    return (x0, y0), _members(labels, hyp.members).view(np.uint8) * np.uint8(255)


def _members(labels: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Where ``labels`` is one of ``members``: as np.isin, at a third of its cost on a frame's
    crops (a comparison each for a few strokes, a lookup table for many)."""
    if len(members) <= 4:
        hit = labels == members[0]
        for m in members[1:]:
            hit |= labels == m
        return hit
    top = int(members.max())
    table = np.zeros(top + 1, bool)
    table[members] = True
    return np.take(table, labels, mode="clip") & (labels <= top)


def cut_candidates(mask: np.ndarray, height: int) -> list[int]:
    """Columns where touching digits may meet: local minima of the ink per column, at least a
    sixth of the height apart, the thinnest first (at most MAX_CUTS), in left-to-right order."""
    profile = np.count_nonzero(mask, axis=0).astype(np.float32)
    w = len(profile)
    if w < 4:
        return []
    smooth = np.convolve(profile, np.ones(3, np.float32) / 3, mode="same")
    left = np.r_[np.inf, smooth[:-1]]
    right = np.r_[smooth[1:], np.inf]
    minima = np.flatnonzero((smooth <= left) & (smooth <= right))
    edge = max(2, int(0.1 * height))
    minima = minima[(minima >= edge) & (minima <= w - edge)]
    chosen: list[int] = []
    gap = max(2, height // 6)
    for m in minima[np.argsort(smooth[minima], kind="stable")]:
        if all(abs(int(m) - c) >= gap for c in chosen):
            chosen.append(int(m))
        if len(chosen) >= MAX_CUTS:
            break
    return sorted(chosen)


def _normalised(patch: np.ndarray, mask: np.ndarray, ink_paper: tuple[float, float] | None = None) -> np.ndarray:
    """:func:`normalise` of a hypothesis' patch; ``ink_paper``: the patch's levels, when known."""
    h, w = mask.shape
    if max(h, w) > NORMALISE_MAX:  # same result at a fraction of the cost of a full-size dilation
        f = NORMALISE_MAX / max(h, w)
        size = (max(1, int(w * f)), max(1, int(h * f)))
        patch = cv2.resize(patch, size, interpolation=cv2.INTER_AREA)
        mask = (cv2.resize(mask, size, interpolation=cv2.INTER_AREA) > 40).view(np.uint8) * np.uint8(255)
        ink_paper = None   # the shrunk patch has levels of its own
    return normalise(patch, mask, ink_paper)


def _stretched(patch: np.ndarray, mask: np.ndarray, wider: float, taller: float,
               ink_paper: tuple[float, float] | None) -> np.ndarray:
    """A twin's digit: the region's strokes made ``wider`` and ``taller`` before normalising (the
    levels measured on the region itself)."""
    size = (max(1, int(round(mask.shape[1] * wider))), max(1, int(round(mask.shape[0] * taller))))
    big = (cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR) > 127).view(np.uint8) * np.uint8(255)
    return _normalised(cv2.resize(patch, size, interpolation=cv2.INTER_LINEAR), big, ink_paper)


class Pyramid:
    """The frame at 1, 1/2, 1/4 ... scale, made on demand, so a context of any size is cheap."""

    def __init__(self, gray: np.ndarray) -> None:
        self.levels = [gray]

    def level(self, k: int) -> np.ndarray:
        while len(self.levels) <= k and min(self.levels[-1].shape) > 8:
            self.levels.append(cv2.pyrDown(self.levels[-1]))
        return self.levels[min(k, len(self.levels) - 1)]


def context_patches(pyramid: Pyramid, boxes: np.ndarray, polarity: np.ndarray, contrast: np.ndarray,
                    tall: np.ndarray | None = None) -> np.ndarray:
    """(N, 32, 32) context images: 0 is the paper's level (the context's median), 1 the region's
    own ink contrast (``contrast``, grey levels between its strokes and the paper around them),
    clipped to [-1, 1.5]. Ink is bright whatever its polarity. ``tall``: how many times taller
    each region is read (a flat twin's), its context stretched alike."""
    n = len(boxes)
    raw = np.empty((n, CONTEXT, CONTEXT), np.float32)
    for i, (x, y, w, h) in enumerate(boxes):
        t = 1.0 if tall is None else float(tall[i])
        side = CONTEXT_SPAN * max(w, h * t, 4)
        k = max(0, int(np.floor(np.log2(max(side / (2 * CONTEXT), 1.0)))))
        img = pyramid.level(k)
        f = img.shape[0] / pyramid.levels[0].shape[0]
        s = max(2, int(round(side * f)))
        centre = ((x + w / 2.0) * f, (y + h / 2.0) * f)
        patch = cv2.getRectSubPix(img, (s, s) if t == 1.0 else (s, max(2, int(round(s / t)))), centre)
        raw[i] = cv2.resize(patch, (CONTEXT, CONTEXT), interpolation=cv2.INTER_AREA if s > CONTEXT else cv2.INTER_LINEAR)
    if n == 0:
        return raw
    dark = polarity == DARK
    raw[dark] = 255.0 - raw[dark]
    paper = np.median(raw.reshape(n, -1), axis=1)
    span = np.maximum(np.asarray(contrast, np.float32), 12.0)
    out = (raw - paper[:, None, None]) / span[:, None, None]
    return np.clip(out, -1.0, 1.5, out=out)


def context_from_digit(digits: np.ndarray) -> np.ndarray:
    """The context of a digit alone on clean paper (MNIST, the drawing canvas): the 28x28
    digit shrunk so its 20 px box fills the context's central half, on an empty field."""
    digits = np.asarray(digits, np.float32).reshape(-1, SIZE, SIZE)
    inner = int(round(SIZE * CONTEXT / (CONTEXT_SPAN * 20)))  # 28 px field -> 22 px
    off = (CONTEXT - inner) // 2
    out = np.zeros((len(digits), CONTEXT, CONTEXT), np.float32)
    for i, d in enumerate(digits):
        out[i, off:off + inner, off:off + inner] = cv2.resize(d, (inner, inner), interpolation=cv2.INTER_AREA)
    return out


def _batch(hyps: list[Hypothesis], digits: list[np.ndarray], contrast: list[float], pyramid: Pyramid) -> Batch:
    boxes = np.array([hh.box for hh in hyps], np.float64)
    pol = np.array([hh.polarity for hh in hyps], np.int8)
    tall = np.array([hh.tall for hh in hyps], np.float64)
    return Batch(hyps, np.stack(digits), context_patches(pyramid, boxes, pol, np.array(contrast), tall))


def chunks(gray: np.ndarray, strokes: tuple[Strokes, Strokes], hyps: list[Hypothesis],
           pyramid: Pyramid | None = None, max_pieces: int = MAX_FRAME_PIECES, chunk: int = 0) -> Iterator[Batch]:
    """:func:`build`'s batch in consecutive parts of at least ``chunk`` hypotheses each (0: one
    part), so that the model can read one part while the next is built (see engine.reader). A
    piece's ``parent`` indexes the whole batch, whichever part it is in."""
    shape = gray.shape[:2]
    pyramid = pyramid or Pyramid(gray)
    done = 0   # hypotheses in the parts given out already
    all_hyps: list[Hypothesis] = []
    digits: list[np.ndarray] = []
    contrast: list[float] = []
    flat_twins = MAX_FLAT_TWINS
    for hyp in hyps:
        if chunk and len(all_hyps) >= chunk:
            yield _batch(all_hyps, digits, contrast, pyramid)
            done += len(all_hyps)
            all_hyps, digits, contrast = [], [], []
        x, y, w, h = hyp.box
        pad = 2 + h // 10
        (px, py), mask = _mask(strokes[hyp.polarity], hyp, pad, shape)
        patch = gray[py:py + mask.shape[0], px:px + mask.shape[1]]
        parent = done + len(all_hyps)
        all_hyps.append(hyp)
        ink_paper = levels(patch, mask)   # grey levels between its ink and the paper around it
        digits.append(_normalised(patch, mask, ink_paper))
        level = abs(ink_paper[0] - ink_paper[1]) if ink_paper else 0.0
        contrast.append(level)
        if w < NARROW * h:   # (the hypotheses given are wholes: pieces are made below)
            all_hyps.append(Hypothesis(hyp.box, hyp.polarity, hyp.members, hyp.ink, stretch=STRETCH))
            digits.append(_stretched(patch, mask, STRETCH, 1.0, ink_paper))
            contrast.append(level)
        if w > FLAT * h and flat_twins > 0 and hyp.polarity == DARK:
            tall = min(MAX_TALL, w * TALL_TO / h)
            all_hyps.append(Hypothesis(hyp.box, hyp.polarity, hyp.members, hyp.ink, tall=tall))
            digits.append(_stretched(patch, mask, 1.0, tall, ink_paper))
            contrast.append(level)
            flat_twins -= 1
        if w <= SPLIT_FROM * h or max_pieces <= 0:
            continue
        x0 = x - px  # the box's columns inside the padded mask
        box_mask, box_patch = mask[:, x0:x0 + w], patch[:, x0:x0 + w]
        # a big region (a page's edge, a close-up) is cut on a copy shrunk as normalising would
        # shrink it anyway: its pieces cost what a small region's do
        f = min(1.0, NORMALISE_MAX / max(mask.shape))
        if f < 1.0:
            size = (max(1, int(round(w * f))), max(1, int(round(mask.shape[0] * f))))
            box_mask = (cv2.resize(box_mask, size, interpolation=cv2.INTER_AREA) > 40).view(np.uint8) * np.uint8(255)
            box_patch = cv2.resize(box_patch, size, interpolation=cv2.INTER_AREA)
        hs, ws = h * f, box_mask.shape[1]
        bounds = [0, *cut_candidates(box_mask, int(round(hs))), ws]
        spans = [(i, j) for i in range(len(bounds) - 1) for j in range(i + 1, len(bounds))
                 if (i, j) != (0, len(bounds) - 1)  # the whole region is already a hypothesis
                 and PIECE_WIDTH[0] * hs <= bounds[j] - bounds[i] <= PIECE_WIDTH[1] * hs]
        # the pieces most like one digit's width first, as many as the budgets allow
        spans.sort(key=lambda ij: abs(bounds[ij[1]] - bounds[ij[0]] - 0.6 * hs))
        for i, j in spans[: min(max_pieces, MAX_REGION_PIECES)]:
            a, b = bounds[i], bounds[j]
            sub = box_mask[:, a:b]
            ys, xs = np.nonzero(sub)
            if ys.size == 0:
                continue
            bx0, by0 = int((a + xs.min()) / f), int(ys.min() / f)
            bx1, by1 = int(np.ceil((a + xs.max() + 1) / f)), int(np.ceil((ys.max() + 1) / f))
            box = (x + bx0, py + by0, max(1, min(bx1, w) - bx0), max(1, by1 - by0))
            all_hyps.append(Hypothesis(box, hyp.polarity, hyp.members, hyp.ink, parent, i, j, len(bounds) - 1))
            digits.append(_normalised(box_patch[:, a:b], sub))
            contrast.append(level)
            max_pieces -= 1
    if all_hyps:
        yield _batch(all_hyps, digits, contrast, pyramid)


def build(gray: np.ndarray, strokes: tuple[Strokes, Strokes], hyps: list[Hypothesis],
          pyramid: Pyramid | None = None, max_pieces: int = MAX_FRAME_PIECES) -> Batch:
    """Both model inputs for every hypothesis, and the pieces of wide ones appended as more
    hypotheses: at most ``max_pieces`` in all, for the regions in the order given (the reader
    puts the likeliest digits first), so that wood grain cannot multiply a frame's cost."""
    return concatenate(list(chunks(gray, strokes, hyps, pyramid, max_pieces)))


def concatenate(parts: list[Batch]) -> Batch:
    """One batch of consecutive parts (see :func:`chunks`)."""
    if not parts:
        return Batch()
    if len(parts) == 1:
        return parts[0]
    return Batch([h for b in parts for h in b.hyps], np.concatenate([b.digits for b in parts]),
                 np.concatenate([b.contexts for b in parts]))
