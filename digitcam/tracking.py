"""Steady labels for live video: follow each digit across frames, decide its label by its history.

Each track predicts where its digit moves next (constant velocity, in pixels per frame), and
detections are matched to the predictions, not to where the digits were: a page moved faster
than a box width per frame keeps its tracks. A track's label is the class with most votes over
its history (each frame adds its probabilities; old frames fade with ``memory``), and the label
on screen changes only when another class leads it by ``hysteresis`` of the votes: a digit held
still does not flicker between 1 and 7, and one misread frame changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from digitcam.detections import Detection, greedy_pairs, iou_matrix


@dataclass
class Track:
    id: int
    box: np.ndarray           # float (4,) x, y, w, h
    velocity: np.ndarray      # float (2,) pixels per frame of the box centre
    votes: np.ndarray         # float (10,) summed probabilities over the track's history
    hits: int = 1
    misses: int = 0
    shown: int | None = None  # the label on screen, once the track has held long enough
    shown_frames: int = 0     # frames it has been on screen

    def predicted(self) -> np.ndarray:
        return np.array([self.box[0] + self.velocity[0], self.box[1] + self.velocity[1], self.box[2], self.box[3]])


@dataclass
class Tracker:
    """Matches detections to where tracks are predicted to be; labels by history.

    ``min_hits``: frames a digit must be seen before it is shown; ``max_misses``: frames it may
    vanish (blur, a hand passing) before its track ends; ``memory``: the weight a frame's vote
    keeps per later frame (0.95: about the last 20 frames count); ``hysteresis``: share of the
    votes by which a new label must lead the shown one; ``gate``: how far (in box sizes) a
    detection may be from a track's predicted centre and still match it when the boxes do not
    overlap enough.
    """

    min_hits: int = 3
    max_misses: int = 8
    memory: float = 0.95
    hysteresis: float = 0.2
    min_iou: float = 0.2
    gate: float = 0.8
    frame_size: tuple[int, int] | None = None   # width, height: tracks that leave it end
    tracks: list[Track] = field(default_factory=list)
    _next_id: int = 0

    def update(self, detections: list[Detection]) -> list[Detection]:
        """Feed one frame's detections; returns the steady detections to show, with track ids."""
        boxes = np.array([d.box for d in detections], np.float64).reshape(-1, 4)
        matched_t, matched_d = set(), set()
        if self.tracks and len(detections):
            pred = np.array([t.predicted() for t in self.tracks]).reshape(-1, 4)
            # a track seen once has no velocity yet: its digit may be anywhere it could have moved
            gate = np.array([self.gate * (2.0 if t.hits < 2 else 1.0) for t in self.tracks])
            for ti, di in greedy_pairs(*self._affinity(pred, boxes, gate)):
                matched_t.add(ti)
                matched_d.add(di)
                self._follow(self.tracks[ti], pred[ti], boxes[di], detections[di].probs)
        for ti, t in enumerate(self.tracks):
            if ti not in matched_t:
                t.misses += 1
                t.box = t.predicted()          # coast where it was going
                t.velocity *= 0.7
        self.tracks = [t for t in self.tracks if t.misses <= self.max_misses and self._inside(t.box)]
        for di, d in enumerate(detections):
            if di not in matched_d:
                self.tracks.append(Track(self._next_id, boxes[di].copy(), np.zeros(2), np.asarray(d.probs, np.float64).copy()))
                self._next_id += 1
        return self._shown()

    def boxes(self) -> np.ndarray:
        """(N, 4) boxes of the tracks, in their order."""
        return np.array([t.box for t in self.tracks], np.float64).reshape(-1, 4)

    def settled(self) -> bool:
        """Whether every track has been seen long enough to be shown (none is still being confirmed)."""
        return bool(self.tracks) and all(t.hits >= self.min_hits for t in self.tracks)

    def carry(self, shifts: np.ndarray) -> list[Detection]:
        """A frame not read by the engine: each track moved by its digit's measured motion
        (``shifts`` (N, 2) in the order of :meth:`boxes`; NaN: unknown, coast on its velocity).
        Nothing is voted and nothing is missed; returns the detections to show."""
        for t, step in zip(self.tracks, np.asarray(shifts, np.float64).reshape(-1, 2)):
            if np.all(np.isfinite(step)):
                t.box = t.box + np.array([step[0], step[1], 0.0, 0.0])
                t.velocity = 0.5 * t.velocity + 0.5 * step
            else:
                t.box = t.predicted()
        self.tracks = [t for t in self.tracks if self._inside(t.box)]
        return self._shown()

    def _affinity(self, pred: np.ndarray, boxes: np.ndarray, gate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pair scores (overlap with the prediction, or nearness of centres within the gate) and
        which pairs may match at all."""
        iou = iou_matrix(pred, boxes)
        pc = pred[:, :2] + pred[:, 2:] / 2
        dc = boxes[:, :2] + boxes[:, 2:] / 2
        dist = np.hypot(pc[:, None, 0] - dc[None, :, 0], pc[:, None, 1] - dc[None, :, 1])
        size = np.maximum(np.maximum(pred[:, None, 2], pred[:, None, 3]), np.maximum(boxes[None, :, 2], boxes[None, :, 3]))
        near = 1.0 - dist / (gate[:, None] * size)
        similar = np.minimum(pred[:, None, 3], boxes[None, :, 3]) / np.maximum(pred[:, None, 3], boxes[None, :, 3]) > 0.5
        score = np.maximum(iou, 0.5 * near)
        return score, ((iou >= self.min_iou) | (near > 0)) & similar

    def _follow(self, t: Track, predicted: np.ndarray, box: np.ndarray, probs: np.ndarray) -> None:
        old_centre = t.box[:2] + t.box[2:] / 2
        new_centre = box[:2] + box[2:] / 2
        step = (new_centre - old_centre) / (t.misses + 1)
        t.velocity = step if t.hits < 2 else 0.5 * t.velocity + 0.5 * step
        t.box = 0.3 * predicted + 0.7 * box if t.hits >= 3 else box.copy()  # smoothed once the motion is known
        t.votes = self.memory * t.votes + np.asarray(probs, np.float64)
        t.hits += 1
        t.misses = 0

    def _inside(self, box: np.ndarray) -> bool:
        if self.frame_size is None:
            return True
        w, h = self.frame_size
        cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
        return 0 <= cx < w and 0 <= cy < h

    def _shown(self) -> list[Detection]:
        shown = []
        for t in self.tracks:
            if t.hits < self.min_hits:
                continue
            share = t.votes / max(float(t.votes.sum()), 1e-9)
            best = int(share.argmax())
            if t.shown is None or (best != t.shown and share[best] > share[t.shown] + self.hysteresis):
                t.shown = best
            if t.misses <= 2:
                t.shown_frames += 1
                box = tuple(int(round(v)) for v in t.box)
                shown.append(Detection(box, t.shown, float(share[t.shown]), share.astype(np.float32), track_id=t.id))
        return shown

    def region(self, margin: float = 2.0) -> tuple[int, int, int, int] | None:
        """The part of the frame where the shown digits are predicted next (x, y, w, h), grown by
        ``margin`` digit heights on every side; None when no digit is followed."""
        boxes = np.array([t.predicted() for t in self.tracks if t.hits >= self.min_hits]).reshape(-1, 4)
        if not len(boxes):
            return None
        pad = margin * float(np.median(boxes[:, 3]))
        x0, y0 = boxes[:, 0].min() - pad, boxes[:, 1].min() - pad
        x1, y1 = (boxes[:, 0] + boxes[:, 2]).max() + pad, (boxes[:, 1] + boxes[:, 3]).max() + pad
        return int(x0), int(y0), int(x1 - x0), int(y1 - y0)

    def steady(self, frames: int) -> list[Track]:
        """Tracks that have been on screen for at least ``frames`` frames."""
        return [t for t in self.tracks if t.shown is not None and t.shown_frames >= frames]

    def reset(self) -> None:
        self.tracks.clear()
