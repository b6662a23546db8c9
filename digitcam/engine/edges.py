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


def steepest_widths(step: np.ndarray, slope: np.ndarray, edge: np.ndarray, top: int,
                    groups: np.ndarray | None = None, count: int = 1, min_edges: int = 1) -> list[np.ndarray] | None:
    """The widths (the grey-level ``step`` across an edge over its ``slope``) of the ``top``
    steepest ``edge`` pixels of each of ``count`` groups (``groups``: a uint8 image of group
    numbers; None: one group); None where a group has fewer than ``min_edges`` edge pixels.

    A textured frame has edges nearly everywhere, so the least slope of each group's steepest is
    found on a histogram of the slopes in 256 levels first, and only the pixels above it are
    gathered (focus measures one group, motion one a direction)."""
    level = slope_levels(slope)
    if groups is None:
        hist = cv2.calcHist([level], [0], edge, [256], [0, 256]).reshape(1, 256)
    else:
        hist = cv2.calcHist([groups, level], [0, 1], edge, [count, 256], [0, count, 0, 256])
    if hist.sum(axis=1).min() < min_edges:
        return None
    above = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1]        # edge pixels at or over each level
    # the level under the one where each group's count reaches ``top``: rounding puts a slope
    # within half a level of its true value, and the exact slopes decide below
    low = np.array([max(0, int(np.flatnonzero(row >= min(top, row[0]))[-1]) - 1) for row in above], np.uint8)
    if groups is None:
        over = cv2.threshold(level, int(low[0]), 255, cv2.THRESH_BINARY)[1]
    else:
        table = np.zeros(256, np.uint8)
        table[:count] = low
        over = cv2.compare(level, cv2.LUT(groups, table), cv2.CMP_GT)
    xy = cv2.findNonZero(cv2.bitwise_and(edge, over))
    xy = np.zeros((0, 2), np.int32) if xy is None else xy.reshape(-1, 2)
    idx = xy[:, 1].astype(np.int64) * step.shape[1] + xy[:, 0]
    s = slope.ravel()[idx]
    g = np.zeros(len(idx), np.uint8) if groups is None else groups.ravel()[idx]
    widths = []
    for k in range(count):
        mine = np.flatnonzero(g == k)
        if len(mine) > top:
            mine = mine[np.argpartition(s[mine], len(mine) - top)[len(mine) - top:]]
        widths.append(step.ravel()[idx[mine]].astype(np.float32) / np.maximum(s[mine], np.float32(1e-3)))
    return widths


__all__ = ["MAX_SLOPE", "gradients", "slope_levels", "steepest_widths"]
