"""Training the first-look model (:mod:`digitcam.engine.prefilter`) on rendered scenes.

Every whole hypothesis the engine proposes on a scene is a sample; it is positive when it
overlaps a true digit at all (IoU >= NEGATIVE_IOU of the CNN's labelling: a digit, part of one,
or a merge holding one), since the prefilter must never drop what the CNN could read. A 2-layer
perceptron is fitted by Adam on the logistic loss in NumPy (a few seconds), and its threshold is
the score that keeps RECALL of the positives of scenes it was not fitted on.

Run alone (adds the prefilter to an existing model's card):
``python -m digitcam.train.prefilter --data mnist.npz --card model/mnist_cnn.card.json``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from digitcam.detections import iou_matrix
from digitcam.engine.prefilter import FEATURES, RECALL, Prefilter, features
from digitcam.train.scenes import NEGATIVE_IOU, map_scenes


def scene_features(scene) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels (1: overlaps a true digit) of every hypothesis of a scene."""
    from digitcam.engine.candidates import propose
    from digitcam.engine.components import find_strokes
    from digitcam.normalise import to_gray

    gray = to_gray(scene.image)
    strokes = find_strokes(gray)
    hyps = propose(strokes, gray.shape[:2])
    f = features(strokes, hyps, gray.shape[:2])
    if not hyps:
        return f, np.zeros(0, np.float32)
    if not scene.boxes:
        return f, np.zeros(len(hyps), np.float32)
    iou = iou_matrix(np.array([h.box for h in hyps], np.float64), np.array([b[:4] for b in scene.boxes], np.float64))
    return f, (iou.max(axis=1) >= NEGATIVE_IOU).astype(np.float32)


def render_features(x: np.ndarray, y: np.ndarray, scenes: int, seed: int, workers: int = 2,
                    printed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of every hypothesis on ``scenes`` rendered scenes; ``printed``: some
    pages print their digits (see train.scenes._write)."""
    return map_scenes(scene_features, x, y, scenes, seed * 7919, workers=workers, printed_pages=printed)


def fit(f: np.ndarray, y: np.ndarray, hidden: int = 32, steps: int = 3000, lr: float = 0.01, seed: int = 0) -> Prefilter:
    """Full-batch Adam on the class-balanced logistic loss."""
    rng = np.random.default_rng(seed)
    mean, std = f.mean(axis=0), f.std(axis=0) + 1e-6
    z = ((f - mean) / std).astype(np.float64)
    params = [rng.normal(0, np.sqrt(2 / z.shape[1]), (z.shape[1], hidden)), np.zeros(hidden),
              rng.normal(0, np.sqrt(1 / hidden), hidden), np.zeros(1)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    wpos = 0.5 / max(y.mean(), 1e-6)
    weight = np.where(y > 0, wpos, 0.5 / max(1 - y.mean(), 1e-6)) / len(y)
    for t in range(1, steps + 1):
        w1, b1, w2, b2 = params
        a = z @ w1 + b1
        h = np.maximum(a, 0)
        p = 1 / (1 + np.exp(-(h @ w2 + b2)))
        g = (p - y) * weight
        gw2, gb2 = h.T @ g, np.array([g.sum()])
        gh = np.outer(g, w2) * (a > 0)
        grads = [z.T @ gh, gh.sum(axis=0), gw2, gb2]
        for i, gr in enumerate(grads):
            m[i] = 0.9 * m[i] + 0.1 * gr
            v[i] = 0.999 * v[i] + 0.001 * gr * gr
            params[i] = params[i] - lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    w1, b1, w2, b2 = params
    return Prefilter(mean.astype(np.float32), std.astype(np.float32), w1.astype(np.float32), b1.astype(np.float32),
                     w2.astype(np.float32), float(b2[0]), 0.5)


def train_prefilter(x: np.ndarray, y: np.ndarray, scenes: int = 1500, seed: int = 0, log=print,
                    printed: bool = False) -> tuple[Prefilter, dict]:
    """Fit on ``scenes`` rendered scenes, set the threshold on a third as many fresh ones; returns
    it and its figures. ``printed``: some pages print their digits (not the shipped prefilter's
    recipe: see docs/history.md)."""
    f, lab = render_features(x, y, scenes, seed, printed=printed)
    pf = fit(f, lab, seed=seed)
    fv, lv = render_features(x, y, max(4, scenes // 3), seed + 1, printed=printed)
    s = pf.scores(fv)
    pos = np.sort(s[lv > 0])
    pf.threshold = float(pos[int(np.floor((1 - RECALL) * len(pos)))]) if len(pos) else 0.5
    kept = s >= pf.threshold
    figures = {"scenes": scenes, "samples": int(len(lab)), "positives": int(lab.sum()),
               "held_out_recall": float(kept[lv > 0].mean()) if (lv > 0).any() else None,
               "held_out_kept_negatives": float(kept[lv == 0].mean()) if (lv == 0).any() else None,
               "held_out_kept": float(kept.mean()), "threshold": pf.threshold}
    if figures["held_out_recall"] is not None and figures["held_out_kept_negatives"] is not None:
        log(f"prefilter: keeps {figures['held_out_recall']:.1%} of hypotheses near digits and "
            f"{figures['held_out_kept_negatives']:.1%} of the others on held-out scenes")
    return pf, figures


def main(argv: list[str] | None = None) -> int:
    import sys

    from digitcam.data import load_mnist
    from digitcam.errors import DigitcamError
    from digitcam.train.card import write_json_atomic

    ap = argparse.ArgumentParser(prog="python -m digitcam.train.prefilter",
                                 description="Fit the first-look prefilter and store it in a model card.")
    ap.add_argument("--data", default=None, help="MNIST npz (default: as digitcam train finds it)")
    ap.add_argument("--card", required=True, type=Path, help="the model card JSON to add the prefilter to")
    ap.add_argument("--scenes", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--printed", action="store_true", help="print some pages' digits in the scenes (bold sudoku digits)")
    args = ap.parse_args(argv)
    try:  # the card and the data are checked before minutes of rendering
        card = json.loads(args.card.read_text())
        if not isinstance(card, dict):
            raise ValueError("not a JSON object")
        mnist = load_mnist(args.data)
    except (OSError, ValueError) as e:
        print(f"{ap.prog}: cannot read the card {args.card} ({e}); pass the .card.json beside a model", file=sys.stderr)
        return 2
    except DigitcamError as e:
        print(f"{ap.prog}: {e}", file=sys.stderr)
        return 2
    n_val = len(mnist.x_train) // 12
    pf, figs = train_prefilter(mnist.x_train[:-n_val], mnist.y_train[:-n_val].astype(np.int32), args.scenes, args.seed,
                               printed=args.printed)
    card["prefilter"] = {**pf.to_dict(), "figures": figs}
    write_json_atomic(args.card, card)
    print(f"wrote the prefilter into {args.card} ({len(FEATURES)} features)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
