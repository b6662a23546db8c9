"""Loading a model and running it: LiteRT when installed, TensorFlow otherwise.

The model contract: input (N, 28, 28, 1) float32 in [0, 1], white ink on black; output a
softmax whose first 10 entries are the digits 0-9 (an 11th, "not a digit", may follow).
``model.keras`` is the source of truth; ``model.tflite`` beside it is its LiteRT export.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from digitcam.errors import DigitcamError

ENV_MODEL = "DIGITCAM_MODEL"
RUNTIMES = ("auto", "litert", "tensorflow")


def default_model_path() -> Path:
    from digitcam.model import DEFAULT_MODEL

    return Path(os.environ.get(ENV_MODEL) or DEFAULT_MODEL)


@dataclass
class Classifier:
    """A loaded model: ``predict(batch) -> probabilities`` in one call for the whole batch."""

    path: Path
    runtime: str                      # "litert" or "tensorflow"
    num_classes: int
    _run: Callable[[np.ndarray], np.ndarray]

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """Class probabilities (N, num_classes) for a batch (N, 28, 28) or (N, 28, 28, 1)."""
        batch = np.asarray(batch, np.float32)
        if batch.ndim == 3:
            batch = batch[..., None]
        if len(batch) == 0:
            return np.zeros((0, self.num_classes), np.float32)
        return self._run(batch)


def _bucket(n: int) -> int:
    """Batch sizes are rounded up (1, 2, 4, then multiples of 8) so LiteRT re-plans its tensors rarely."""
    if n <= 4:
        return 1 << max(0, (n - 1).bit_length())
    return (n + 7) // 8 * 8


def _load_litert(path: Path, threads: int) -> Classifier:
    from ai_edge_litert.interpreter import Interpreter

    from digitcam.quiet import silenced_output

    try:
        with silenced_output():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
            interp = Interpreter(model_path=str(path), num_threads=threads)
            interp.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise DigitcamError(f"cannot load LiteRT model {path} ({str(exc).splitlines()[0][:80]}); re-export it with digitcam train or delete it to use the .keras file") from None
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    if tuple(inp["shape"][1:]) != (28, 28, 1):
        raise DigitcamError(f"{path} takes input {tuple(inp['shape'])}, not (N, 28, 28, 1); it is not a digitcam model")
    state = {"size": int(inp["shape"][0])}

    def run(batch: np.ndarray) -> np.ndarray:
        n = len(batch)
        size = _bucket(n)
        if size != state["size"]:
            interp.resize_tensor_input(inp["index"], [size, 28, 28, 1])
            interp.allocate_tensors()
            state["size"] = size
        if size != n:
            batch = np.concatenate([batch, np.zeros((size - n, 28, 28, 1), np.float32)])
        interp.set_tensor(inp["index"], batch)
        interp.invoke()
        return interp.get_tensor(out["index"])[:n].copy()

    num_classes = int(out["shape"][-1])
    return Classifier(path, "litert", num_classes, run)


def _load_tensorflow(path: Path) -> Classifier:
    from digitcam.quiet import quiet_tensorflow

    quiet_tensorflow()
    import keras
    import tensorflow as tf

    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a bad file
        raise DigitcamError(f"cannot load model {path} ({type(exc).__name__}); is it a Keras 3 .keras file? Retrain with digitcam train or pass another --model") from None
    if tuple(model.input_shape[1:]) != (28, 28, 1):
        raise DigitcamError(f"{path} takes input {model.input_shape}, not (N, 28, 28, 1); it is not a digitcam model")

    # A traced function with a fixed signature: ~1 ms a call instead of model.predict's ~60 ms.
    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32)], reduce_retracing=True)
    def serve(x):
        return model(x, training=False)

    def run(batch: np.ndarray) -> np.ndarray:
        return serve(tf.constant(batch)).numpy()

    return Classifier(path, "tensorflow", int(model.output_shape[-1]), run)


def litert_available() -> bool:
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return True


def load_classifier(path: str | os.PathLike | None = None, runtime: str = "auto", threads: int = 1) -> Classifier:
    """Load a model for inference. ``path`` is a ``.keras`` or ``.tflite`` file (default: shipped).

    ``auto`` uses the ``.tflite`` beside a ``.keras`` file when LiteRT is installed (fast start,
    fast calls) and TensorFlow otherwise. ``threads``: LiteRT's threads for one call (scan runs
    one single-threaded interpreter per worker instead).
    """
    if runtime not in RUNTIMES:
        raise DigitcamError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}", exit_code=2)
    path = Path(path).expanduser() if path else default_model_path()
    if not path.exists():
        raise DigitcamError(f"model not found: {path}; pass --model PATH or train one with digitcam train")
    if path.is_dir():
        raise DigitcamError(f"model path {path} is a folder; pass the .keras or .tflite file")
    if path.stat().st_size == 0:
        raise DigitcamError(f"model file {path} is empty; retrain it with digitcam train or pass another --model")
    tflite = path if path.suffix == ".tflite" else path.with_suffix(".tflite")
    if path.suffix == ".tflite" and runtime == "tensorflow":
        raise DigitcamError("a .tflite model needs the LiteRT runtime; pass the .keras file to use TensorFlow", exit_code=2)
    if runtime in ("auto", "litert") and tflite.exists() and litert_available():
        return _load_litert(tflite, threads)
    if runtime == "litert":
        why = "ai-edge-litert is not installed" if not litert_available() else f"there is no {tflite.name}"
        raise DigitcamError(f"cannot use LiteRT: {why}; use --runtime tensorflow")
    if path.suffix == ".tflite":
        raise DigitcamError("a .tflite model needs ai-edge-litert (pip install ai-edge-litert); pass the .keras file to use TensorFlow")
    return _load_tensorflow(path)
