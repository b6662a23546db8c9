"""Which way up a page is: 0, 90, 180 or 270 degrees, decided from all its digits together.

A page photographed sideways, or whose EXIF orientation was lost, holds the same strokes turned:
the hypotheses of the first look are the same regions, only their crops are turned. So the
crops and contexts of the first look are read once more in the three other orientations, in one
batched call, and the orientation whose readings are surest in sum (the evidence, below, of
every hypothesis read as a digit that tells its orientation) wins. 0, 1 and 8 read the same
upside down, and so does anything round or straight (a coin, a ring, a post): they are left out
of the sums (``SYMMETRIC``). A single digit cannot tell 6 from 9; summed over a page, the other
digits decide. The model was taught turned digits as what they then are (a 6 upside down is a
9, most turned digits are no digit: train.augment.turned_digits), so a page read the wrong way
up reads less surely. Each hypothesis adds its *evidence*, the log10 odds against its being
anything else (``-log10(1 - confidence)``: a digit read at 0.9 adds 1, at 0.99 adds 2, at 0.999
or more adds 3), not its confidence: on a whiteboard of handwritten words, the letters read
upside down as thirty-odd digits at 0.7-0.99, a surer sum of confidences (34.6) than the
twenty-odd digits and letters read upright (28.3), but the upright digits are read at 0.99 and
more; in evidence the upright reading wins (57.8 against 51.4), and the whiteboard turned by 90
or 270 degrees is read upright again (it was read upside down). A turn is taken when its
evidence beats the image as it is by at least ``MARGIN`` (a digit read at 0.99: a photo of a
single sure digit turns too) and by a factor ``RATIO``.

Measured on the 55 dev photos (digitcam eval --labels ... --rotation auto): with RATIO 1.0 an
upright whiteboard of handwritten words is turned upside down (its letters read as digits more
surely that way); with 1.5, pages turned by 180 degrees stay unturned; 1.3 leaves upright photos
as they are. Counting 0, 1 and 8 too, the coins of a digit-free photo (0s in any orientation,
a little surer on their side) turned it: false digits per digit-free image 0.64 -> 0.18 without
them. Evidence rather than confidence, with MARGIN 2 (thirteenth session): the dev set turned by
90 degrees 0.904 -> 0.930 (the whiteboard 0.467 -> 0.789, as upright), by 270 degrees 0.895 ->
0.918, upright and turned by 180 as before; of 108 digit-free photos, 14 were turned, 6 now (a
lone blob read at 0.92 no longer turns a photo). A lone digit read at 0.97-0.99 stays sideways
(2 of the 165 turned dev photos).
A page of only 0s, 1s and 8s is read as it is.
"""

from __future__ import annotations

import cv2
import numpy as np

from digitcam.engine.crops import Batch
from digitcam.runtime import Classifier

ROTATIONS = (0, 90, 180, 270)   # degrees clockwise that make the page upright
MARGIN = 2.0  # a turn must add this much evidence (log10 odds): one digit read at 0.99
MAX_EVIDENCE = 3.0  # ... a hypothesis adds at most this much (read at 0.999: surer says no more)
SYMMETRIC = (0, 1, 8)  # digits that read the same turned half way (and a coin, a ring, a post are
                       # these at any turn): they tell nothing of which way up a page is
RATIO = 1.3   # ... and be this many times the sum of the image as it is
_CV = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}


def rotate(image: np.ndarray, degrees: int) -> np.ndarray:
    """``image`` turned ``degrees`` clockwise (0, 90, 180, 270)."""
    return image if degrees == 0 else cv2.rotate(image, _CV[degrees])


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


def evidence(confidence: np.ndarray) -> np.ndarray:
    """What a reading at ``confidence`` says for its orientation: its log10 odds against being
    anything else, at most MAX_EVIDENCE. Letters read as digits at 0.7-0.95 add little; sure
    digits a lot."""
    return np.minimum(-np.log10(np.maximum(1.0 - confidence, 1e-12)), MAX_EVIDENCE)


def scores(classifier: Classifier, batch: Batch) -> dict[int, float]:
    """Summed evidence of the whole hypotheses of ``batch`` in each orientation."""
    idx = [i for i, h in enumerate(batch.hyps) if h.parent < 0]
    if not idx:
        return {r: 0.0 for r in ROTATIONS}
    digits, contexts = batch.digits[idx], batch.contexts[idx]
    # np.rot90 turns counter-clockwise: k = -1 turns a crop 90 degrees clockwise
    turned_d = np.concatenate([np.rot90(digits, -r // 90, axes=(1, 2)) for r in ROTATIONS])
    turned_c = np.concatenate([np.rot90(contexts, -r // 90, axes=(1, 2)) for r in ROTATIONS])
    probs = classifier.predict(np.ascontiguousarray(turned_d), np.ascontiguousarray(turned_c))
    label = probs.argmax(axis=1)
    telling = (label < 10) & ~np.isin(label, SYMMETRIC)
    conf = np.where(telling, evidence(probs[:, :10].max(axis=1)), 0.0).reshape(len(ROTATIONS), len(idx))
    return {r: float(conf[k].sum()) for k, r in enumerate(ROTATIONS)}


def decide(classifier: Classifier, batch: Batch) -> tuple[int, dict[int, float]]:
    """The turn that makes the page upright (0 when no turn is clearly surer), and the scores."""
    s = scores(classifier, batch)
    best = max(ROTATIONS, key=lambda r: s[r])
    if best != 0 and s[best] - s[0] >= MARGIN and s[best] >= RATIO * s[0]:
        return best, s
    return 0, s
