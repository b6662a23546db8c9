"""Stage 2, strokes: the connected components of each ink mask, the pieces every hypothesis is made of.

A stroke belongs to at most one digit in the final reading, so the selection stage keeps track
of strokes by (polarity, component id).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from digitcam.engine import shade
from digitcam.engine.ink import DARK, LIGHT, MIN_CONTRAST, backgrounds, binarize, contrasts, remove_lines, remove_rules
from digitcam.engine.threads import both

MIN_PIECE_HEIGHT = 4   # pixels; a piece of a digit may be small (the dot of a broken 5's flag)
MIN_PIECE_AREA = 6     # pixels of ink; less is sensor noise
MAX_PIECES = 300       # per polarity: a textured surface, not a page; keep the biggest pieces
DENSITY_POOL = 4       # the ink-density map is kept at a quarter of the working resolution


@dataclass
class LabelMap:
    """Connected-component labels of the part of the frame that holds ink (its bounding rect)."""

    labels: np.ndarray  # uint16 or int32 labels of the rect; 0 is background
    x: int = 0
    y: int = 0

    def crop(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Labels of the frame box [x0, x1) x [y0, y1); zero where the box leaves the rect."""
        out = np.zeros((y1 - y0, x1 - x0), self.labels.dtype)
        h, w = self.labels.shape
        ax0, ay0 = max(x0, self.x), max(y0, self.y)
        ax1, ay1 = min(x1, self.x + w), min(y1, self.y + h)
        if ax1 > ax0 and ay1 > ay0:
            out[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0] = self.labels[ay0 - self.y:ay1 - self.y, ax0 - self.x:ax1 - self.x]
        return out


EMPTY_LABELS = LabelMap(np.zeros((0, 0), np.uint16))


@dataclass
class Strokes:
    """The ink pieces of one polarity: label map, and per kept piece its id and stats."""

    polarity: int
    labels: LabelMap
    ids: np.ndarray      # (K,) component labels (>= 1) of the kept pieces
    stats: np.ndarray    # (K, 5) x, y, w, h, area in pixels of the working image
    background: np.ndarray  # the paper (DARK) or board (LIGHT) level under the ink, per pixel
    density: np.ndarray     # summed-area table of the ink mask at 1/DENSITY_POOL scale (see prefilter)
    ink_gray: np.ndarray    # ... and of the frame's grey level on the ink (zero elsewhere)

    def __len__(self) -> int:
        return len(self.ids)


def _components(mask: np.ndarray) -> tuple[LabelMap, np.ndarray]:
    """Connected components of the ink's bounding rect only (most of a page is empty paper).

    Returns the label map and each component's stats (x, y, w, h, area) in frame pixels.
    """
    if cv2.countNonZero(mask) == 0:
        return EMPTY_LABELS, np.zeros((0, 5), np.int32)
    x, y, w, h = cv2.boundingRect(mask)
    roi = mask[y:y + h, x:x + w]
    try:  # 16-bit labels halve the memory traffic; a very noisy mask may need 32 bits
        _, labels, stats, _ = cv2.connectedComponentsWithStats(roi, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:
        _, labels, stats, _ = cv2.connectedComponentsWithStats(roi, connectivity=8, ltype=cv2.CV_32S)
    stats = stats[1:].copy()  # drop the background; component i has label i + 1
    stats[:, 0] += x
    stats[:, 1] += y
    return LabelMap(labels, x, y), stats


def _has_lines(stats: np.ndarray, h: int, w: int) -> bool:
    """Whether any component is long and thin enough to be, or to hold, a ruled line."""
    if len(stats) == 0:
        return False
    long_ = (stats[:, 2] >= max(w // 5, 40)) | (stats[:, 3] >= max(h // 3, 40))
    return bool(long_.any())


def _pieces(pol: int, mask: np.ndarray, gray: np.ndarray, background: np.ndarray, strength: np.ndarray,
            min_contrast: int = MIN_CONTRAST) -> Strokes:
    """The kept ink pieces of one polarity's mask (``strength``: its ink contrast), its rules cut
    out first."""
    h, w = gray.shape
    labels, stats = _components(mask)
    if pol == DARK:   # a page's shaded band taken for ink: its paper measured again (engine.shade)
        faint = shade.faint(stats, labels, background, strength)
        if len(faint):
            mask, background, strength = shade.paper_again(faint, stats, labels, mask, gray, background,
                                                           strength, min_contrast)
            labels, stats = _components(mask)
    if _has_lines(stats, h, w):  # rules touching digits would glue them together: cut them out
        # ruled paper has dark rules, and they lean as the page does; a board's light lines
        # (and the light grain of wood) are looked for level only
        cleaned = remove_rules(mask, strength, background) if pol == DARK else remove_lines(mask, strength=strength)
        if cleaned is not mask:   # (the same mask back: no rule was found, the pieces stand)
            mask = cleaned
            labels, stats = _components(mask)
    size = (max(1, w // DENSITY_POOL), max(1, h // DENSITY_POOL))
    density = cv2.integral(cv2.resize(mask, size, interpolation=cv2.INTER_AREA), sdepth=cv2.CV_32S)
    ink_gray = cv2.integral(cv2.resize(cv2.bitwise_and(gray, mask), size, interpolation=cv2.INTER_AREA), sdepth=cv2.CV_32S)
    keep = np.flatnonzero((stats[:, 3] >= MIN_PIECE_HEIGHT) & (stats[:, 4] >= MIN_PIECE_AREA))
    if keep.size > MAX_PIECES:
        keep = keep[np.argsort(stats[keep, 4])[-MAX_PIECES:]]
    return Strokes(pol, labels, (keep + 1).astype(np.int32), stats[keep], background, density, ink_gray)


def find_strokes(gray: np.ndarray, min_contrast: int = 14) -> tuple[Strokes, Strokes]:
    """The ink pieces of a uint8 grayscale frame, (dark, light): the two polarities side by side
    (see engine.threads; the light one's rule search has no Hough transform, so it is a leaf)."""
    bgs = backgrounds(gray, min_contrast)
    strengths = contrasts(gray, min_contrast, bgs)
    dark, light = binarize(gray, min_contrast, strengths=strengths)
    return both(lambda: _pieces(DARK, dark, gray, bgs[DARK], strengths[DARK], min_contrast),
                lambda: _pieces(LIGHT, light, gray, bgs[LIGHT], strengths[LIGHT], min_contrast))


__all__ = ["DARK", "LIGHT", "LabelMap", "Strokes", "find_strokes"]
