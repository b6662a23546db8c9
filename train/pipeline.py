"""``digitcam train``: MNIST + realistic renders + "not a digit" crops -> a CNN, a card and a LiteRT file.

Reads top to bottom: data, augmentation, model, fit (with progress, checkpoints, early stopping
and resume), test evaluation, then everything written atomically next to the output model.
"""

from __future__ import annotations

import json
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
from digitcam.train.augment import AugmentConfig, keras_augmenter, make_negatives, make_realistic
from digitcam.train.card import card_paths, confusion_matrix, per_class_accuracy, plot_confusion, plot_curves, write_json_atomic
from digitcam.train.export import export_tflite
from digitcam.train.model import NOT_A_DIGIT, NUM_CLASSES, build_cnn


RESUMED = ("data", "epochs", "batch_size", "learning_rate", "seed", "patience", "limit")


@dataclass
class TrainConfig:
    output: Path
    data: str | None = None
    epochs: int = 12
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
    out.parent.mkdir(parents=True, exist_ok=True)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        console=console, transient=False,
    )


def build_datasets(config: TrainConfig, console: Console):
    """Training arrays (MNIST + realistic renders + negatives), validation and test arrays."""
    mnist = load_mnist(config.data)
    x, y = mnist.x_train, mnist.y_train
    if config.limit:
        x, y = x[: config.limit], y[: config.limit]
    n_val = max(1, len(x) // 12)
    x_val, y_val = x[-n_val:], y[-n_val:]
    x_tr, y_tr = x[:-n_val], y[:-n_val]
    rng = np.random.default_rng(config.seed)
    n_real = int(len(x_tr) * config.augment.realistic_fraction)
    n_neg = int(len(x_tr) * config.augment.negative_fraction)
    with _progress(console) as progress:
        task = progress.add_task("rendering digits on paper", total=n_real, stats="")
        xr, yr = make_realistic(x_tr, y_tr, n_real, rng, progress=lambda n: progress.update(task, completed=n))
        progress.update(task, completed=n_real)
        task = progress.add_task("rendering non-digits", total=n_neg, stats="")
        xn = make_negatives(n_neg, rng)
        progress.update(task, completed=n_neg)
    x_all = np.concatenate([x_tr.astype(np.float32) / 255.0, xr, xn])[..., None]
    y_all = np.concatenate([y_tr, yr, np.full(len(xn), NOT_A_DIGIT, np.int32)]).astype(np.int32)
    # Validation (early stopping) is on clean held-out MNIST digits; "not a digit" is scored on
    # fresh negatives after training.
    x_val_all = x_val.astype(np.float32)[..., None] / 255.0
    y_val_all = y_val.astype(np.int32)
    x_test = mnist.x_test.astype(np.float32)[..., None] / 255.0
    y_test = mnist.y_test.astype(np.int32)
    if config.limit:
        x_test, y_test = x_test[: config.limit], y_test[: config.limit]
    return mnist, (x_all, y_all), (x_val_all, y_val_all), (x_test, y_test)


def _callbacks(config: TrainConfig, console: Console, progress: Progress, state: dict):
    import keras

    run_dir = config.run_dir

    class RichProgress(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.task = progress.add_task(f"epoch {epoch + 1}/{config.epochs}", total=self.params["steps"], stats="")

        def on_train_batch_end(self, batch, logs=None):
            logs = logs or {}
            progress.update(self.task, completed=batch + 1,
                            stats=f"loss {logs.get('loss', 0):.4f}  acc {logs.get('accuracy', 0):.4f}")

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            progress.update(self.task, stats=(f"loss {logs.get('loss', 0):.4f}  acc {logs.get('accuracy', 0):.4f}  "
                                              f"val_acc {logs.get('val_accuracy', 0):.4f}"))

    class Checkpoint(keras.callbacks.Callback):
        """Save the whole model (with optimizer state) after every epoch, atomically."""

        def on_epoch_end(self, epoch, logs=None):
            for k, v in (logs or {}).items():
                state["history"].setdefault(k, []).append(float(v))
            state["epoch"] = epoch + 1
            state["best_val_accuracy"] = max(state.get("best_val_accuracy", 0.0), float((logs or {}).get("val_accuracy", 0.0)))
            tmp = run_dir / "checkpoint.tmp.keras"
            self.model.save(tmp)
            tmp.replace(run_dir / "checkpoint.keras")
            write_json_atomic(run_dir / "state.json", state)

    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=config.patience, restore_best_weights=True)
    return [RichProgress(), Checkpoint(), stop]


def train(config: TrainConfig, console: Console | None = None) -> dict:
    """Run a whole training; returns the model card it wrote."""
    console = console or Console(stderr=True)
    check_output(config)
    from digitcam.quiet import quiet_tensorflow

    quiet_tensorflow()
    import keras
    import tensorflow as tf

    run_dir = config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt = run_dir / "checkpoint.keras"
    state = {"epoch": 0, "history": {}, "seconds": 0.0}
    if config.resume:
        if not ckpt.exists():
            raise DigitcamError(f"nothing to resume: no checkpoint at {ckpt}; start without --resume", exit_code=2)
        state = json.loads((run_dir / "state.json").read_text())
        # the interrupted run's settings win, so that --resume needs no other option
        config = replace(config, **{k: v for k, v in state.get("config", {}).items() if k in RESUMED})
        console.print(f"resuming from {ckpt} after epoch {state['epoch']}")
    state["config"] = {k: getattr(config, k) for k in RESUMED}

    mnist, (x, y), (x_val, y_val), (x_test, y_test) = build_datasets(config, console)
    keras.utils.set_random_seed(config.seed)
    augment = keras_augmenter(config.augment, seed=config.seed)
    steps = int(np.ceil(len(x) / config.batch_size))
    ds = (tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=config.seed, reshuffle_each_iteration=True)
          .batch(config.batch_size).map(lambda a, b: (augment(a), b), num_parallel_calls=tf.data.AUTOTUNE)
          .prefetch(tf.data.AUTOTUNE))
    val = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(512)

    if config.resume:
        model = keras.models.load_model(ckpt, safe_mode=True)
    else:
        model = build_cnn(NUM_CLASSES, seed=config.seed)
        schedule = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=steps * config.epochs, alpha=0.02)
        model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

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

    probs = model.predict(x_test, batch_size=1024, verbose=0)
    pred = probs[:, :10].argmax(axis=1)
    cm = confusion_matrix(y_test, pred)
    accuracy = float((pred == y_test).mean())
    negatives = make_negatives(1000, np.random.default_rng(config.seed + 1))
    negative_recall = float((model.predict(negatives[..., None], batch_size=1024, verbose=0).argmax(axis=1) == NOT_A_DIGIT).mean())
    paths = card_paths(config.output)
    tmp = config.output.with_name(config.output.stem + ".tmp.keras")
    model.save(tmp)
    tmp.replace(config.output)
    export_tflite(model, paths["tflite"])
    card = {
        "model": config.output.name,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "classes": [str(i) for i in range(10)] + ["not a digit"],
        "input": "28x28x1 float32 in [0, 1], white ink on black (MNIST)",
        "test_accuracy": accuracy,
        "test_digits": int(len(y_test)),
        "not_a_digit_recall": negative_recall,
        "per_class_accuracy": per_class_accuracy(cm),
        "confusion_matrix": cm.tolist(),
        "parameters": int(model.count_params()),
        "epochs": int(state["epoch"]),
        "training_seconds": round(seconds, 1),
        "dataset": {"source": Path(mnist.source).name, "sha256": mnist.sha256, "train_digits": int(len(x)),
                    "limit": config.limit},
        "augmentation": config.augment.to_dict(),
        "hyperparameters": {"batch_size": config.batch_size, "learning_rate": config.learning_rate, "seed": config.seed,
                            "patience": config.patience, "schedule": "cosine decay"},
        "history": state["history"],
        "runtime_files": {"keras": config.output.name, "tflite": paths["tflite"].name},
    }
    write_json_atomic(paths["card"], card)
    plot_curves(state["history"], paths["curves"])
    plot_confusion(cm, paths["confusion"])
    for leftover in run_dir.glob("*"):
        leftover.unlink()
    run_dir.rmdir()
    return card
