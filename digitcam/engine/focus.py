"""Stage 0, focus: a frame out of focus is sharpened before it is read.

A webcam is often out of focus (a page held closer than a fixed-focus lens reaches, a lens that
hunts) and compresses its frames: the strokes of a small digit spread into a smudge, and the crop
head calls it "not a digit". An unsharp mask gives the strokes their edges back. On a frame in
focus it only adds noise, and texture read as ink (the dev photos and the digit-free sets lose
with every frame sharpened), so a frame is sharpened only where its edges are as wide as a blurred
camera's are.

The measure is the width of the frame's sharpest strong edges, at the scale it is read: the
grey-level step across each edge over the steepest gradient on it (a step edge blurred by a
Gaussian of sigma s is about 2.5 s wide; a camera in focus gives 2-2.3 px at the working scale).
The sharpest tenth tells the focus: soft texture (fabric, foliage, a face) is soft in any focus,
and a frame in focus still holds some sharp edges.
"""

from __future__ import annotations

import cv2
import numpy as np

from digitcam.engine import motion
from digitcam.engine.edges import gradients, steepest_widths
from digitcam.engine.scale import resized

EDGE_TOP = 0.005    # the steepest half percent of a frame's gradients are its edges ...
MIN_STEP = 30       # ... where the grey level steps by this much or more within STEP_SPAN px
STEP_SPAN = 7
SHARPEST = 0.1      # the width of the sharpest tenth of those edges is the frame's: a frame in focus
                    # has some sharp ones (ink on paper, a page's edge) whatever soft texture it shows
MIN_EDGES = 50      # fewer such pixels: no edge to measure (a blank or flat frame), left as it is
BLURRED = 2.6       # px at the working scale: edges wider than this are out of focus, and the frame
RAMP = 0.3          # ... is sharpened the more the wider they are, fully from BLURRED + RAMP on.
                    # Rendered held-up pages at 720p and 640x480 (32 frames each): in focus
                    # 2.00-2.26 px; blurred by 0.5 px and JPEG 60, 2.04-2.66 (F1 0.984 and 0.970
                    # as they are or sharpened); by 1 px, 2.71-3.24 (0.975 -> 0.987 at 720p, 0.919
                    # -> 0.965 at 640x480); by 1.5 px, 3.12-3.90 (0.940 -> 0.975, 0.818 -> 0.897).
                    # A page turned in a photo editor (tests/test_tilt.py) measures 2.58-2.65 (its
                    # pixels interpolated): sharpened fully from 2.6 on, one turned 30 degrees was read
                    # unlevelled; a little, it reads as before. The dev photos measure 1.95-3.74, and
                    # each is scored as before; with their digits painted out 31 -> 17 false digits (a
                    # photo painted out has lost its sharpest edges, the ink's, and is sharpened); 32
                    # held-out backgrounds 4 -> 5 (raindrops out of focus). Sharpening every frame
                    # costs real photos: dev F1 0.951 -> 0.942, held-out backgrounds 4 -> 14. Fully
                    # from 2.75 on (no ramp): painted out 31 -> 33, over tests/test_shipped_figures'
                    # ceiling (twenty-fourth session)
AMOUNT = 2.0        # the unsharp mask: the frame plus AMOUNT times its difference from ...
SIGMA = 1.0         # ... itself blurred by this (px at the working scale)


def edge_width(gray: np.ndarray, grads: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> float:
    """The width (px) of the sharpest tenth of the strongest edges of a uint8 grayscale image;
    0.0 where it has too few to measure. ``grads``: its :func:`edges.gradients`, if at hand."""
    k = np.ones((STEP_SPAN, STEP_SPAN), np.uint8)
    step = cv2.subtract(cv2.dilate(gray, k), cv2.erode(gray, k))
    edge = cv2.threshold(step, MIN_STEP - 1, 255, cv2.THRESH_BINARY)[1]
    top = max(MIN_EDGES, int(round(EDGE_TOP * gray.size)))
    widths = steepest_widths(step, (grads or gradients(gray))[2], edge, top, min_edges=MIN_EDGES)
    return 0.0 if widths is None else float(np.quantile(widths[0], SHARPEST))


def sharpened(gray: np.ndarray, scale: float = 1.0) -> tuple[np.ndarray, float]:
    """``gray`` sharpened as far as it is out of focus at ``scale`` (the scale it will be read
    at), and the width of its edges there (see :func:`edge_width`); ``gray`` itself in focus.
    A frame read enlarged (live's closer look) is measured at its own size: enlarging widens
    every edge, and would make a frame in focus look blurred."""
    scale = min(scale, 1.0)
    return _sharpened(gray, scale, edge_width(resized(gray, scale)))


def restored(gray: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """``gray`` as the engine reads it: deconvolved along its smear where it is smeared by motion
    (engine.motion), else sharpened as far as it is out of focus (:func:`sharpened`), else itself;
    both measured at ``scale``, the scale it will be read at, from one pass of its gradients."""
    scale = min(scale, 1.0)
    small = resized(gray, scale)
    grads = gradients(small)
    smear = motion.smear(small, grads)
    if smear is not None and smear.found:
        return motion.deconvolved(gray, motion.line(smear.length / scale, smear.angle))
    return _sharpened(gray, scale, edge_width(small, grads))[0]


def _sharpened(gray: np.ndarray, scale: float, width: float) -> tuple[np.ndarray, float]:
    amount = AMOUNT * float(np.clip((width - BLURRED) / RAMP, 0.0, 1.0))
    if amount <= 0:
        return gray, width
    blurred = cv2.GaussianBlur(gray, (0, 0), SIGMA / scale)
    return cv2.addWeighted(gray, 1.0 + amount, blurred, -amount, 0), width


__all__ = ["edge_width", "restored", "sharpened"]
