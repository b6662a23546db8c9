"""Several trained models served as one: each head's probabilities averaged, in one call.

Two CNNs trained alike from different seeds agree on what is plainly a digit and may disagree
on what is not (a floorboard's gap, a letter, a speck one of them reads as a digit). The served
model is one graph, so the engine still makes one LiteRT call a frame; it costs the members'
time together. Measured on the shipped model and a second seed, the mean read the dev photos
less well (F1 0.935 against 0.941) and is not shipped (docs/history.md, sixteenth session).

    python -m digitcam.train.ensemble --output ens.keras --data mnist.npz A.keras B.keras

writes the ensemble, its int8 LiteRT file and its card (the members' cards inside it; the first
member's prefilter, which ranks the engine's hypotheses and so does not depend on the CNN).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from digitcam.errors import DigitcamError
from digitcam.train.card import card_paths
from digitcam.train.model import MEMBER


def ensemble_model(members: list):
    """The served model of ``members`` (served models: inputs digit and context, an (N, 22)
    output): the mean of their outputs, head by head (each output is two softmaxes side by side)."""
    import keras
    from keras import layers

    digit = keras.Input((28, 28, 1), name="digit")
    context = keras.Input((32, 32, 1), name="context")
    # each member keeps its layers (and weights) under a name of its own (train.model.members_of)
    outs = [keras.Model(m.inputs, m.output, name=MEMBER.format(i))([digit, context]) for i, m in enumerate(members)]
    mean = layers.Average(name="probs")(outs) if len(outs) > 1 else outs[0]
    return keras.Model([digit, context], mean, name="digitcam_reader")


def _card(path: Path) -> dict:
    card = card_paths(path)["card"]
    try:
        return json.loads(card.read_text())
    except (OSError, ValueError):
        raise DigitcamError(f"{path} has no readable card ({card.name}); an ensemble is made of models digitcam train wrote",
                            exit_code=2) from None


def _representative(mnist, seed: int, scenes: int, count: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Inputs that calibrate the int8 export: MNIST training digits alone and the engine's
    hypotheses on rendered scenes, half each (as a training run calibrates its own)."""
    from digitcam.engine.crops import context_from_digit
    from digitcam.train.pipeline import render_scene_samples

    rng = np.random.default_rng(seed)
    pick = rng.choice(len(mnist.x_train), count // 2, replace=False)
    digits = mnist.x_train[pick].astype(np.float32) / 255.0
    sd, sc, _ = render_scene_samples(mnist.x_train, mnist.y_train.astype(np.int32), scenes, seed, 30)
    take = rng.choice(len(sd), min(count - len(pick), len(sd)), replace=False)
    d = np.concatenate([digits, sd[take]])[..., None]
    c = np.concatenate([context_from_digit(digits), sc[take]])[..., None]
    return d, c


def build(paths: list[Path], output: Path, data: str | None = None, seed: int = 0, scenes: int = 24) -> dict:
    """Write the ensemble of the models at ``paths`` to ``output`` (with its LiteRT file and
    card); returns the card."""
    from digitcam.quiet import quiet_tensorflow

    quiet_tensorflow()
    import keras

    from digitcam.data import load_mnist
    from digitcam.engine.crops import context_from_digit
    from digitcam.train.card import confusion_matrix, per_class_accuracy, plot_confusion, plot_curves, write_model_set
    from digitcam.train.export import export_tflite
    from digitcam.train.model import NUM_CLASSES

    cards = [_card(p) for p in paths]
    mnist = load_mnist(data)
    members = []
    for p in paths:
        try:
            members.append(keras.models.load_model(p, compile=False, safe_mode=True))
        except Exception as exc:  # noqa: BLE001 - Keras raises many kinds for a file that is no model
            raise DigitcamError(f"cannot load {p} as a Keras model ({type(exc).__name__}); an ensemble is made of models "
                                "digitcam train wrote", exit_code=2) from None
    shapes = {tuple(tuple(t.shape[1:]) for t in m.inputs) + (tuple(m.output.shape[1:]),) for m in members}
    if len(shapes) != 1:
        raise DigitcamError("the models take or give differently shaped tensors; an ensemble's members must share one contract",
                            exit_code=2)
    served = ensemble_model(members)
    x = mnist.x_test.astype(np.float32) / 255.0
    probs = served.predict([x[..., None], context_from_digit(x)[..., None]], batch_size=1024, verbose=0)
    pred = probs[:, :10].argmax(axis=1)
    cm = confusion_matrix(mnist.y_test, pred)
    card = {
        "model": output.name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "ensemble": "the mean of its members' probabilities, head by head, in one graph",
        "classes": cards[0].get("classes"),
        "input": cards[0].get("input"),
        "output": cards[0].get("output"),
        "test_accuracy": float((pred == mnist.y_test).mean()),
        "test_accuracy_crop_head": float((probs[:, NUM_CLASSES:NUM_CLASSES + 10].argmax(axis=1) == mnist.y_test).mean()),
        "test_digits": int(len(mnist.y_test)),
        "prefilter": cards[0].get("prefilter"),   # none: every hypothesis goes to the CNN
        "per_class_accuracy": per_class_accuracy(cm),
        "confusion_matrix": cm.tolist(),
        "parameters": int(served.count_params()),
        "epochs": max(int(c.get("epochs", 0)) for c in cards),
        "training_seconds": round(sum(float(c.get("training_seconds", 0.0)) for c in cards), 1),
        "dataset": cards[0].get("dataset"),
        "augmentation": cards[0].get("augmentation"),
        "history": {},   # each member's is in its card below
        "members": [{"model": p.name, **{k: v for k, v in c.items() if k not in ("prefilter", "confusion_matrix", "files")}}
                    for p, c in zip(paths, cards)],
        "runtime_files": {"keras": output.name, "tflite": card_paths(output)["tflite"].name,
                          "tflite_quantisation": "int8 weights and activations, float input and output"},
    }
    representative = _representative(mnist, seed, scenes)
    write_model_set(served.save, lambda p: export_tflite(served, p, representative), card, output)
    plot_confusion(cm, card_paths(output)["confusion"])
    plot_curves({}, card_paths(output)["curves"], members=[c.get("history", {}) for c in cards])
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m digitcam.train.ensemble",
                                     description="Serve several trained models (digitcam train) as one: the mean of their "
                                                 "probabilities, head by head, in one LiteRT call.")
    parser.add_argument("models", nargs="+", type=Path, help="two or more .keras models written by digitcam train")
    parser.add_argument("--output", "-o", type=Path, required=True, help="where to write the ensemble (.keras; its .tflite and card beside it)")
    parser.add_argument("--data", help="MNIST (mnist.npz or a folder of IDX files), to score the ensemble and calibrate its int8 export")
    parser.add_argument("--scenes", type=int, default=24, help="rendered scenes whose hypotheses (with MNIST digits) calibrate the int8 export")
    parser.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    args = parser.parse_args(argv)
    try:
        if len(args.models) < 2:
            raise DigitcamError("an ensemble takes two or more models", exit_code=2)
        missing = [str(p) for p in args.models if not p.is_file()]
        if missing:
            raise DigitcamError(f"no such model: {', '.join(missing)}", exit_code=2)
        if args.data and not Path(args.data).exists():
            raise DigitcamError(f"MNIST data not found at {args.data}; pass --data PATH (mnist.npz or a folder of IDX files)",
                                exit_code=2)
        if args.output.exists() and not args.force:
            raise DigitcamError(f"{args.output} exists; pass --force to replace it", exit_code=2)
        card = build(args.models, args.output, args.data, scenes=max(1, args.scenes))
    except OSError as exc:
        print(f"digitcam: cannot write {args.output} ({exc.strerror or exc}); choose a writable --output", file=sys.stderr)
        return 2
    except DigitcamError as exc:
        print(f"digitcam: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"MNIST test accuracy {card['test_accuracy']:.4f} ({len(args.models)} members); wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
