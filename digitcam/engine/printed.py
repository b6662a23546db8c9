"""Printed digits: a small reader of their own, asked beside the CNN, heard only where it is sure.

The CNN learned handwriting; a 1 with a flag and a foot, or a bold 9 of a sudoku puzzle, it
calls "not a digit" or reads unsurely. Taught printed digits itself, it unlearned what a plain
stroke and a digit-free photograph are (docs/history.md). The printed-digit reader
(``model/printed.tflite``, trained by ``python -m digitcam.train.printed``) reads the same 28x28
crops; where it reads a digit 1-9 at SURE or more and the CNN is less sure of any digit, its
reading replaces the CNN's. A printed 0 is left to the CNN (a coin and a printed o are 0s to
a reader of type), and so is everything the printed reader is unsure of.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digitcam.runtime import Classifier, litert_available, load_classifier

SURE = 0.99          # the printed reader is heard at this probability or more. Clues of printed puzzles
                     # in ten faces never trained on / dev F1 / false digits on 48 fresh digit-free
                     # pictures (twenty-third session, first reader): 0.9: 0.948 / 0.950 / 5; 0.97: 0.946;
                     # 0.99: 0.944 / 0.951 / 3, every dev and digit-free reading as without it;
                     # the int8 export's softmax stops at 0.996
FILE = "printed.tflite"
KERAS = "printed.keras"


def load_printed(model_path: Path, runtime: str = "litert", threads: int = 1) -> Classifier | None:
    """The printed-digit reader beside the model at ``model_path`` (its folder's ``printed.tflite``,
    or with the TensorFlow ``runtime`` its ``printed.keras``, so that it is as safe to share between
    threads as the model is), or None when the folder has none: the CNN reads alone, as before."""
    tensorflow = runtime == "tensorflow"
    path = Path(model_path).with_name(KERAS if tensorflow else FILE)
    if not path.exists() or (not tensorflow and not litert_available()):
        return None
    return load_classifier(path, runtime, threads)


def heard(probs: np.ndarray, printed: np.ndarray, sure: float | None = None) -> np.ndarray:
    """``probs`` (N, 11, the CNN's) with each row where ``printed`` (N, 11) reads a digit 1-9 at
    ``sure`` or more, surer than the CNN of any digit, replaced by the printed reader's row."""
    if len(probs) == 0:
        return probs
    sure = SURE if sure is None else sure
    top = printed[:, :10].argmax(axis=1)
    p = printed[np.arange(len(printed)), top]
    take = (top > 0) & (p >= sure) & (p > probs[:, :10].max(axis=1))
    if not take.any():
        return probs
    out = probs.copy()
    out[take] = printed[take]
    return out
