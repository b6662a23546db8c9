"""How the digits followed in live moved between two frames: sparse optical flow at their boxes.

Live reads a frame with the engine every other frame (see ``digitcam.live.READ_EVERY``); on the
frames between, the boxes it follows are carried along by the image's own motion, measured by
pyramidal Lucas-Kanade flow at a few points inside each box. That costs a few milliseconds, where
reading the frame costs tens.
"""

from __future__ import annotations

import cv2
import numpy as np

GRID = 3              # points per box side: GRID x GRID points spread over its middle
SHRINK = 2            # flow is measured on the frames halved (a digit moves as a whole)
LK = dict(winSize=(15, 15), maxLevel=3, criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.03))


def small(gray: np.ndarray) -> np.ndarray:
    """The frame as flow measures it: grayscale, halved."""
    return cv2.resize(gray, (max(1, gray.shape[1] // SHRINK), max(1, gray.shape[0] // SHRINK)),
                      interpolation=cv2.INTER_AREA)


def shifts(before: np.ndarray, after: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """(N, 2) motion in frame pixels of each box (x, y, w, h; frame pixels) from ``before`` to
    ``after`` (both from :func:`small`): the median of its points' flow, NaN where none was found."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    out = np.full((len(boxes), 2), np.nan, np.float32)
    if len(boxes) == 0 or before.shape != after.shape:
        return out
    f = (np.arange(GRID, dtype=np.float32) + 0.5) / GRID * 0.6 + 0.2   # the middle 60% of the box
    gx, gy = np.meshgrid(f, f)
    pts = np.stack([boxes[:, None, 0] + gx.ravel()[None] * boxes[:, None, 2],
                    boxes[:, None, 1] + gy.ravel()[None] * boxes[:, None, 3]], axis=2) / SHRINK
    moved, status, _ = cv2.calcOpticalFlowPyrLK(before, after, pts.reshape(-1, 1, 2).astype(np.float32), None, **LK)
    if moved is None:
        return out
    step = (moved.reshape(len(boxes), GRID * GRID, 2) - pts) * SHRINK
    ok = status.reshape(len(boxes), GRID * GRID).astype(bool)
    for i in np.flatnonzero(ok.any(axis=1)):
        out[i] = np.median(step[i][ok[i]], axis=0)
    return out
