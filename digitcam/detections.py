"""The data passed between stages: a digit, a number, and the result for one frame."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h in pixels of the frame

# The least confidence of a digit the engine reports by default (scan, live, eval, bench; -c sets
# another). Measured from 0.6 to 0.9 (docs/history.md, eighth session): the dev set's F1 is at
# its best, 0.929, from 0.65 to 0.75 (0.925 at 0.6, 0.926 at 0.8, 0.912 at 0.9), while false digits
# on digit-free photographs fall (package photographs 0.42 -> 0.26 per image at 0.65, 0.16 at
# 0.75). Of that plateau, the value that costs least recall on rendered pages held up to a camera
# (squared paper 0.854 at 0.6, 0.844 at 0.65, 0.839 at 0.7; MNIST digits read at 0.65-0.7 are
# then lost, as a number's last digit in tests/test_words_and_rules.py is at 0.7).
MIN_CONFIDENCE = 0.65


@dataclass(frozen=True)
class Detection:
    """One digit: where it is, what it reads, how sure the model is."""

    box: Box
    label: int
    confidence: float
    probs: np.ndarray = field(repr=False, compare=False)  # (10,) probabilities of the digits 0-9
    crop: np.ndarray | None = field(default=None, repr=False, compare=False)  # the 28x28 input the model saw
    track_id: int | None = None   # live: the track that follows this digit across frames

    def to_dict(self) -> dict:
        out = {"label": int(self.label), "confidence": round(float(self.confidence), 4), "box": [int(v) for v in self.box]}
        if self.track_id is not None:
            out["track"] = int(self.track_id)
        return out


@dataclass(frozen=True)
class Number:
    """Digits on one line with similar height and spacing, read left to right."""

    text: str
    confidence: float   # the least confident of its digits
    box: Box
    digits: tuple[int, ...]  # indices into Result.detections

    def to_dict(self) -> dict:
        return {"text": self.text, "confidence": round(float(self.confidence), 4), "box": [int(v) for v in self.box]}


@dataclass
class Result:
    """Everything found in one frame: digits in reading order and the numbers they form."""

    width: int
    height: int
    detections: list[Detection] = field(default_factory=list)
    numbers: list[Number] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage
    rotation: int = 0   # degrees clockwise the image was turned to read it upright
    tilt: float = 0.0   # degrees counter-clockwise its lines lean (read levelled when >= engine.tilt.MIN_TILT)
    next_scale: float = 1.0  # the working scale the next frame of a video is best read at (live)
    rejected_lean: float | None = None  # a lean read levelled without gain (live passes it on)
    face_on: bool = False  # read from the sheet in it seen face-on (engine.page; live passes it on)

    def to_dict(self) -> dict:
        return {
            "width": self.width, "height": self.height, "rotation": self.rotation, "tilt": self.tilt,
            "digits": [d.to_dict() for d in self.detections],
            "numbers": [n.to_dict() for n in self.numbers],
        }

    @property
    def text(self) -> str:
        """The numbers read, separated by two spaces (``42  7  2024``)."""
        return "  ".join(n.text for n in self.numbers)


def union_box(boxes: np.ndarray) -> Box:
    x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
    x1, y1 = (boxes[:, 0] + boxes[:, 2]).max(), (boxes[:, 1] + boxes[:, 3]).max()
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``a`` with every box in ``b`` (x, y, w, h)."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    ix = np.minimum(a[:, None, 0] + a[:, None, 2], b[None, :, 0] + b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    iy = np.minimum(a[:, None, 1] + a[:, None, 3], b[None, :, 1] + b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(ix, 0, None) * np.clip(iy, 0, None)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return inter / np.maximum(union, 1e-9)


def greedy_pairs(score: np.ndarray, allowed: np.ndarray) -> list[tuple[int, int]]:
    """One-to-one (row, column) pairs where ``allowed``, highest ``score`` first."""
    pairs, used_r, used_c = [], set(), set()
    for flat in np.argsort(-score, axis=None, kind="stable"):
        r, c = np.unravel_index(flat, score.shape)
        if allowed[r, c] and r not in used_r and c not in used_c:
            pairs.append((int(r), int(c)))
            used_r.add(r)
            used_c.add(c)
    return pairs
