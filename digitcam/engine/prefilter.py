"""Stage 3b, the first look: a tiny model that drops hypotheses no digit could be, before any crop.

A page held up in front of wood or fabric gives hundreds of hypotheses, nearly all of them grain,
folds and specks; cutting, normalising and classifying each costs ~0.3 ms. This model costs a
few microseconds per hypothesis: a two-layer perceptron over features read in O(1) from the
stroke stats and a summed-area table of the ink (its size and shape, how much ink it holds,
how much ink surrounds it, runs on past it to the sides or above and below, how its height
compares with the frame's other hypotheses). It is trained by ``digitcam train`` on the same
rendered scenes as the CNN, labelled by the same truth, and its threshold is set for a recall of
``RECALL`` on held-out scenes: it only removes what is surely not a digit; the CNN decides the rest.
Its weights live in the model card beside the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitcam.engine.candidates import Hypothesis
from digitcam.engine.components import DENSITY_POOL, Strokes

RECALL = 0.998  # of hypotheses that overlap a true digit, on held-out rendered scenes (0.995 cut
               # digits of pages held up in front of fabric: F1 0.836 -> 0.817 on 16 such frames)
# Ink darker than this (its contrast with the paper, 0..1) counts as this dark. The rendered
# scenes the prefilter learned from hold few digits darker (90th percentile 0.39), and the fit
# turned dark ink into evidence against a digit: with every training digit's contrast set to
# 0.3 it keeps 99.8% of them (its RECALL), at 0.6 57%, at 0.8 8%, so black pen on white paper,
# in a frame busy enough for the prefilter to run, was dropped. 0.3 is the darkest ink at which
# the shipped prefilter still keeps RECALL of the training digits (measured on 1,500 scenes).
# Held-up bench pages: recall 0.911 / 0.922 / 0.820 -> 0.943 / 0.943 / 0.841 (plain, ruled,
# squared; 16 frames each); dev F1 0.924 -> 0.925; digit-free images the same.
INK_CONTRAST_MAX = 0.3
FEATURES = ("log_height", "log_aspect", "fill", "strokes", "ring_ink", "side_ink", "above_below_ink",
            "inside_ink", "log_height_vs_median", "height_vs_frame", "touches_border", "polarity", "background", "contrast")


def _box_sums(table: np.ndarray, x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
    """Sums of the pooled ink over boxes (working pixels, clipped), from a summed-area table."""
    h, w = table.shape[0] - 1, table.shape[1] - 1
    f = 1.0 / DENSITY_POOL
    ax0 = np.clip(np.floor(x0 * f), 0, w).astype(int)
    ay0 = np.clip(np.floor(y0 * f), 0, h).astype(int)
    ax1 = np.clip(np.ceil(x1 * f), 0, w).astype(int)
    ay1 = np.clip(np.ceil(y1 * f), 0, h).astype(int)
    s = table[ay1, ax1] - table[ay0, ax1] - table[ay1, ax0] + table[ay0, ax0]
    area = np.maximum((ax1 - ax0) * (ay1 - ay0), 1)
    return s / (255.0 * area)


def features(strokes: tuple[Strokes, Strokes], hyps: list[Hypothesis], frame: tuple[int, int],
             whole: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """(N, len(FEATURES)) float32 features of whole hypotheses in an image of ``frame`` (height,
    width) working pixels. ``whole``: where that image is a part of a frame (a closer look, see
    engine.scale.closer_box), the part's place in it and the frame's size (x, y, height, width,
    working pixels): a hypothesis' height and whether it touches the border are the frame's."""
    n = len(hyps)
    if n == 0:
        return np.zeros((0, len(FEATURES)), np.float32)
    H, W = frame
    b = np.array([h.box for h in hyps], np.float64)
    x, y, w, hh = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    pol = np.array([h.polarity for h in hyps])
    ink = np.array([h.ink for h in hyps], np.float64)
    members = np.array([len(h.members) for h in hyps], np.float64)
    side = np.maximum(w, hh)
    out = np.zeros((n, len(FEATURES)), np.float32)
    out[:, 0] = np.log(hh)
    out[:, 1] = np.log(w / hh)
    out[:, 2] = ink / (w * hh)
    out[:, 3] = np.minimum(members, 8) / 8
    for p in (0, 1):
        sel = pol == p
        if not sel.any():
            continue
        t = strokes[p].density
        xs, ys, ws, hs, ss = x[sel], y[sel], w[sel], hh[sel], side[sel]
        inside = _box_sums(t, xs, ys, xs + ws, ys + hs)
        big = _box_sums(t, xs - ss / 2, ys - ss / 2, xs + ws + ss / 2, ys + hs + ss / 2)
        area_in, area_big = ws * hs, (ws + ss) * (hs + ss)
        out[sel, 4] = np.clip((big * area_big - inside * area_in) / np.maximum(area_big - area_in, 1), 0, 1)
        out[sel, 5] = (_box_sums(t, xs - ss, ys, xs, ys + hs) + _box_sums(t, xs + ws, ys, xs + ws + ss, ys + hs)) / 2
        out[sel, 6] = (_box_sums(t, xs, ys - ss, xs + ws, ys) + _box_sums(t, xs, ys + hs, xs + ws, ys + hs + ss)) / 2
        out[sel, 7] = inside
        bg = strokes[p].background
        cy = np.clip((ys + hs / 2).astype(int), 0, H - 1)
        cx = np.clip((xs + ws / 2).astype(int), 0, W - 1)
        out[sel, 12] = bg[cy, cx] / 255.0
        level = _box_sums(strokes[p].ink_gray, xs, ys, xs + ws, ys + hs) / np.maximum(inside, 1e-3)
        out[sel, 13] = np.minimum(np.abs(bg[cy, cx] / 255.0 - level), INK_CONTRAST_MAX)
    out[:, 8] = np.log(hh / np.median(hh))
    ox, oy, FH, FW = (0, 0, H, W) if whole is None else whole
    fx, fy = x + ox, y + oy
    out[:, 9] = hh / FH
    out[:, 10] = ((fx <= 1) | (fy <= 1) | (fx + w >= FW - 1) | (fy + hh >= FH - 1)).astype(np.float32)
    out[:, 11] = pol
    return out


@dataclass
class Prefilter:
    """The first-look model: standardise, one hidden ReLU layer, a logistic output."""

    mean: np.ndarray
    std: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float
    threshold: float

    def scores(self, feats: np.ndarray) -> np.ndarray:
        z = (feats - self.mean) / self.std
        hidden = np.maximum(z @ self.w1 + self.b1, 0.0)
        return 1.0 / (1.0 + np.exp(-np.clip(hidden @ self.w2 + self.b2, -50.0, 50.0)))

    def keep(self, feats: np.ndarray) -> np.ndarray:
        return self.scores(feats) >= self.threshold

    def to_dict(self) -> dict:
        return {"features": list(FEATURES), "mean": self.mean.tolist(), "std": self.std.tolist(), "w1": self.w1.tolist(),
                "b1": self.b1.tolist(), "w2": self.w2.tolist(), "b2": float(self.b2), "threshold": float(self.threshold),
                "recall": RECALL}

    @classmethod
    def from_dict(cls, d: dict) -> "Prefilter":
        if list(d.get("features", [])) != list(FEATURES):
            raise ValueError("prefilter features differ from this version's")
        a = lambda k: np.asarray(d[k], np.float32)  # noqa: E731
        return cls(a("mean"), a("std"), a("w1"), a("b1"), a("w2"), float(d["b2"]), float(d["threshold"]))


def load_prefilter(model_path: Path) -> Prefilter | None:
    """The prefilter stored in the card beside a model, or None (every hypothesis goes to the CNN)."""
    card = Path(model_path).with_suffix("").with_name(Path(model_path).stem + ".card.json")
    try:
        return Prefilter.from_dict(json.loads(card.read_text())["prefilter"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
