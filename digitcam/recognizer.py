"""The engine: frame -> regions -> normalised crops -> one batched model call -> detections.

``scan``, ``live``, ``draw``, ``bench`` and ``eval`` all read digits through :class:`Recognizer`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from digitcam import grouping
from digitcam.detections import Detection, Result, iou_matrix
from digitcam.normalise import normalise, to_gray
from digitcam.regions import FindConfig, Regions, find_regions, region_mask
from digitcam.runtime import Classifier

MAX_PIECES = 5
DIGIT_ASPECT = 0.7   # a typical handwritten digit's width / height, for splitting touching ones
WIDE = 1.2           # wider than this times its height: several digits, unless surely read as one
VERY_WIDE = 1.6      # wider than this: several digits, whatever the whole reads as
SURE = 0.9


@dataclass
class Candidate:
    region: int        # index into Regions
    piece: int         # 0 for the whole region, else 1..n of a split into n
    pieces: int        # n, or 1 for the whole region
    box: tuple[int, int, int, int]
    crop: np.ndarray | None = None  # the normalised 28x28 input


def _cuts(mask: np.ndarray, n: int) -> list[int]:
    """Columns where to split a region into ``n`` digits: the emptiest column near each n-th."""
    profile = (mask > 0).sum(axis=0).astype(np.float32)
    w = len(profile)
    cuts = []
    for k in range(1, n):
        centre = k * w / n
        lo, hi = int(max(1, centre - 0.25 * w / n)), int(min(w - 1, centre + 0.25 * w / n))
        if hi <= lo:
            return []
        cuts.append(lo + int(np.argmin(profile[lo:hi])))
    return cuts


def crops_for_regions(gray: np.ndarray, regions: Regions) -> tuple[list[Candidate], np.ndarray]:
    """Normalised crops of every region, plus split candidates for regions too wide for one digit."""
    cands: list[Candidate] = []
    crops: list[np.ndarray] = []
    for i in range(len(regions)):
        x, y, w, h = (int(v) for v in regions.boxes[i])
        pad = 2 + h // 10
        (px, py, pw, ph), mask = region_mask(regions, i, gray.shape[:2], pad)
        patch = gray[py:py + ph, px:px + pw]
        crops.append(normalise(patch, mask))
        cands.append(Candidate(i, 0, 1, (x, y, w, h), crops[-1]))
        n = int(round(w / (DIGIT_ASPECT * h)))
        if w > 1.05 * h and n >= 2:
            n = min(n, MAX_PIECES)
            cols = [0, *_cuts(mask, n), pw]
            if len(cols) != n + 1:
                continue
            for k in range(n):
                a, b = cols[k], cols[k + 1]
                sub = mask[:, a:b]
                ys, xs = np.nonzero(sub)
                if ys.size == 0:
                    continue
                box = (px + a + int(xs.min()), py + int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
                crops.append(normalise(patch[:, a:b], sub))
                cands.append(Candidate(i, k + 1, n, box, crops[-1]))
    batch = np.stack(crops) if crops else np.zeros((0, 28, 28), np.float32)
    return cands, batch


def choose(cands: list[Candidate], probs: np.ndarray) -> list[tuple[Candidate, np.ndarray]]:
    """For each region keep either the whole region or its split, whichever reads better.

    A split wins when every piece is a digit and its least confident piece beats the whole
    region's confidence (a region read as "not a digit" has confidence 0 as a digit); for a
    region too wide to be one digit (and not read surely as one), when every piece is read with
    confidence over 0.5.
    """
    digit_conf = probs[:, :10].max(axis=1)
    is_digit = probs.argmax(axis=1) < 10
    score = np.where(is_digit, digit_conf, 0.0)
    by_region: dict[int, list[int]] = {}
    for j, c in enumerate(cands):
        by_region.setdefault(c.region, []).append(j)
    chosen = []
    for idx in by_region.values():
        whole = [j for j in idx if cands[j].piece == 0]
        split = [j for j in idx if cands[j].piece > 0]
        use = whole
        if split and len(split) == cands[split[0]].pieces:
            x, y, w, h = cands[whole[0]].box
            # Wider than a handwritten digit usually is, and not read surely as one (a wide 0 is):
            # the split wins unless a piece is not a digit.
            wide = w > VERY_WIDE * h or (w > WIDE * h and score[whole[0]] < SURE)
            bar = 0.5 if wide else max(score[whole[0]], 0.5)
            if score[split].min() > bar:
                use = split
        chosen.extend((cands[j], probs[j]) for j in use)
    return chosen


@dataclass
class Recognizer:
    """Reads every handwritten digit in a frame (grayscale, BGR or BGRA, any size and depth)."""

    classifier: Classifier
    min_confidence: float = 0.6
    max_side: int = 1600          # larger frames are downscaled first, for speed
    find: FindConfig = field(default_factory=FindConfig)

    def __call__(self, frame: np.ndarray) -> Result:
        t0 = time.perf_counter()
        frame = np.asarray(frame)
        if frame.ndim < 2 or min(frame.shape[:2]) < 2:  # empty, 1-D or a single row: nothing to read
            h, w = frame.shape[:2] if frame.ndim >= 2 else (0, 0)
            return Result(int(w), int(h))
        height, width = frame.shape[:2]
        gray = to_gray(frame)
        scale = 1.0
        if max(height, width) > self.max_side:
            scale = self.max_side / max(height, width)
            gray = cv2.resize(gray, (max(1, int(width * scale)), max(1, int(height * scale))), interpolation=cv2.INTER_AREA)
        regions = find_regions(gray, self.find)
        t1 = time.perf_counter()
        cands, batch = crops_for_regions(gray, regions)
        t2 = time.perf_counter()
        probs = self.classifier.predict(batch)
        t3 = time.perf_counter()
        result = self._detections(choose(cands, probs) if len(cands) else [], scale, width, height)
        t4 = time.perf_counter()
        result.timings = {"find": (t1 - t0) * 1e3, "normalise": (t2 - t1) * 1e3, "classify": (t3 - t2) * 1e3,
                          "group": (t4 - t3) * 1e3, "total": (t4 - t0) * 1e3}
        return result

    def _detections(self, chosen: list[tuple[Candidate, np.ndarray]], scale: float, width: int, height: int) -> Result:
        result = Result(width, height)
        keep = [(c, p) for c, p in chosen if p.argmax() < 10 and p[:10].max() >= self.min_confidence]
        if not keep:
            return result
        boxes = np.array([c.box for c, _ in keep], np.float64) / scale
        boxes = np.round(boxes).astype(np.int32)
        conf = np.array([p[:10].max() for _, p in keep])
        # The same digit can be found twice (both polarities, or a split and a whole): keep the surer.
        order = np.argsort(-conf)
        iou = iou_matrix(boxes, boxes)
        alive = np.ones(len(keep), bool)
        for i in order:
            if alive[i]:
                dup = (iou[i] > 0.4) & (conf < conf[i])
                alive &= ~dup
        dets = []
        for j in np.flatnonzero(alive):
            c, p = keep[j]
            digits = p[:10] / max(float(p[:10].sum()), 1e-9)
            dets.append(Detection(tuple(int(v) for v in boxes[j]), int(digits.argmax()), float(p[:10].max()), digits, c.crop))
        result.detections, result.numbers = grouping.read(dets)
        return result
