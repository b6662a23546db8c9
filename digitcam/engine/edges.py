"""The frame's gradients, shared by the measures of focus and motion (engine.focus, engine.motion)."""

from __future__ import annotations

import cv2
import numpy as np

MAX_SLOPE = 181.0   # the steepest slope (grey levels per px) a 3x3 Sobel gives 8-bit levels: 4 * 255 / 8 each way, times sqrt(2)


def gradients(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 3x3 Sobel derivatives of a uint8 image along x and y and the slope (their magnitude
    over 8: grey levels per px), float32. The derivatives come from one pass of
    ``cv2.spatialGradient`` (0.3 ms on a 720p frame, against 2.5 ms for each ``cv2.Sobel`` to
    float), the same values."""
    dx, dy = cv2.spatialGradient(gray)
    dx, dy = dx.astype(np.float32), dy.astype(np.float32)
    slope = cv2.magnitude(dx, dy)
    slope *= np.float32(1.0 / 8.0)
    return dx, dy, slope


def slope_levels(slope: np.ndarray) -> np.ndarray:
    """Slopes in grey levels per px brought to 256 uint8 levels (rounded: a level spans +-half a
    bin), for histograms."""
    return cv2.convertScaleAbs(slope, alpha=255.0 / MAX_SLOPE)


__all__ = ["MAX_SLOPE", "gradients", "slope_levels"]
