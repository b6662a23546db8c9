"""``digitcam train``: MNIST + the engine's hypotheses on rendered scenes -> a CNN, a card and a LiteRT file.

Reads top to bottom: data (MNIST digits alone on clean paper, and every hypothesis the engine
makes on rendered scenes, labelled by the scenes' truth), augmentation, model, fit (with
progress, checkpoints, early stopping and resume), evaluation on MNIST test and on fresh scenes,
then everything written atomically next to the output model.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from digitcam.data import load_mnist
from digitcam.errors import DigitcamError
from digitcam.model import DEFAULT_MODEL
from digitcam.train.augment import AugmentConfig, keras_augmenter, turned_digits
from digitcam.train.card import (card_paths, confusion_matrix, per_class_accuracy, plot_confusion, plot_curves,
                                 write_json_atomic, write_model_set)
from digitcam.train.export import export_tflite
from digitcam.train.model import NOT_A_DIGIT, NUM_CLASSES, build_cnn, inference_model, training_model


VAL_METRIC = "val_context_accuracy"  # the served head, on clean held-out MNIST digits
RESUMED = ("data", "extra_digits", "backdrops", "init", "epochs", "batch_size", "learning_rate", "seed", "patience", "limit")


@dataclass
class TrainConfig:
    output: Path
    data: str | None = None
    extra_digits: str | None = None   # USPS training digits (usps_train.npz): more real writers
    backdrops: str | None = None      # a folder of digit-free photographs: scene backdrops and world frames
    init: str | None = None           # fine-tune: start from this trained model (and keep its prefilter)
    epochs: int = 14
    batch_size: int = 128
    learning_rate: float = 2e-3
    seed: int = 0
    patience: int = 6
    limit: int | None = None          # train on the first N digits only (quick runs, tests)
    resume: bool = False
    force: bool = False
    augment: AugmentConfig = field(default_factory=AugmentConfig)

    @property
    def run_dir(self) -> Path:
        """Where checkpoints of this training run live, next to the output."""
        return self.output.parent / f".{self.output.stem}.run"


def check_output(config: TrainConfig) -> None:
    out = config.output
    if out.suffix != ".keras":
        raise DigitcamError(f"--output must end in .keras (got {out.name})", exit_code=2)
    if not config.force and not config.resume:
        if out.resolve() == DEFAULT_MODEL.resolve():
            raise DigitcamError(f"{out} is the shipped default model; pass --force to replace it, or choose another --output", exit_code=2)
        if out.exists():
            raise DigitcamError(f"{out} exists; pass --force to overwrite it, or choose another --output", exit_code=2)
    if config.init and not Path(config.init).is_file():
        raise DigitcamError(f"no model to fine-tune at {config.init}; pass --init PATH to a .keras model digitcam train wrote", exit_code=2)
    if config.init:
        inherited_prefilter(Path(config.init))   # its card is needed at the end: refuse now, not after training
    if config.backdrops:
        from digitcam.images import is_image_path

        folder = Path(config.backdrops)
        if not folder.is_dir() or not any(is_image_path(p) for p in folder.iterdir()):
            raise DigitcamError(f"no photographs in {folder}; pass --backdrops a folder of digit-free images (.jpg, .png)", exit_code=2)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DigitcamError(f"cannot create {out.parent} ({exc.strerror}); choose a writable --output", exit_code=2) from None
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise DigitcamError(f"cannot write into {out.parent} (permission denied); choose a writable --output", exit_code=2)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=console, transient=False,
    )


def render_scene_samples(x: np.ndarray, y: np.ndarray, scenes: int, seed: int, max_negatives: int,
                         progress=None, workers: int = 2, backdrops: str | None = None,
                         world: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(digits, contexts, labels) of the engine's hypotheses on ``scenes`` rendered scenes (with
    ``world``, frames of the ``backdrops`` photographs alone: every hypothesis "not a digit")."""
    from functools import partial

    from digitcam.train.scenes import map_scenes, scene_samples

    return map_scenes(partial(scene_samples, max_negatives=max_negatives), x, y, scenes, seed * 100_003 + (7 if world else 0),
                      workers=workers, progress=progress, backdrops=backdrops, world=world)


def build_datasets(config: TrainConfig, console: Console):
    """Training, validation and test arrays: ((digits, contexts), labels) each."""
    from digitcam.engine.crops import context_from_digit

    mnist = load_mnist(config.data)
    x, y = mnist.x_train, mnist.y_train.astype(np.int32)
    if config.limit:
        x, y = x[: config.limit], y[: config.limit]
    n_val = max(1, len(x) // 12)
    x_val, y_val = x[-n_val:], y[-n_val:]
    x_tr, y_tr = x[:-n_val], y[:-n_val]
    n_mnist = len(x_tr)
    if config.extra_digits:   # written into the scenes and trained on alone, as MNIST's are
        from digitcam.data import load_usps

        xu, yu = load_usps(config.extra_digits)
        x_tr, y_tr = np.concatenate([x_tr, xu]), np.concatenate([y_tr, yu])
        order = np.random.default_rng(config.seed).permutation(len(y_tr))
        x_tr, y_tr = x_tr[order], y_tr[order]
    scenes, world = config.augment.scenes, config.augment.world_scenes if config.backdrops else 0
    with _progress(console) as progress:
        task = progress.add_task("rendering scenes", total=scenes, stats="")
        sd, sc, sy = render_scene_samples(x_tr, y_tr, scenes, config.seed, config.augment.max_negatives_per_scene,
                                          progress=lambda n: progress.update(task, completed=n), backdrops=config.backdrops)
        if world:
            task = progress.add_task("rendering photographs", total=world, stats="")
            wd, wc, wy = render_scene_samples(x_tr, y_tr, world, config.seed, config.augment.max_negatives_per_scene,
                                              progress=lambda n: progress.update(task, completed=n),
                                              backdrops=config.backdrops, world=True)
            sd, sc, sy = np.concatenate([sd, wd]), np.concatenate([sc, wc]), np.concatenate([sy, wy])
    digits = np.concatenate([x_tr.astype(np.float32) / 255.0, sd])
    contexts = np.concatenate([context_from_digit(x_tr.astype(np.float32) / 255.0), sc])
    labels = np.concatenate([y_tr, sy]).astype(np.int32)
    is_digit = np.flatnonzero(labels < NOT_A_DIGIT)
    td, tc, ty = turned_digits(digits[is_digit], contexts[is_digit], labels[is_digit], config.augment.turned, NOT_A_DIGIT,
                               seed=config.seed)
    extra = f" and {len(x_tr) - n_mnist} USPS" if len(x_tr) > n_mnist else ""
    photos = f" and {world} frames of photographs" if world else ""
    console.print(f"training samples: {n_mnist} MNIST{extra} digits, {int((sy < NOT_A_DIGIT).sum())} digits and "
                  f"{int((sy == NOT_A_DIGIT).sum())} non-digits found by the engine in {scenes} rendered scenes{photos}, "
                  f"{len(ty)} digits turned on their side or upside down")
    digits, contexts, labels = np.concatenate([digits, td]), np.concatenate([contexts, tc]), np.concatenate([labels, ty])

    def clean(images):
        images = images.astype(np.float32) / 255.0
        return (images[..., None], context_from_digit(images)[..., None])

    x_test, y_test = mnist.x_test, mnist.y_test.astype(np.int32)
    return mnist, ((digits[..., None], contexts[..., None]), labels), (clean(x_val), y_val), (clean(x_test), y_test)


def inherited_prefilter(init: Path) -> dict:
    """The prefilter in the card of the model a fine-tune starts from."""
    try:
        return json.loads(card_paths(init)["card"].read_text())["prefilter"]
    except (OSError, ValueError, KeyError):
        raise DigitcamError(f"{init} has no card with a prefilter beside it; fine-tune a model trained by "
                            "digitcam train (its .card.json next to it)", exit_code=2) from None


def backdrops_record(folder: str | None) -> dict | None:
    """What the card says of a backdrop folder: its name, how many photographs, a digest of their names."""
    if not folder:
        return None
    import hashlib

    from digitcam.images import is_image_path

    names = sorted(p.name for p in Path(folder).iterdir() if is_image_path(p))
    return {"folder": Path(folder).name, "photographs": len(names),
            "names_sha256": hashlib.sha256("\n".join(names).encode()).hexdigest()}


def fine_tune_record(init: str | None) -> dict | None:
    """What the card says of the model a fine-tune started from."""
    if not init:
        return None
    from digitcam.train.card import file_sha256

    return {"model": Path(init).name, "sha256": file_sha256(Path(init))}


def _callbacks(config: TrainConfig, console: Console, progress: Progress, state: dict):
    import keras

    run_dir = config.run_dir

    class RichProgress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.task = progress.add_task(f"epoch {epoch + 1}/{config.epochs}", total=self.params["steps"], stats="")

        def on_train_batch_end(self, batch, logs=None):
            logs = logs or {}
            progress.update(self.task, completed=batch + 1,
                            stats=f"loss {logs.get('loss', 0):.4f}  acc {logs.get('context_accuracy', 0):.4f}")

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            progress.update(self.task, stats=(f"loss {logs.get('loss', 0):.4f}  acc {logs.get('context_accuracy', 0):.4f}  "
                                              f"val_acc {logs.get(VAL_METRIC, 0):.4f}"))

    class Checkpoint(keras.callbacks.Callback):
        """Save the whole model (with optimizer state) after every epoch, atomically."""

        def on_epoch_end(self, epoch, logs=None):
            for k, v in (logs or {}).items():
                state["history"].setdefault(k, []).append(float(v))
            state["epoch"] = epoch + 1
            state["best_val_accuracy"] = max(state.get("best_val_accuracy", 0.0), float((logs or {}).get(VAL_METRIC, 0.0)))
            tmp = run_dir / "checkpoint.tmp.keras"
            self.model.save(tmp)
            tmp.replace(run_dir / "checkpoint.keras")
            write_json_atomic(run_dir / "state.json", state)

    stop = keras.callbacks.EarlyStopping(monitor=VAL_METRIC, mode="max", patience=config.patience, restore_best_weights=True)
    return [RichProgress(), Checkpoint(), stop]


def held_out_scenes(served, mnist, config: TrainConfig, count: int = 120) -> dict:
    """Both heads on the hypotheses of fresh scenes made from MNIST *test* digits (never trained on)."""
    n = max(4, min(count, config.augment.scenes // 13))
    d, c, y = render_scene_samples(mnist.x_test, mnist.y_test.astype(np.int32), n, config.seed + 7919, 30, workers=2)
    out = {"scenes": n, "hypotheses": int(len(y))}
    if len(y) == 0:
        return out
    probs = served.predict([d[..., None], c[..., None]], batch_size=1024, verbose=0)
    for name, p in (("context", probs[:, :NUM_CLASSES]), ("crop", probs[:, NUM_CLASSES:])):
        pred = p.argmax(axis=1)
        neg = y == NOT_A_DIGIT
        out[name] = {"accuracy": float((pred == y).mean()),
                     "not_a_digit_recall": float((pred[neg] == NOT_A_DIGIT).mean()) if neg.any() else None,
                     "digit_accuracy": float((pred[~neg] == y[~neg]).mean()) if (~neg).any() else None}
    return out


def train(config: TrainConfig, console: Console | None = None) -> dict:
    """Run a whole training; returns the model card it wrote."""
    console = console or Console(stderr=True)
    check_output(config)
    from digitcam.quiet import quiet_tensorflow

    quiet_tensorflow()
    import keras
    import tensorflow as tf

    run_dir = config.run_dir
    ckpt = run_dir / "checkpoint.keras"
    state = {"epoch": 0, "history": {}, "seconds": 0.0}
    if config.resume:
        if not ckpt.exists():
            raise DigitcamError(f"nothing to resume: no checkpoint at {ckpt}; start without --resume", exit_code=2)
        try:
            state = json.loads((run_dir / "state.json").read_text())
            int(state["epoch"])
        except (OSError, ValueError, KeyError, TypeError):
            raise DigitcamError(f"the checkpoint's state.json in {run_dir} is missing or corrupt; delete {run_dir} "
                                "and start again without --resume", exit_code=2) from None
        # the interrupted run's settings win, so that --resume needs no other option
        config = replace(config, **{k: v for k, v in state.get("config", {}).items() if k in RESUMED})
        console.print(f"resuming from {ckpt} after epoch {state['epoch']}")
    state["config"] = {k: getattr(config, k) for k in RESUMED}

    mnist, (x, y), (x_val, y_val), (x_test, y_test) = build_datasets(config, console)
    keras.utils.set_random_seed(config.seed)
    augment = keras_augmenter(config.augment, seed=config.seed)
    (xd, xc) = x
    steps = int(np.ceil(len(y) / config.batch_size))

    def prepare(inputs, label):
        d, c = inputs
        c = c + tf.random.normal(tf.shape(c), 0.0, 0.05)
        return {"digit": augment(d), "context": c}, {"context": label, "crop": label}

    ds = (tf.data.Dataset.from_tensor_slices(((xd, xc), y)).shuffle(len(y), seed=config.seed, reshuffle_each_iteration=True)
          .batch(config.batch_size).map(prepare, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE))
    val = tf.data.Dataset.from_tensor_slices(({"digit": x_val[0], "context": x_val[1]}, {"context": y_val, "crop": y_val})).batch(512)

    if config.resume:
        model = keras.models.load_model(ckpt, safe_mode=True)
    else:
        if config.init:
            model = training_model(keras.models.load_model(config.init, safe_mode=True))
        else:
            model = build_cnn(NUM_CLASSES, seed=config.seed)
        schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=steps * config.epochs, alpha=0.02)
        model.compile(optimizer=keras.optimizers.Adam(schedule),
                      loss={"context": "sparse_categorical_crossentropy", "crop": "sparse_categorical_crossentropy"},
                      metrics={"context": ["accuracy"], "crop": ["accuracy"]})

    try:  # the run's folder is made only now that the data loaded: a failed start leaves nothing behind
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DigitcamError(f"cannot write next to {config.output} ({exc.strerror}); choose a writable --output", exit_code=2) from None
    start = time.perf_counter()
    try:
        with _progress(console) as progress:
            model.fit(ds, epochs=config.epochs, initial_epoch=state["epoch"], validation_data=val, verbose=0, shuffle=False,
                      callbacks=_callbacks(config, console, progress, state))
    except KeyboardInterrupt:
        done = state["epoch"]
        hint = f"digitcam train --resume --output {config.output}"
        if done == 0:
            raise DigitcamError("training interrupted before the first epoch finished; nothing to resume, run it again", exit_code=130) from None
        raise DigitcamError(f"training interrupted after epoch {done}; checkpoint kept in {run_dir}; resume with: {hint}", exit_code=130) from None
    seconds = state.get("seconds", 0.0) + time.perf_counter() - start

    served = inference_model(model)
    probs = served.predict(list(x_test), batch_size=1024, verbose=0)
    pred = probs[:, :10].argmax(axis=1)
    cm = confusion_matrix(y_test, pred)
    accuracy = float((pred == y_test).mean())
    crop_accuracy = float((probs[:, NUM_CLASSES:NUM_CLASSES + 10].argmax(axis=1) == y_test).mean())
    scenes = held_out_scenes(served, mnist, config)
    if config.init:   # the prefilter ranks the engine's hypotheses, which a fine-tune leaves as they were
        prefilter_card = inherited_prefilter(Path(config.init))
    else:
        from digitcam.train.prefilter import train_prefilter

        n_val = max(1, len(mnist.x_train[: config.limit or None]) // 12)
        prefilter, prefilter_figures = train_prefilter(mnist.x_train[: (config.limit or len(mnist.x_train)) - n_val],
                                                       mnist.y_train[: (config.limit or len(mnist.y_train)) - n_val].astype(np.int32),
                                                       scenes=max(8, config.augment.scenes), seed=config.seed,
                                                       log=console.print)
        prefilter_card = {**prefilter.to_dict(), "figures": prefilter_figures}
    paths = card_paths(config.output)
    card = {
        "model": config.output.name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "classes": [str(i) for i in range(10)] + ["not a digit"],
        "input": "digit: 28x28x1 float32 in [0, 1], white ink on black (MNIST); context: 32x32x1, the surroundings",
        "output": "(N, 22): the context head's 11 probabilities, then the crop-only head's",
        "test_accuracy": accuracy,
        "test_accuracy_crop_head": crop_accuracy,
        "test_digits": int(len(y_test)),
        "not_a_digit_recall": scenes["context"]["not_a_digit_recall"],
        "held_out_scenes": scenes,
        "prefilter": prefilter_card,
        "per_class_accuracy": per_class_accuracy(cm),
        "confusion_matrix": cm.tolist(),
        "parameters": int(model.count_params()),
        "epochs": int(state["epoch"]),
        "training_seconds": round(seconds, 1),
        "dataset": {"source": Path(mnist.source).name, "sha256": mnist.sha256, "train_samples": int(len(y)),
                    "limit": config.limit, "extra_digits": Path(config.extra_digits).name if config.extra_digits else None,
                    "backdrops": backdrops_record(config.backdrops)},
        "fine_tuned_from": fine_tune_record(config.init),
        "augmentation": config.augment.to_dict(),
        "hyperparameters": {"batch_size": config.batch_size, "learning_rate": config.learning_rate, "seed": config.seed,
                            "patience": config.patience, "schedule": "cosine decay"},
        "history": state["history"],
        "runtime_files": {"keras": config.output.name, "tflite": paths["tflite"].name,
                          "tflite_quantisation": "int8 weights and activations, float input and output"},
    }
    pick = np.random.default_rng(config.seed).choice(len(y), min(512, len(y)), replace=False)
    representative = (xd[pick], xc[pick])  # calibrates the int8 LiteRT export
    write_model_set(served.save, lambda p: export_tflite(served, p, representative), card, config.output)
    plot_curves(state["history"], paths["curves"])
    plot_confusion(cm, paths["confusion"])
    for leftover in run_dir.glob("*"):
        leftover.unlink()
    run_dir.rmdir()
    return card
