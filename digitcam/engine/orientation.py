"""Which way up a page is: 0, 90, 180 or 270 degrees, decided from all its digits together.

A page photographed sideways, or whose EXIF orientation was lost, holds the same strokes turned:
the hypotheses of the first look are the same regions, only their crops are turned. So the
crops and contexts of the first look are read once more in the three other orientations, in one
batched call, and the orientation with the most *sure* digits (read at ``SURE``, 0.99, or more,
as digits that tell their orientation) wins. 0, 1 and 8 read the same
upside down, and so does anything round or straight (a coin, a ring, a post): they are left out
of the counts (``SYMMETRIC``). A single digit cannot tell 6 from 9; counted over a page, the
other digits decide. The model was taught turned digits as what they then are (a 6 upside down
is a 9, most turned digits are no digit: train.augment.turned_digits), so a page read the wrong
way up reads less surely. A turn is taken when it has at least ``MARGIN`` sure digits more than
the image as it is (one: a photo of a single sure digit turns too), and ``RATIO`` times as many.

Why sure digits, not summed confidence: on a whiteboard of handwritten words, the letters read
upside down as thirty-odd digits at 0.7-0.99, a larger sum of confidences (34.6) than the
twenty-odd digits and letters read upright (28.3); but upright 19 are read at 0.99 or more,
upside down 9. The dev set turned by 90, 180 and 270 degrees read at F1 0.904, 0.895 and 0.895
by summed confidence, 0.930, 0.925 and 0.918 by sure digits (the whiteboard as upright, 0.789,
in every turn; upright exactly as before), and of 108 digit-free photos 14 were turned, 5 now (a
lone blob read at 0.92 no longer turns a photo). Tried beside it (thirteenth session): summed
evidence, the log10 odds of each reading (0.930, 0.895, 0.918: the whiteboard upside down stays
so); and both on the dev set blurred (sigma 1.5) or at 0.6 times its size, where its digits read
less surely, turned 180 degrees: sure digits 0.803 and 0.820, evidence 0.779 and 0.788.

Measured on the 55 dev photos (digitcam eval --labels ... --rotation auto): with RATIO 1.0 an
upright whiteboard of handwritten words is turned upside down (its letters read as digits more
surely that way); with 1.5, pages turned by 180 degrees stay unturned; 1.3 leaves upright photos
as they are. Counting 0, 1 and 8 too, the coins of a digit-free photo (0s in any orientation,
a little surer on their side) turned it: false digits per digit-free image 0.64 -> 0.18 without
them. A single digit read at under 0.99 on its side stays sideways, and a page of only 0s, 1s
and 8s is read as it is.
"""

from __future__ import annotations

import cv2
import numpy as np

from digitcam.engine.crops import Batch
from digitcam.runtime import Classifier

ROTATIONS = (0, 90, 180, 270)   # degrees clockwise that make the page upright
SURE = 0.99   # a digit read at least this surely tells which way up its page is
MARGIN = 1    # a turn must read this many sure digits more than the image as it is
RATIO = 1.3   # ... and this many times as many
SYMMETRIC = (0, 1, 8)  # digits that read the same turned half way (and a coin, a ring, a post are
                       # these at any turn): they tell nothing of which way up a page is
_CV = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def rotate(image: np.ndarray, degrees: int) -> np.ndarray:
    """``image`` turned ``degrees`` clockwise (0, 90, 180, 270)."""
    return image if degrees == 0 else cv2.rotate(image, _CV[degrees])


def turn_map(degrees: int, width: int, height: int) -> np.ndarray:
    """The 2x3 map from a ``width`` x ``height`` image's pixels to those of the image turned
    ``degrees`` clockwise (:func:`rotate`)."""
    w, h = width - 1.0, height - 1.0
    return {0: np.array([[1.0, 0, 0], [0, 1.0, 0]]), 90: np.array([[0, -1.0, h], [1.0, 0, 0]]),
            180: np.array([[-1.0, 0, w], [0, -1.0, h]]), 270: np.array([[0, 1.0, 0], [-1.0, 0, w]])}[degrees]


def box_back(box: tuple[int, int, int, int], degrees: int, width: int, height: int) -> tuple[int, int, int, int]:
    """A box (x, y, w, h) in the image turned ``degrees`` clockwise, in the original image's pixels
    (``width`` x ``height``)."""
    x, y, w, h = box
    if degrees == 90:      # original (x, y) -> turned (height - 1 - y, x)
        return y, height - x - w, h, w
    if degrees == 180:
        return width - x - w, height - y - h, w, h
    if degrees == 270:     # original (x, y) -> turned (y, width - 1 - x)
        return width - y - h, x, h, w
    return box


def box_turned(box: tuple[int, int, int, int], degrees: int, width: int, height: int) -> tuple[int, int, int, int]:
    """A box (x, y, w, h) of a ``width`` x ``height`` image, in that image turned ``degrees`` clockwise."""
    x, y, w, h = box
    if degrees == 90:
        return height - y - h, x, h, w
    if degrees == 180:
        return width - x - w, height - y - h, w, h
    if degrees == 270:
        return y, width - x - w, h, w
    return box


def scores(classifier: Classifier, batch: Batch) -> dict[int, float]:
    """How many of the whole hypotheses of ``batch`` read as sure digits in each orientation (a
    twin, a region stretched wider or taller, is no reading of the region turned)."""
    idx = [i for i, h in enumerate(batch.hyps) if h.parent < 0 and not h.twin]
    if not idx:
        return {r: 0.0 for r in ROTATIONS}
    digits, contexts = batch.digits[idx], batch.contexts[idx]
    # np.rot90 turns counter-clockwise: k = -1 turns a crop 90 degrees clockwise
    turned_d = np.concatenate([np.rot90(digits, -r // 90, axes=(1, 2)) for r in ROTATIONS])
    turned_c = np.concatenate([np.rot90(contexts, -r // 90, axes=(1, 2)) for r in ROTATIONS])
    probs = classifier.predict(np.ascontiguousarray(turned_d), np.ascontiguousarray(turned_c))
    label = probs.argmax(axis=1)
    telling = (label < 10) & ~np.isin(label, SYMMETRIC)
    sure = (telling & (probs[:, :10].max(axis=1) >= SURE)).reshape(len(ROTATIONS), len(idx))
    return {r: float(sure[k].sum()) for k, r in enumerate(ROTATIONS)}


def decide(classifier: Classifier, batch: Batch) -> tuple[int, dict[int, float]]:
    """The turn that makes the page upright (0 when no turn is clearly surer), and the scores."""
    s = scores(classifier, batch)
    best = max(ROTATIONS, key=lambda r: s[r])
    if best != 0 and s[best] - s[0] >= MARGIN and s[best] >= RATIO * s[0]:
        return best, s
    return 0, s
