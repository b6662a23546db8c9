"""Stage 0, motion: a frame smeared by motion is deconvolved along the smear before it is read.

A page raised to a webcam moves while the shutter is open: every point of it is drawn out into a
short line, and the strokes of a digit run into each other along it (32 held-up pages at 640x480
and JPEG 60, `python -m digitcam.train.heldup` and `digitcam eval --motion`: F1 0.972 still,
0.917 moved 5 px, 0.516 moved 9 px; deconvolved, 0.949 and 0.608). The focus stage does not see
it: edges along the motion stay sharp, and its measure takes a frame's sharpest edges.

The measure: the width of the frame's sharpest strong edges, as :mod:`engine.focus` takes it,
but in each of ``DIRECTIONS`` directions of the edge's normal. Motion of length L along a
direction widens an edge by about L times the cosine between its normal and the motion, so the
widths swing once around the half circle: their second harmonic gives the direction (its phase)
and the length (its amplitude). A frame in focus swings by under 0.2 px; texture with a grain
(wood, stripes) swings too, but not as a cosine: its widths stray far from the fitted swing, and
such a frame is left as it is. A smear widens a broad band of directions, so a direction wider
than both its neighbours (a wire-frame's crossings) is taken at their median first. Soft
photographs with a direction of their own (grass, canvas) can pass for smeared: deconvolved,
none of the digit-free sets read a digit more.

The mend: a Wiener deconvolution with a line of that length and direction, in the frequency
domain (two DFTs of the frame; only a frame found smeared pays them).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digitcam.engine.edges import gradients, steepest_widths

DIRECTIONS = 12     # bins of the edge normal's direction over the half circle (15 degrees each)
STEP_SPAN = 11      # px: the grey-level step across an edge is taken over this span, wider than
                    # engine.focus's 7, so that an edge drawn out by 9 px is still measured whole
MIN_STEP = 30       # grey levels: an edge steps by this much or more within STEP_SPAN
EDGE_TOP = 0.005    # the steepest half percent of the frame's pixels, shared among the directions
SHARPEST = 0.1      # the width of a direction is that of its sharpest tenth (as in engine.focus)
SAMPLE = 2          # the edges counted are those of every second pixel of every second row: a
                    # quarter of the work, and the same findings on the rendered and dev frames
MIN_SWING = 0.5     # px: widths swinging by less than this are a frame in focus or nearly.
                    # Rendered held-up pages (24 at 640x480, 24 at 720p, JPEG 60): in focus
                    # 0.02-0.19; moved 3 px 0.11-0.41; 5 px 0.40-1.07; 7 px 0.81-1.86; 9 px
                    # 0.68-2.26; a clean page of large print moved 9 px 2.9. The dev photos: 0.80 for
                    # one (a lone straight 1 filling the photo; its widths stray 0.43 from the
                    # swing), the rest under 0.45 (twenty-fifth session)
MAX_SWING = 3.5     # px: widths swinging by more are a grain (floorboards, brush strokes), not a smear
                    # of the lengths measured here (a 9 px one swings up to 2.9). Of 137 digit-free
                    # photos 15 swing 2.5-5.4; the 8 of them under 3.5 stray 0.78 of it and more
MAX_STRAY = 0.4     # the widths' root-mean-square distance from the fitted swing, as a part of the
                    # swing: at most this much for a smear. Smeared pages stray 0.08-0.56 of their
                    # swing (all but 8 of 138 under 0.4). Soft photographs swinging 0.5-2.5 (grass,
                    # sand ripples, canvas, blinds) stray 0.08-2.6 of it: 8 of 137 are taken for
                    # smears at 0.4 (none reads a digit), 14 at 0.5, where sand ripples read as 11
LENGTH = (3.0, 2.0) # the smear's length in px at the scale measured: LENGTH[0] + LENGTH[1] * swing.
                    # Across a smear of L px an edge in focus (2 px wide) grows to about L - 1 px,
                    # so the fitted swing's peak-to-trough (2 swing) is L - 3 on a clean page: a
                    # page of large print moved 5, 7, 9 px is measured 5.1, 7.1, 8.7. Thinner
                    # strokes measure shorter (rendered pages moved 9 px: 6.5), the safe side:
                    # deconvolved 30% too long (at NOISE 0.02), pages moved 5 px read 0.79 (0.85
                    # as they are, 0.88 as measured), 9 px 0.20 (0.46, 0.48)
NOISE = 0.05        # the Wiener filter's noise-to-signal power: lower restores more and rings more.
                    # `digitcam eval --labels ... --motion 5 --jpeg 60` (the dev photos, each moved
                    # 5 px along its own direction): 0.923 as they are; deconvolved at 0.02 0.933,
                    # 0.05 0.934, 0.1 0.934; --motion 9: 0.794; 0.787, 0.812, 0.819. Rendered pages
                    # moved 9 px: 0.464; 0.476, 0.518, 0.488. With the true smear at 0.01 and 0.03,
                    # pages moved 5 px read 0.895 and 0.909, moved 9 px 0.734 and 0.665


@dataclass(frozen=True)
class Smear:
    """A frame's motion blur: ``angle`` of the motion (radians, image axes, 0 to pi), ``length``
    in px at the scale measured, ``swing`` and ``stray`` the measure it was found by."""

    angle: float
    length: float
    swing: float
    stray: float

    @property
    def found(self) -> bool:
        return MIN_SWING <= self.swing <= MAX_SWING and self.stray <= MAX_STRAY * self.swing


_CENTRES = (np.arange(DIRECTIONS) + 0.5) * np.pi / DIRECTIONS


# the normal's direction, from cv2.phase's 0..2 pi brought to 241 levels of 1.5 degrees, folded
# onto the half circle and binned (rounded to the level: bins' borders move by under a degree)
_LEVELS = 240
_BIN_OF_LEVEL = np.zeros(256, np.uint8)
_BIN_OF_LEVEL[:_LEVELS + 1] = (np.arange(_LEVELS + 1) % (_LEVELS // 2)) * DIRECTIONS // (_LEVELS // 2)


def smear(gray: np.ndarray, grads: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> Smear | None:
    """The motion blur of a uint8 grayscale image, measured as the module says; None where a
    direction has too few strong edges to measure (a blank frame, a page of straight rules).
    ``grads``: its :func:`edges.gradients`, if at hand."""
    k = np.ones((STEP_SPAN, STEP_SPAN), np.uint8)
    gx, gy, slope = grads or gradients(gray)
    # every SAMPLE-th pixel of every SAMPLE-th row: the steps and slopes are the frame's own, only
    # fewer of them are counted
    step, gx, gy, slope = (np.ascontiguousarray(a[::SAMPLE, ::SAMPLE])
                           for a in (cv2.subtract(cv2.dilate(gray, k), cv2.erode(gray, k)), gx, gy, slope))
    edge = cv2.threshold(step, MIN_STEP - 1, 255, cv2.THRESH_BINARY)[1]
    bins = cv2.LUT(cv2.convertScaleAbs(cv2.phase(gx, gy), alpha=_LEVELS / (2 * np.pi)), _BIN_OF_LEVEL)
    top = max(20, int(EDGE_TOP * step.size / DIRECTIONS))
    steepest = steepest_widths(step, slope, edge, top, bins, DIRECTIONS, min_edges=max(20, top // 4))
    if steepest is None:
        return None
    widths = np.array([min(float(STEP_SPAN), float(np.quantile(w, SHARPEST))) for w in steepest])
    # a smear widens the edges of a broad band of directions (by 87% of its length or more within
    # 30 degrees of the motion); a direction wider than both its neighbours is a texture's own (a
    # wire-frame's crossings), so each direction's width is the median of it and its neighbours'
    widths = np.median(np.stack([np.roll(widths, -1), widths, np.roll(widths, 1)]), axis=0)
    z = np.sum((widths - widths.mean()) * np.exp(2j * _CENTRES)) * 2 / DIRECTIONS
    swing = float(abs(z))
    stray = float(np.sqrt(np.mean((widths - widths.mean() - swing * np.cos(2 * _CENTRES - np.angle(z))) ** 2)))
    return Smear(float(np.mod(np.angle(z) / 2, np.pi)), LENGTH[0] + LENGTH[1] * swing, swing, stray)


def line(length: float, angle: float) -> np.ndarray:
    """The point-spread function of a motion of ``length`` px along ``angle``: a line of that
    length, its points spread bilinearly over the pixels (sub-pixel ends), summing to 1, in a
    square of odd side."""
    n = max(3, int(np.ceil(length)) | 1) + 2
    c = (n - 1) / 2
    t = np.linspace(-0.5, 0.5, 8 * n) * max(length - 1.0, 0.0)
    x, y = c + t * np.cos(angle), c + t * np.sin(angle)
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    kernel = np.zeros((n, n), np.float64)
    for dx, dy, weight in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        np.add.at(kernel, (y0 + dy, x0 + dx), weight)
    return (kernel / kernel.sum()).astype(np.float32)


def deconvolved(gray: np.ndarray, psf: np.ndarray, noise: float | None = None) -> np.ndarray:
    """``gray`` (uint8) deconvolved by ``psf`` with a Wiener filter of noise-to-signal ``noise``
    (default ``NOISE``); reflected at its borders first so that they do not ring."""
    h, w = gray.shape
    pad = psf.shape[0]
    big = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    fh, fw = cv2.getOptimalDFTSize(big.shape[0]), cv2.getOptimalDFTSize(big.shape[1])
    big = cv2.copyMakeBorder(big, 0, fh - big.shape[0], 0, fw - big.shape[1], cv2.BORDER_REFLECT).astype(np.float32)
    mean = float(big.mean())   # taken out and put back: the filter's gain at zero frequency is under 1
    big -= np.float32(mean)
    kernel = np.zeros((fh, fw), np.float32)
    n = psf.shape[0]
    kernel[:n, :n] = psf
    kernel = np.roll(kernel, (-(n // 2), -(n // 2)), (0, 1))   # centred on the origin: no shift
    image = cv2.dft(big, flags=cv2.DFT_COMPLEX_OUTPUT)
    otf = cv2.dft(kernel, flags=cv2.DFT_COMPLEX_OUTPUT)
    power = cv2.magnitude(otf[..., 0], otf[..., 1]) ** 2 + np.float32(NOISE if noise is None else noise)
    filtered = cv2.mulSpectrums(image, otf, 0, conjB=True) / power[..., None]
    out = cv2.idft(filtered, flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE)[pad:pad + h, pad:pad + w] + np.float32(mean)
    return np.clip(out, 0, 255).astype(np.uint8)


__all__ = ["Smear", "smear", "line", "deconvolved"]
