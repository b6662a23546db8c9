"""The frame's gradients, shared by the measures of focus and motion (engine.focus, engine.motion)."""

from __future__ import annotations

import cv2
import numpy as np

MAX_SLOPE = 181.0   # the steepest slope (grey levels per px) a 3x3 Sobel gives 8-bit levels: 4 * 255 / 8 each way, times sqrt(2)


def gradients(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 3x3 Sobel derivatives of a uint8 image along x and y and the slope (their magnitude
    over 8: grey levels per px), float32: computed once a frame for both measures. (A 720p frame's
    float planes are written to fresh memory each time, and that, not the arithmetic, is most of
    their cost: ``cv2.spatialGradient`` with a conversion to float took longer, interleaved with
    the rest of a frame's work, than two ``cv2.Sobel`` calls.)"""
    dx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    slope = cv2.magnitude(dx, dy)
    slope *= np.float32(1.0 / 8.0)
    return dx, dy, slope


def slope_levels(slope: np.ndarray) -> np.ndarray:
    """Slopes in grey levels per px brought to 256 uint8 levels (rounded: a level spans +-half a
    bin), for histograms."""
    return cv2.convertScaleAbs(slope, alpha=255.0 / MAX_SLOPE)


__all__ = ["MAX_SLOPE", "gradients", "slope_levels"]
