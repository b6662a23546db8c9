"""Loading a model and running it: LiteRT when installed, TensorFlow otherwise.

The model contract: input ``digit`` (N, 28, 28, 1) float32 in [0, 1], white ink on black, and
optionally input ``context`` (N, 32, 32, 1), the region's surroundings (see
:mod:`digitcam.engine.crops`). Output: a softmax whose first 10 entries are the digits 0-9 and
whose 11th is "not a digit"; a model with a context input returns two such softmaxes side by side
(N, 22): first the one that sees the context, then the one that reads the digit crop alone.
A round-1 model (one input, 10 or 11 classes) still loads; it ignores contexts.
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
    """A loaded model: ``predict(digits, contexts) -> probabilities`` in one call for the whole batch."""

    path: Path
    runtime: str                      # "litert" or "tensorflow"
    num_classes: int                  # of one head: 11 (digits + "not a digit"), or 10
    _run: Callable[[np.ndarray, np.ndarray | None], np.ndarray]
    has_context: bool = False
    threads: int = 1                  # LiteRT's threads for one call (the gate beside it runs on as many)

    def heads(self, digits: np.ndarray, contexts: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Both heads' probabilities: ``context`` (sees the surroundings) and ``crop`` (the digit alone).

        Without ``contexts`` (MNIST, the drawing canvas) the context of a digit alone on clean
        paper is used. A model without a context input gives its one head under both names.
        """
        digits = np.asarray(digits, np.float32).reshape(-1, 28, 28, 1)
        if len(digits) == 0:
            empty = np.zeros((0, self.num_classes), np.float32)
            return {"context": empty, "crop": empty}
        if not self.has_context:
            out = self._run(digits, None)
            return {"context": out, "crop": out}
        if contexts is None:
            from digitcam.engine.crops import context_from_digit

            contexts = context_from_digit(digits)
        contexts = np.asarray(contexts, np.float32).reshape(-1, 32, 32, 1)
        out = self._run(digits, contexts)
        return {"context": out[:, :self.num_classes], "crop": out[:, self.num_classes:]}

    def predict(self, digits: np.ndarray, contexts: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities (N, num_classes) for digits (N, 28, 28[, 1]) and their contexts."""
        return self.heads(digits, contexts)["context"]


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
    inputs = interp.get_input_details()
    out = interp.get_output_details()[0]
    by_shape = {tuple(int(v) for v in d["shape"][1:]): d for d in inputs}
    digit_in, context_in = by_shape.get((28, 28, 1)), by_shape.get((32, 32, 1))
    if digit_in is None or len(inputs) > 2 or (len(inputs) == 2 and context_in is None):
        shapes = ", ".join(str(tuple(d["shape"])) for d in inputs)
        raise DigitcamError(f"{path} takes inputs {shapes}, not (N, 28, 28, 1) [+ (N, 32, 32, 1)]; it is not a digitcam model")
    used = [digit_in] + ([context_in] if context_in is not None else [])
    state = {"size": int(digit_in["shape"][0])}

    def run(digits: np.ndarray, contexts: np.ndarray | None) -> np.ndarray:
        n = len(digits)
        size = _bucket(n)
        if size != state["size"]:
            for d in used:
                interp.resize_tensor_input(d["index"], [size, *d["shape"][1:]])
            interp.allocate_tensors()
            state["size"] = size
        for d, x in zip(used, (digits, contexts)):
            if size != n:
                x = np.concatenate([x, np.zeros((size - n, *x.shape[1:]), np.float32)])
            interp.set_tensor(d["index"], x)
        interp.invoke()
        return interp.get_tensor(out["index"])[:n].copy()

    has_context = context_in is not None
    width = int(out["shape"][-1])
    return Classifier(path, "litert", width // 2 if has_context else width, run, has_context, threads)


def _load_tensorflow(path: Path) -> Classifier:
    from digitcam.quiet import quiet_tensorflow

    quiet_tensorflow()
    import keras
    import tensorflow as tf

    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a bad file
        raise DigitcamError(f"cannot load model {path} ({type(exc).__name__}); is it a Keras 3 .keras file? Retrain with digitcam train or pass another --model") from None
    shapes = model.input_shape if isinstance(model.input_shape, list) else [model.input_shape]
    shapes = [tuple(sh[1:]) for sh in shapes]
    if shapes not in ([(28, 28, 1)], [(28, 28, 1), (32, 32, 1)]):
        raise DigitcamError(f"{path} takes inputs {shapes}, not (N, 28, 28, 1) [+ (N, 32, 32, 1)]; it is not a digitcam model")
    has_context = len(shapes) == 2
    specs = [tf.TensorSpec([None, 28, 28, 1], tf.float32)] + ([tf.TensorSpec([None, 32, 32, 1], tf.float32)] if has_context else [])

    # A traced function with a fixed signature: ~1 ms a call instead of model.predict's ~60 ms.
    @tf.function(input_signature=specs, reduce_retracing=True)
    def serve(*x):
        return model(list(x) if has_context else x[0], training=False)

    def run(digits: np.ndarray, contexts: np.ndarray | None) -> np.ndarray:
        args = (digits, contexts) if has_context else (digits,)
        return serve(*(tf.constant(a) for a in args)).numpy()

    width = int(model.output_shape[-1])
    return Classifier(path, "tensorflow", width // 2 if has_context else width, run, has_context)


def _check_set(keras_path: Path, tflite: Path) -> None:
    """Refuse a ``.tflite`` that does not belong to its ``.keras``: the card beside them records
    both files' checksums (an interrupted export can leave a new model beside an old LiteRT file)."""
    import hashlib
    import json

    card = keras_path.with_name(keras_path.stem + ".card.json")
    try:
        files = json.loads(card.read_text()).get("files")
    except (OSError, ValueError, AttributeError):
        return  # no card (a model made elsewhere): nothing to check against
    if not isinstance(files, dict):
        return
    for name, p in (("keras", keras_path), ("tflite", tflite)):
        want = files.get(name)
        if want and hashlib.sha256(p.read_bytes()).hexdigest() != want:
            raise DigitcamError(f"{tflite.name} and {keras_path.name} are not one set ({p.name} differs from the checksum in "
                                f"{card.name}; an export was interrupted?); run digitcam train again, or --runtime tensorflow")


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
    runtime = str(getattr(runtime, "value", runtime))
    if runtime not in RUNTIMES:
        raise DigitcamError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}", exit_code=2)
    path = Path(path).expanduser() if path else default_model_path()
    if not path.exists():
        raise DigitcamError(f"model not found: {path}; pass --model PATH or train one with digitcam train", exit_code=2)
    if path.is_dir():
        raise DigitcamError(f"model path {path} is a folder; pass the .keras or .tflite file")
    if path.stat().st_size == 0:
        raise DigitcamError(f"model file {path} is empty; retrain it with digitcam train or pass another --model")
    tflite = path if path.suffix == ".tflite" else path.with_suffix(".tflite")
    if path.suffix == ".tflite" and runtime == "tensorflow":
        raise DigitcamError("a .tflite model needs the LiteRT runtime; pass the .keras file to use TensorFlow", exit_code=2)
    if runtime in ("auto", "litert") and tflite.exists() and litert_available():
        if path.suffix != ".tflite":
            _check_set(path, tflite)
        return _load_litert(tflite, threads)
    if runtime == "litert":
        why = "ai-edge-litert is not installed" if not litert_available() else f"there is no {tflite.name}"
        raise DigitcamError(f"cannot use LiteRT: {why}; use --runtime tensorflow")
    if path.suffix == ".tflite":
        raise DigitcamError("a .tflite model needs ai-edge-litert (pip install ai-edge-litert); pass the .keras file to use TensorFlow")
    return _load_tensorflow(path)
