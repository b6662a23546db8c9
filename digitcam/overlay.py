"""Drawing results on a frame: a box, the digit and its confidence, and a box for each number."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from digitcam.detections import Detection, Number

DIGIT_COLOUR = (60, 220, 60)     # BGR
LOW_COLOUR = (0, 190, 255)
NUMBER_COLOUR = (255, 160, 40)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def as_bgr(frame: np.ndarray) -> np.ndarray:
    """A uint8 BGR copy of any frame, for drawing on."""
    from digitcam.normalise import to_gray

    if frame.ndim == 2 or frame.shape[2] == 1 or frame.dtype != np.uint8:
        if frame.ndim == 3 and frame.shape[2] >= 3 and frame.dtype != np.uint8:
            frame = (frame >> 8).astype(np.uint8) if frame.dtype == np.uint16 else np.clip(frame, 0, 255).astype(np.uint8)
            return np.ascontiguousarray(frame[:, :, :3])
        return cv2.cvtColor(to_gray(frame), cv2.COLOR_GRAY2BGR)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return frame.copy()


def _label(img: np.ndarray, text: str, org: tuple[int, int], scale: float, colour, thickness: int) -> None:
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thickness)
    x, y = org
    y = max(y, th + 2)
    cv2.rectangle(img, (x, y - th - base - 2), (x + tw + 4, y + 2), (0, 0, 0), -1)
    cv2.putText(img, text, (x + 2, y - base // 2), FONT, scale, colour, thickness, cv2.LINE_AA)


def draw(frame: np.ndarray, detections: Sequence[Detection], numbers: Sequence[Number] = (),
         low_confidence: float = 0.8, in_place: bool = False, top_margin: int = 0) -> np.ndarray:
    """Boxes, digits and confidences drawn on a BGR copy of ``frame`` (or on it, ``in_place``).

    ``top_margin``: rows at the top kept clear (live mode's status bar); a digit too close to
    them gets its label beside the box instead of above it.
    """
    img = frame if in_place else as_bgr(frame)
    h, w = img.shape[:2]
    unit = max(1.0, min(h, w) / 480.0)
    thick = max(1, int(round(2 * unit)))
    for n in numbers:
        if len(n.digits) < 2:
            continue
        x, y, bw, bh = n.box
        pad = int(4 * unit)
        cv2.rectangle(img, (x - pad, y - pad), (x + bw + pad, y + bh + pad), NUMBER_COLOUR, thick)
        _label(img, n.text, (x - pad, y + bh + pad + int(40 * unit)), 0.7 * unit, NUMBER_COLOUR, thick)
    for d in detections:
        x, y, bw, bh = d.box
        colour = DIGIT_COLOUR if d.confidence >= low_confidence else LOW_COLOUR
        cv2.rectangle(img, (x, y), (x + bw, y + bh), colour, thick)
        scale = float(np.clip(bh / 40.0, 0.6 * unit, 2.0 * unit))
        (_, th), _ = cv2.getTextSize(str(d.label), FONT, scale, thick + 1)
        above = y - 4 >= th + top_margin
        _label(img, str(d.label), (x, y - 4) if above else (x + bw + 4, y + th + 4), scale, colour, thick + 1)
        _label(img, f"{d.confidence:.2f}", (x, y + bh + int(16 * unit)), 0.45 * unit, colour, 1)
    return img
