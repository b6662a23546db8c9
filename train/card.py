"""The model card: what a trained model scores and how it was made (JSON + two PNG pictures)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

CARD_KEYS = (
    "model", "created", "classes", "input", "test_accuracy", "per_class_accuracy", "confusion_matrix",
    "parameters", "epochs", "training_seconds", "dataset", "augmentation", "history", "runtime_files",
)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n: int = 10) -> np.ndarray:
    cm = np.zeros((n, n), np.int64)
    np.add.at(cm, (y_true.astype(int), np.clip(y_pred.astype(int), 0, n - 1)), 1)
    return cm


def per_class_accuracy(cm: np.ndarray) -> list[float]:
    return [float(cm[i, i] / max(cm[i].sum(), 1)) for i in range(len(cm))]


def card_paths(model_path: Path) -> dict[str, Path]:
    """Where the files that travel with a model live: ``name.card.json`` and friends."""
    stem = model_path.with_suffix("")
    return {
        "card": stem.with_name(stem.name + ".card.json"),
        "curves": stem.with_name(stem.name + ".curves.png"),
        "confusion": stem.with_name(stem.name + ".confusion.png"),
        "tflite": model_path.with_suffix(".tflite"),
    }


def file_sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_model_set(save_keras, save_tflite, card: dict, model_path: Path) -> None:
    """Write a model, its LiteRT file and its card as one set.

    Each is written to a temporary name first; the card records the checksums of both model
    files; then the files take their names, the card last. An interruption at any point leaves
    either the old set, or new model files whose checksums the old card does not know: the
    runtime refuses such a ``.tflite`` (see :mod:`digitcam.runtime`) instead of serving a model
    that does not belong to its ``.keras``.
    """
    paths = card_paths(model_path)
    tmp_keras = model_path.with_name(model_path.stem + ".tmp.keras")
    tmp_tflite = paths["tflite"].with_name(paths["tflite"].stem + ".tmp.tflite")
    save_keras(tmp_keras)
    save_tflite(tmp_tflite)
    card = {**card, "files": {"keras": file_sha256(tmp_keras), "tflite": file_sha256(tmp_tflite)}}
    tmp_card = paths["card"].with_name(paths["card"].name + ".tmp")
    tmp_card.write_text(json.dumps(card, indent=2) + "\n")
    tmp_tflite.replace(paths["tflite"])
    tmp_keras.replace(model_path)
    tmp_card.replace(paths["card"])


def sign_card(model_path: Path) -> dict:
    """Record the checksums of a model's files in its card (for a set written before cards had them)."""
    paths = card_paths(model_path)
    card = json.loads(paths["card"].read_text())
    card["files"] = {"keras": file_sha256(model_path), "tflite": file_sha256(paths["tflite"])}
    write_json_atomic(paths["card"], card)
    return card


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def plot_curves(history: dict[str, list[float]], path: Path, members: list[dict] | None = None) -> None:
    """Loss and accuracy by epoch; ``members``: an ensemble's members' histories, each drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    runs = [(f"member {i} ", h) for i, h in enumerate(members)] if members else [("", history)]
    for key, ax in (("loss", a), ("context_accuracy", b)):
        for name, h in runs:
            epochs = np.arange(1, len(h.get("loss", [])) + 1)
            if key in h:
                ax.plot(epochs, h[key], label=name + "train")
            if "val_" + key in h:
                ax.plot(epochs, h["val_" + key], label=name + "validation")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(cm: np.ndarray, path: Path, title: str = "MNIST test confusion matrix") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5.5))
    shown = np.log1p(cm)
    ax.imshow(shown, cmap="Blues")
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if shown[i, j] > shown.max() * 0.6 else "black")
    ax.set_xticks(range(cm.shape[1]))
    ax.set_yticks(range(cm.shape[0]))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def validate_card(card: dict) -> list[str]:
    """Problems with a model card's schema (empty when it is well formed)."""
    problems = [f"missing {k}" for k in CARD_KEYS if k not in card]
    if not problems:
        cm = np.asarray(card["confusion_matrix"])
        if cm.shape != (10, 10):
            problems.append(f"confusion_matrix has shape {cm.shape}")
        if len(card["per_class_accuracy"]) != 10:
            problems.append("per_class_accuracy needs 10 entries")
        if not 0.0 <= card["test_accuracy"] <= 1.0:
            problems.append("test_accuracy outside [0, 1]")
    return problems
