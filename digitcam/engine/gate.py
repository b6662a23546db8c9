"""Stage 0, the gate: a small fully convolutional model that says whether a frame holds
handwriting at all, before any of the engine's stages look at it.

Finding ink, cutting rules, proposing and cropping regions cost 25-50 ms on a 720p camera frame
full of texture (wood grain, fabric, specks), as a camera pointed at a desk before a page comes
up sees. The gate looks at the frame shrunk to GATE_SIDE
pixels on its longer side and scores every STRIDE x STRIDE cell for "digit ink here" (~2 ms
with the shrinking, on 2 threads); where no cell reaches the threshold, the frame is not read.
It learned on rendered scenes (MNIST digits on pages in front of photographs, wood, fabric,
stripes and specks, with printed text, rules, grids and hands as what is not a digit, and
digits drawn in a pen's even strokes; ``python -m digitcam.train.gate``). Its threshold, stored
in the gate's card, is the highest at which it reads 99.8% of held-out frames holding one to
three digits (a frame of many digits is read when any one of them is seen: the few are the
hard case). It skips rendered floorboards, fabric and stripes, but only 1 of 19 real digit-free
photographs (docs/history.md): elsewhere it costs its 2 ms and the frame is read as before.

Where it sees digit ink the whole frame is read, not the part around it: reading a part changes
what the engine's frame-relative stages (paper level, rule lengths) see, and on the dev set that
cost more digits (F1 0.925 -> 0.903, a dense page cut at its faint end) than it saved time.

The gate runs on frames up to GATE_MAX_SIDE pixels (camera frames, up to 1080p); a bigger photo
may hold digits too small to see at GATE_SIDE, and is read whatever the gate would say.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

GATE_SIDE = 640        # the gate sees the frame shrunk to this many pixels on its longer side
STRIDE = 8             # ... and scores cells of this many of its pixels
GATE_MAX_SIDE = 1920   # frames larger than this are read whole (see the module docstring)
GATE_FILE = "gate.tflite"


@dataclass
class Gate:
    """A loaded gate: ``heat(gray)`` scores cells; ``sees_digits(gray)`` says whether to read."""

    run: Callable[[np.ndarray], np.ndarray]   # (H, W) uint8 -> (ceil(H/STRIDE), ceil(W/STRIDE)) scores
    threshold: float
    path: Path | None = None

    def heat(self, gray: np.ndarray) -> tuple[np.ndarray, float]:
        """Cell scores of a uint8 grayscale frame, and the frame pixels per gate pixel."""
        h, w = gray.shape[:2]
        scale = min(1.0, GATE_SIDE / max(h, w))
        small = gray if scale == 1.0 else cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))),
                                                     interpolation=cv2.INTER_AREA)
        return self.run(small), 1.0 / scale

    def sees_digits(self, gray: np.ndarray) -> bool:
        """Whether any cell of a uint8 grayscale frame may hold digit ink."""
        return bool(self.heat(gray)[0].max(initial=0.0) >= self.threshold)


def applies(shape: tuple[int, ...]) -> bool:
    """Whether the gate reads a frame of this shape (see GATE_MAX_SIDE)."""
    return max(shape[:2]) <= GATE_MAX_SIDE


def litert_runner(path: Path, threads: int = 2) -> Callable[[np.ndarray], np.ndarray]:
    """The exported gate at ``path`` as a function: (H, W) uint8 frame -> (H/STRIDE, W/STRIDE) scores."""
    from ai_edge_litert.interpreter import Interpreter

    from digitcam.quiet import silenced_output

    with silenced_output():
        interp = Interpreter(model_path=str(path), num_threads=threads)
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    state: dict = {"shape": None, "buffer": None}

    def run(small: np.ndarray) -> np.ndarray:
        shape = (1, small.shape[0], small.shape[1], 1)
        if state["shape"] != shape:   # a camera's frames share one size: planned (and its input allocated) once
            interp.resize_tensor_input(inp["index"], shape)
            interp.allocate_tensors()
            state["shape"], state["buffer"] = shape, np.empty(shape, np.float32)
        buffer = state["buffer"]
        np.copyto(buffer[0, :, :, 0], small)   # uint8 -> float32 into the frame-sized buffer
        interp.set_tensor(inp["index"], buffer)
        interp.invoke()
        return interp.get_tensor(out["index"])[0, :, :, 0].copy()

    return run


def load_gate(model_dir: Path, threads: int = 2) -> Gate | None:
    """The gate beside a model (``gate.tflite`` and ``gate.card.json``), or None where there is
    none, LiteRT is missing, or it is damaged (said on stderr, once): the engine then reads every
    frame whole, as before."""
    path = Path(model_dir) / GATE_FILE
    card = path.with_name("gate.card.json")
    if not path.exists() or not card.exists():
        return None
    try:
        threshold = float(json.loads(card.read_text())["threshold"])
        return Gate(litert_runner(path, threads), threshold, path)
    except ImportError:   # no LiteRT (the TensorFlow runtime serves the classifier): no gate, as documented
        return None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        # a damaged gate costs speed, never readings: say so once, and read every frame whole
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        if (path, reason) not in _WARNED:   # scan's workers and live's restarts load it again
            _WARNED.add((path, reason))
            print(f"digitcam: warning: the gate {path} could not be loaded ({reason}); every frame is read "
                  "without it (slower on frames without digits); reinstall or retrain it", file=sys.stderr)
        return None


_WARNED: set[tuple[Path, str]] = set()


__all__ = ["GATE_MAX_SIDE", "GATE_SIDE", "STRIDE", "Gate", "applies", "litert_runner", "load_gate"]
