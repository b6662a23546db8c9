"""``python -m digitcam.train.printed``: the printed-digit reader (``model/printed.tflite``).

The CNN reads handwriting; taught printed digits too, it unlearned what a plain stroke and a
digit-free photograph are (docs/history.md: every fine-tune with printed digits moved the dev photos).
So printed digits get a small reader of their own, that the engine asks beside the CNN and only
ever listens to where it is sure (:mod:`digitcam.engine.printed`).

Reads top to bottom: scenes whose every digit is printed (sudoku grids, rows of numbers among
printed words, in the TrueType faces matplotlib ships, :data:`digitcam.train.scenes.TYPEFACES`)
and the CNN's own scenes (their handwritten digits left out, their other regions kept as "not a
digit"); every hypothesis the engine makes on them, labelled by the scenes' truth; a small
convnet on the 28x28 crop alone; an int8 LiteRT export; a card with its figures on held-out
scenes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

from digitcam.errors import DigitcamError

NOT_A_DIGIT = 10
FILTERS = (16, 32, 64)   # the three convolutions' widths


def build(seed: int = 0):
    """A small convnet on the 28x28 crop: three 3x3 convolutions, each halving the map, and a
    dense layer (about 2 million multiply-adds a crop, a tenth of the CNN's)."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    digit = keras.Input((28, 28, 1), name="digit")
    x = digit
    for filters in FILTERS:
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(layers.Dropout(0.2)(x))
    x = layers.Dense(64, activation="relu")(x)
    out = layers.Dense(NOT_A_DIGIT + 1, activation="softmax", name="printed")(layers.Dropout(0.3)(x))
    return keras.Model(digit, out, name="digitcam_printed")


def samples(x: np.ndarray, y: np.ndarray, printed: int, ordinary: int, seed: int, workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(crops, labels): every hypothesis on ``printed`` scenes printed all through, and the
    "not a digit" ones of ``ordinary`` scenes (the CNN's recipe)."""
    from digitcam.train.scenes import map_scenes, scene_samples

    fn = partial(scene_samples, max_negatives=40)
    pd, _, pl = map_scenes(fn, x, y, printed, seed * 7919 + 3, workers=workers, printed_pages="all")
    od, _, ol = map_scenes(fn, x, y, ordinary, seed * 7919 + 5, workers=workers)
    keep = ol == NOT_A_DIGIT
    return np.concatenate([pd, od[keep]]), np.concatenate([pl, ol[keep]]).astype(np.int32)


def figures(probs: np.ndarray, labels: np.ndarray, sure: float) -> dict:
    """What the engine would take from the reader on held-out crops: at ``sure``, the share of
    printed digits read right, and of non-digits read as a digit."""
    top, p = probs.argmax(axis=1), probs.max(axis=1)
    digit = labels < NOT_A_DIGIT
    said = (top < NOT_A_DIGIT) & (p >= sure)
    return {"crops": int(len(labels)), "digits": int(digit.sum()),
            "accuracy": round(float((top == labels).mean()), 4),
            "digits_read_sure": round(float((said & (top == labels))[digit].mean()), 4) if digit.any() else None,
            "non_digits_read_sure": round(float(said[~digit].mean()), 5) if (~digit).any() else None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m digitcam.train.printed", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="mnist.npz (its training digits fill the CNN's scenes)")
    ap.add_argument("--out", type=Path, default=Path("model"), help="folder for printed.keras, printed.tflite and printed.card.json")
    ap.add_argument("--printed-scenes", type=int, default=1500, help="scenes printed all through (default 1500)")
    ap.add_argument("--scenes", type=int, default=800, help="scenes of the CNN's recipe, their non-digits only (default 800)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    try:
        return _run(args)
    except DigitcamError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from digitcam.data import load_mnist
    from digitcam.engine.printed import SURE

    if args.printed_scenes < 10 or args.epochs < 1:
        raise DigitcamError("--printed-scenes must be at least 10 and --epochs at least 1")
    args.out.mkdir(parents=True, exist_ok=True)
    mnist = load_mnist(args.data)
    t0 = time.time()
    d, lab = samples(mnist.x_train, mnist.y_train, args.printed_scenes, args.scenes, args.seed)
    vd, vl = samples(mnist.x_test, mnist.y_test, max(10, args.printed_scenes // 6), max(10, args.scenes // 6), args.seed + 1)
    print(f"{len(lab)} training crops ({int((lab < NOT_A_DIGIT).sum())} printed digits), {len(vl)} held-out; "
          f"rendered in {time.time() - t0:.0f} s", flush=True)

    import keras

    from digitcam.train.export import export_tflite

    model = build(args.seed)
    steps = args.epochs * (len(lab) // 128 + 1)
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(d[..., None], lab, batch_size=128, epochs=args.epochs, validation_data=(vd[..., None], vl), verbose=2)
    plain = build(args.seed)   # the weights without the optimiser's state (a third of the size)
    plain.set_weights(model.get_weights())
    plain.save(args.out / "printed.keras")
    rng = np.random.default_rng(args.seed)
    rep = d[rng.choice(len(d), 512, replace=False)][..., None]
    export_tflite(model, args.out / "printed.tflite", (rep, None))
    probs = model.predict(vd[..., None], batch_size=512, verbose=0)
    card = {"model": "printed.keras", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "input": "digit: 28x28x1 float32 in [0, 1], the CNN's crop", "output": "(N, 11): the digits 0-9, not a digit",
            "sure": SURE, "filters": list(FILTERS), "printed_scenes": args.printed_scenes, "scenes": args.scenes, "epochs": args.epochs,
            "seed": args.seed, "training_crops": int(len(lab)), "training_seconds": round(time.time() - t0, 1),
            "held_out": figures(probs, vl, SURE)}
    (args.out / "printed.card.json").write_text(json.dumps(card, indent=1) + "\n")
    print(json.dumps(card["held_out"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
