"""Training the gate (:mod:`digitcam.engine.gate`) on rendered scenes.

Every scene of :mod:`digitcam.train.scenes` (pages of MNIST training digits, some printed, in
front of photographs, wood, fabric, stripes; printed text, rules, grids, hands; frames without
digits) is shrunk as the gate shrinks a frame, a quarter of them turned by 90, 180 or 270
degrees (pages come turned), and each STRIDE-pixel cell is labelled: 1 where a digit's ink lies,
0 elsewhere, and not counted in a ring of one cell around the digit ink (the cells a digit's
blur reaches). The model trains on 256-pixel crops, one around a digit and one elsewhere (a
third of those a digit-free backdrop alone): it is fully convolutional and runs on whole frames.
Its threshold is set on frames of one to three digits it never saw (:func:`calibrate`), and it
is exported for LiteRT beside the classifier with a card holding the threshold and its figures.

``python -m digitcam.train.gate --data mnist.npz --out model/`` (25 minutes here; the shipped
gate's recipe is in ``model/gate.card.json``)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from digitcam.engine.gate import GATE_FILE, GATE_SIDE, STRIDE
from digitcam.train.scenes import map_scenes

RECALL = 0.998      # of held-out frames holding one to three digits, read (see calibrate)
CROP = 256          # training crops, gate pixels
IGNORE = 2          # target value of cells not counted in the loss
MIN_INK = 3         # frame pixels of a digit's ink that make its cell a digit cell
FRAME_SIDE = 1280   # validation scenes are padded to this square (the renderer's largest side)
FEW_FRAMES = 2000   # frames of one to three digits the threshold is set on (4 of them under it)


def _gate_image(scene) -> tuple[np.ndarray, np.ndarray, float]:
    """The scene's gray frame shrunk as the gate shrinks it, its digits' cells ((D, H, W) bool:
    where each digit's ink lies), and the scale."""
    from digitcam.normalise import to_gray

    gray = to_gray(scene.image)
    h, w = gray.shape
    scale = min(1.0, GATE_SIDE / max(h, w))
    small = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else gray
    ch, cw = -(-small.shape[0] // STRIDE), -(-small.shape[1] // STRIDE)
    cells = np.zeros((len(scene.ink), ch, cw), bool)
    for k, pts in enumerate(scene.ink):
        c = np.floor(np.asarray(pts, np.float64) * scale / STRIDE).astype(int)
        c = c[(c[:, 0] >= 0) & (c[:, 0] < cw) & (c[:, 1] >= 0) & (c[:, 1] < ch)]
        counts = np.zeros((ch, cw), np.int32)
        np.add.at(counts, (c[:, 1], c[:, 0]), 1)
        # a tiny digit's ink may spread over cells with less than MIN_INK each: its fullest cell counts
        cells[k] = (counts >= MIN_INK) | ((counts == counts.max()) & (counts > 0))
    return small, cells, scale


def _target(cells: np.ndarray) -> np.ndarray:
    pos = cells.any(axis=0).astype(np.uint8) if len(cells) else np.zeros(cells.shape[1:], np.uint8)
    ring = cv2.dilate(pos, np.ones((3, 3), np.uint8)) > pos
    out = pos.copy()
    out[ring] = IGNORE
    return out


def _quarter_turns(rng: np.random.Generator) -> int:
    """How many quarter turns to give a frame: none three times in four (pages come turned)."""
    return int(rng.integers(1, 4)) if rng.random() < 0.25 else 0


def _texture(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A digit-free frame: what is behind a page, alone (most camera frames hold no page)."""
    from digitcam.synth import specks
    from digitcam.train.scenes import backdrop

    img = specks(h, w, rng) if rng.random() < 0.15 else backdrop(h, w, rng)
    img = np.asarray(img, np.float32)
    gray = img.mean(axis=2) if img.ndim == 3 else img
    gray = gray * rng.uniform(0.6, 1.2) + rng.normal(0, rng.uniform(0.5, 5), gray.shape)
    return np.clip(gray, 0, 255).astype(np.uint8)


def _drawn(scene, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
    """A CROP x CROP drawing of one to three of the scene's digits in a pen's even strokes, large,
    on a plain ground (a drawing canvas, a digit in marker held up to a camera), and its target.

    Rendered scenes draw digits as MNIST wrote them, and a lone large 1 or 7 of even strokes on
    a plain ground looked to the gate like a page's edge (canvas 1s scored 0.15-0.25)."""
    from digitcam.canvas import Canvas, trace_digit

    inks = [np.asarray(p) for p in scene.ink if len(p) >= 20]
    if not inks:
        return None
    n = int(rng.integers(1, 4))
    height = int(rng.integers(40, 176)) if n == 1 else int(rng.integers(30, 110))   # side <= CROP
    canvas = Canvas(size=CROP, thickness=int(np.clip(height * rng.uniform(0.04, 0.14), 3, 30)))
    x = int(rng.integers(0, max(1, CROP - n * height)))
    y = int(rng.integers(0, max(1, CROP - int(height * 28 / 20))))
    for k in range(n):
        pts = inks[int(rng.integers(len(inks)))]
        lo = pts.min(axis=0)
        extent = pts.max(axis=0) - lo + 1
        f = 20.0 / extent.max()
        digit = np.zeros((28, 28), np.uint8)
        q = np.floor((pts - lo) * f + (28 - extent * f) / 2).astype(int).clip(0, 27)
        digit[q[:, 1], q[:, 0]] = 255
        digit = cv2.dilate(digit, np.ones((2, 2), np.uint8))
        side = int(height * 28 / 20)   # the 28x28 square the 20-pixel digit sits in, at scale
        if x + side // 2 >= CROP:
            break
        trace_digit(canvas, digit, (x, y, min(side, CROP - x - 1), min(side, CROP - y - 1)))
        x += int(side * (extent[0] / extent.max() * 20 + 8) / 28 * rng.uniform(0.7, 1.0))
    strokes = canvas.render() > 127
    ground, pen = (rng.uniform(0, 90), rng.uniform(160, 255)) if rng.random() < 0.5 else (rng.uniform(150, 255), rng.uniform(0, 100))
    img = np.where(strokes, pen, ground).astype(np.float32)
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.5)) + rng.normal(0, rng.uniform(0.5, 6), img.shape)
    n_cells = CROP // STRIDE
    counts = strokes.reshape(n_cells, STRIDE, n_cells, STRIDE).sum(axis=(1, 3))
    return np.clip(img, 0, 255).astype(np.uint8), _target((counts >= MIN_INK)[None])


def train_samples(scene) -> tuple[np.ndarray, np.ndarray]:
    """Two CROP x CROP crops of a scene (one around a digit where there is one; the other, a
    third of the time, of a digit-free backdrop, a fifth of the time a drawing of its digits
    in even strokes, see :func:`_drawn`) and their targets."""
    img, cells, _ = _gate_image(scene)
    rng = np.random.default_rng(int(img[::17, ::13].sum()) + len(scene.boxes))
    k = _quarter_turns(rng)
    img, cells = np.ascontiguousarray(np.rot90(img, k)), np.ascontiguousarray(np.rot90(cells, k, axes=(1, 2)))
    target = _target(cells)
    h, w = img.shape
    if h < CROP or w < CROP:   # never for the scenes' sizes; pad to be safe
        ph, pw = max(0, CROP - h), max(0, CROP - w)
        img = cv2.copyMakeBorder(img, 0, ph, 0, pw, cv2.BORDER_REFLECT)
        target = np.pad(target, ((0, -(-ph // STRIDE)), (0, -(-pw // STRIDE))), constant_values=IGNORE)
        h, w = img.shape
    n = CROP // STRIDE
    ch, cw = (h - CROP) // STRIDE, (w - CROP) // STRIDE
    imgs, targets = [], []
    for k in range(2):
        pos = np.argwhere(target == 1)
        other = rng.random() if k == 1 else 1.0
        drawn = _drawn(scene, rng) if other < 0.2 else None
        if drawn is not None:
            imgs.append(drawn[0])
            targets.append(drawn[1])
            continue
        if other < 0.2 + 1 / 3:
            imgs.append(_texture(CROP, CROP, rng))
            targets.append(np.zeros((n, n), np.uint8))
            continue
        if k == 0 and len(pos):
            cy, cx = pos[int(rng.integers(len(pos)))]
            r = int(np.clip(cy - n // 2 + rng.integers(-n // 4, n // 4 + 1), 0, ch))
            c = int(np.clip(cx - n // 2 + rng.integers(-n // 4, n // 4 + 1), 0, cw))
        else:
            r, c = int(rng.integers(0, ch + 1)), int(rng.integers(0, cw + 1))
        imgs.append(img[r * STRIDE:r * STRIDE + CROP, c * STRIDE:c * STRIDE + CROP])
        targets.append(target[r:r + n, c:c + n])
    return np.stack(imgs), np.stack(targets)


def val_samples(scene) -> tuple[np.ndarray, np.ndarray]:
    """A whole frame as the gate sees it (turned as training turns it), and how many digits it holds."""
    from digitcam.normalise import to_gray

    gray = to_gray(scene.image)
    rng = np.random.default_rng(int(gray[::17, ::13].sum()) + len(scene.boxes))
    gray = np.ascontiguousarray(np.rot90(gray, _quarter_turns(rng)))
    h, w = gray.shape
    out = np.zeros((1, FRAME_SIDE, FRAME_SIDE), np.uint8)   # frames differ in size: padded, with it
    out[0, :h, :w] = gray
    return out, np.array([[h, w, len(scene.boxes)]], np.int32)


def few_digit_frames(x: np.ndarray, y: np.ndarray, count: int, seed: int) -> list[np.ndarray]:
    """Frames holding one to three digits (what the gate must not skip, and the hardest to see):
    pages of ``digitcam.synth`` lying flat at 640x480, 800x600 or 1280x720, or held up in front of
    wood or fabric, on plain, ruled or squared paper, digits 20-120 px tall; a quarter turned."""
    from digitcam.normalise import to_gray
    from digitcam.synth import fabric, held_up_page, render_scene, wood

    rng = np.random.default_rng(seed)
    frames = []
    while len(frames) < count:
        n = int(rng.integers(1, 4))
        idx = rng.integers(0, len(x), n)
        held = rng.random() < 0.5
        size = (480, 640) if held else [(480, 640), (600, 800), (720, 1280)][len(frames) % 3]
        scene = render_scene(x[idx], y[idx], rng, size=size, count=n, height=(20, 120), noise=float(rng.uniform(1, 5)),
                             paper=str(rng.choice(["plain", "ruled", "squared"])))
        if not scene.boxes:
            continue
        if held:
            scene = held_up_page(scene, (wood if rng.random() < 0.5 else fabric)(720, 1280, rng), rng)
        gray = to_gray(scene.image)
        frames.append(np.ascontiguousarray(np.rot90(gray, int(rng.integers(1, 4)))) if rng.random() < 0.25 else gray)
    return frames


def build_gate():
    """Fully convolutional: two 3x3 convolutions of stride 2, then four depthwise-separable ones
    (the first of stride 2, the last two dilated: each cell sees ~130 gate pixels around it,
    ~260 of a 720p frame, enough to tell a digit from wood grain or a page's edge), then a 1x1
    to a sigmoid per cell. 10k weights, ~50 MMAC on a 640x360 frame."""
    import keras
    from keras import layers

    def conv(x, ch, stride=1, dilation=1, separable=False):
        if separable:   # a depthwise 3x3 and a 1x1: a ninth of a full convolution's cost
            x = layers.DepthwiseConv2D(3, strides=stride, dilation_rate=dilation, padding="same", use_bias=False)(x)
            x = layers.Conv2D(ch, 1, use_bias=False)(x)
        else:
            x = layers.Conv2D(ch, 3, strides=stride, dilation_rate=dilation, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.ReLU()(x)

    inp = keras.Input((None, None, 1), name="frame")
    x = layers.Rescaling(1 / 255.0)(inp)
    x = conv(x, 8, 2)
    x = conv(x, 16, 2)
    x = conv(x, 32, 2, separable=True)
    x = conv(x, 48, separable=True)
    x = conv(x, 48, dilation=2, separable=True)
    x = conv(x, 48, dilation=4, separable=True)
    out = layers.Conv2D(1, 1, activation="sigmoid", name="digit_ink")(x)
    return keras.Model(inp, out, name="gate")


def _loss(pos_weight: float):
    from keras import ops

    def loss(y_true, y_pred):
        y = y_true[..., 0]
        p = ops.clip(y_pred[..., 0], 1e-6, 1 - 1e-6)
        known = ops.cast(ops.not_equal(y, IGNORE), "float32")
        t = ops.cast(ops.equal(y, 1), "float32")
        bce = -(pos_weight * t * ops.log(p) + (1 - t) * ops.log(1 - p))
        return ops.sum(bce * known) / ops.maximum(ops.sum(known), 1.0)

    return loss


def calibrate(gate, few: list[np.ndarray], scenes: np.ndarray, info: np.ndarray) -> dict:
    """The threshold at which the gate reads RECALL of frames holding one to three digits
    (:func:`few_digit_frames`; a frame of many digits is read when any one of them is seen, so
    the few are the hard case), with ``gate`` (engine.gate.Gate, the exported model); and then
    the share of digits in rendered scenes whose frames it reads, and of digit-free scenes
    it skips."""
    few_best = np.array([gate.heat(f)[0].max() for f in few])
    threshold = float(np.quantile(few_best, 1 - RECALL))
    best = np.array([gate.heat(img[:h, :w])[0].max() for img, (h, w, _) in zip(scenes, info)])
    digits = info[:, 2]
    read = best >= threshold
    return {"threshold": threshold, "few_digit_frames": len(few), "few_digit_frames_read": float((few_best >= threshold).mean()),
            "scenes": int(len(scenes)), "digits_in_scenes_read": float(digits[read].sum() / max(digits.sum(), 1)),
            "digit_free_scenes": int((digits == 0).sum()),
            "digit_free_scenes_skipped": float((~read[digits == 0]).mean()) if (digits == 0).any() else None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m digitcam.train.gate", description="Train the engine's gate on rendered scenes.")
    ap.add_argument("--data", default=None, help="MNIST npz (default: as digitcam train finds it)")
    ap.add_argument("--out", type=Path, required=True, help="folder for gate.tflite, gate.keras and gate.card.json")
    ap.add_argument("--scenes", type=int, default=4000, help="rendered scenes to train on (two crops each)")
    ap.add_argument("--val-scenes", type=int, default=300, help="rendered scenes the card's figures are measured on")
    ap.add_argument("--epochs", type=int, default=18)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backdrops", type=Path, default=None,
                    help="a folder of digit-free photographs (python -m digitcam.train.photos DIR: DIR/train) behind "
                         "the pages and as digit-free crops, beside the package ones")
    ap.add_argument("--recalibrate", action="store_true",
                    help="do not train: set the threshold of the gate.tflite already in --out anew, and its card")
    args = ap.parse_args(argv)

    from digitcam.data import load_mnist
    from digitcam.errors import DigitcamError

    if not args.out.is_dir():
        print(f"{ap.prog}: {args.out} is not a folder; pass the model folder (model/)", file=sys.stderr)
        return 2
    if args.backdrops is not None and not args.backdrops.is_dir():
        print(f"{ap.prog}: {args.backdrops} is not a folder; pass a folder of digit-free photographs", file=sys.stderr)
        return 2
    backdrops = str(args.backdrops) if args.backdrops else None
    try:
        mnist = load_mnist(args.data)
    except DigitcamError as e:
        print(f"{ap.prog}: {e}", file=sys.stderr)
        return 2
    n_val = len(mnist.x_train) // 12   # the classifier's validation digits stay out here too
    x, y = mnist.x_train[:-n_val], mnist.y_train[:-n_val].astype(np.int32)
    t0 = time.time()
    if args.recalibrate:
        return _recalibrate(args, mnist, n_val, x, y)
    imgs, targets = map_scenes(train_samples, x, y, args.scenes, args.seed * 7919 + 101, printed_pages=True,
                               backdrops=backdrops)
    val = map_scenes(val_samples, x, y, args.val_scenes, args.seed * 7919 + 90001, printed_pages=True)
    print(f"rendered {len(imgs)} crops and {len(val[0])} validation scenes in {time.time() - t0:.0f} s", flush=True)

    from digitcam.quiet import quiet_tensorflow

    quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(args.seed)
    model = build_gate()
    pos = float((targets == 1).mean())
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=_loss(pos_weight=min(10.0, 0.25 / max(pos, 1e-6))))
    order = np.random.default_rng(args.seed).permutation(len(imgs))
    n_hold = max(1, len(imgs) // 20)
    tr, va = order[n_hold:], order[:n_hold]
    xs = imgs[..., None].astype(np.float32)
    ys = targets[..., None].astype(np.float32)
    sched = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2, min_lr=1e-4)
    model.fit(xs[tr], ys[tr], validation_data=(xs[va], ys[va]), epochs=args.epochs, batch_size=32, verbose=2,
              callbacks=[sched])
    model.save(args.out / "gate.keras")
    from digitcam.quiet import silenced_output

    with silenced_output():
        model.export(str(args.out / GATE_FILE), format="litert")
    figures = _calibrated(args, mnist, n_val, val)
    figures.update({"training_scenes": args.scenes, "epochs": args.epochs, "positive_cells": pos,
                    "seconds": round(time.time() - t0)})
    _write_card(args, figures)
    return 0


def _calibrated(args, mnist, n_val: int, val) -> dict:
    """Calibrate the exported gate in ``args.out`` on few-digit frames of MNIST digits held out
    of its training (the classifier's validation split) and on the validation scenes."""
    from digitcam.engine.gate import Gate, litert_runner

    gate = Gate(litert_runner(args.out / GATE_FILE), 0.0)
    few = few_digit_frames(mnist.x_train[-n_val:], mnist.y_train[-n_val:], FEW_FRAMES, args.seed * 7919 + 5)
    figures = calibrate(gate, few, *val)
    print(json.dumps(figures, indent=1), flush=True)
    return figures


def _recalibrate(args, mnist, n_val: int, x: np.ndarray, y: np.ndarray) -> int:
    if not (args.out / GATE_FILE).exists():
        print(f"python -m digitcam.train.gate: no {args.out / GATE_FILE} to recalibrate; train one first", file=sys.stderr)
        return 2
    val = map_scenes(val_samples, x, y, args.val_scenes, args.seed * 7919 + 90001, printed_pages=True)
    old = json.loads((args.out / "gate.card.json").read_text()) if (args.out / "gate.card.json").exists() else {}
    figures = _calibrated(args, mnist, n_val, val)
    figures.update({k: old[k] for k in ("training_scenes", "epochs", "positive_cells", "seconds") if k in old})
    figures["recalibrated"] = time.strftime("%Y-%m-%d")
    args.scenes, args.epochs = old.get("training_scenes", args.scenes), old.get("epochs", args.epochs)
    _write_card(args, figures, old.get("recipe"))
    return 0


def _write_card(args, figures: dict, recipe: str | None = None) -> None:
    """The gate's card; ``recipe``: the training command to record (a recalibration keeps the old one)."""
    card = {"model": "gate.keras", "export": GATE_FILE, "input": "frame: (1, H, W, 1) float32 grey levels 0-255, "
            f"shrunk to {GATE_SIDE} px on its longer side", "output": f"(1, H/{STRIDE}, W/{STRIDE}, 1): digit ink per cell",
            "recipe": recipe or (f"python -m digitcam.train.gate --data mnist.npz --out model/ --scenes {args.scenes} "
                                 f"--epochs {args.epochs} --seed {args.seed}"
                                 + (f" --backdrops {args.backdrops}" if args.backdrops else "")),
            "created": time.strftime("%Y-%m-%d"),
            **figures}
    (args.out / "gate.card.json").write_text(json.dumps(card, indent=1) + "\n")
    print(f"wrote {args.out / GATE_FILE} (threshold {figures['threshold']:.3f})")


if __name__ == "__main__":
    raise SystemExit(main())
