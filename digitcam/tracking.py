"""Steady labels for live video: follow each digit across frames and smooth what it reads.

A digit's shown label changes only when a different class has clearly overtaken it in the
smoothed probabilities, so a digit held still does not flicker between 1 and 7.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from digitcam.detections import Detection, greedy_pairs, iou_matrix


@dataclass
class Track:
    id: int
    box: np.ndarray           # float (4,) x, y, w, h, smoothed
    probs: np.ndarray         # float (10,) exponentially smoothed digit probabilities
    hits: int = 1
    misses: int = 0
    shown: int | None = None  # the label on screen, once the track has held long enough


@dataclass
class Tracker:
    """Matches detections to tracks by overlap; smooths boxes and probabilities.

    ``min_hits``: frames a digit must be seen before it is shown; ``max_misses``: frames it may
    vanish (blur, a hand passing) before its track ends; ``alpha``: weight of the newest frame;
    ``hysteresis``: lead a new label needs over the shown one before the label changes.
    """

    min_hits: int = 3
    max_misses: int = 6
    alpha: float = 0.35
    hysteresis: float = 0.15
    min_iou: float = 0.25
    tracks: list[Track] = field(default_factory=list)
    _next_id: int = 0

    def update(self, detections: list[Detection]) -> list[Detection]:
        """Feed one frame's detections; returns the steady detections to show, with track ids."""
        boxes = np.array([d.box for d in detections], np.float64).reshape(-1, 4)
        matched_t, matched_d = set(), set()
        if self.tracks and len(detections):
            tb = np.array([t.box for t in self.tracks]).reshape(-1, 4)
            iou = iou_matrix(tb, boxes)
            for ti, di in greedy_pairs(iou, iou >= self.min_iou):
                matched_t.add(ti)
                matched_d.add(di)
                t = self.tracks[ti]
                t.box = 0.5 * t.box + 0.5 * boxes[di]
                t.probs = (1 - self.alpha) * t.probs + self.alpha * detections[di].probs
                t.hits += 1
                t.misses = 0
        for ti, t in enumerate(self.tracks):
            if ti not in matched_t:
                t.misses += 1
        self.tracks = [t for t in self.tracks if t.misses <= self.max_misses]
        for di, d in enumerate(detections):
            if di not in matched_d:
                self.tracks.append(Track(self._next_id, boxes[di].copy(), np.asarray(d.probs, np.float64).copy()))
                self._next_id += 1
        shown = []
        for t in self.tracks:
            if t.hits < self.min_hits:
                continue
            best = int(t.probs.argmax())
            if t.shown is None or (best != t.shown and t.probs[best] > t.probs[t.shown] + self.hysteresis):
                t.shown = best
            if t.misses <= 2:
                box = tuple(int(round(v)) for v in t.box)
                shown.append(Detection(box, t.shown, float(t.probs[t.shown]), t.probs.astype(np.float32)))
        return shown

    def reset(self) -> None:
        self.tracks.clear()
