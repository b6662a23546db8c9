"""The drawing canvas of ``digitcam draw`` as plain data: strokes in, image out. No window here."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

MIN_THICKNESS, MAX_THICKNESS = 4, 60


@dataclass
class Canvas:
    """White strokes on a black square, with undo, clear and an adjustable pen."""

    size: int = 400
    thickness: int = 22
    strokes: list[tuple[int, list[tuple[int, int]]]] = field(default_factory=list)  # (thickness, points)
    _drawing: bool = False
    _image: np.ndarray | None = None

    def begin(self, x: int, y: int) -> None:
        self.strokes.append((self.thickness, [(int(x), int(y))]))
        self._drawing = True
        self._paint(self.strokes[-1], 0)

    def extend(self, x: int, y: int) -> None:
        if not self._drawing:
            return
        points = self.strokes[-1][1]
        points.append((int(x), int(y)))
        self._paint(self.strokes[-1], len(points) - 1)

    def end(self) -> None:
        self._drawing = False

    @property
    def drawing(self) -> bool:
        return self._drawing

    def undo(self) -> None:
        if self.strokes:
            self.strokes.pop()
            self._drawing = False
            self._image = None

    def clear(self) -> None:
        self.strokes.clear()
        self._drawing = False
        self._image = None

    def thicker(self, step: int = 2) -> int:
        self.thickness = int(np.clip(self.thickness + step, MIN_THICKNESS, MAX_THICKNESS))
        return self.thickness

    @staticmethod
    def _draw(image: np.ndarray, thickness: int, points: list[tuple[int, int]], since: int) -> None:
        """Paint points[since:] of a stroke: a dot at its start, then one segment per point."""
        if since == 0:
            cv2.circle(image, points[0], thickness // 2, 255, -1, cv2.LINE_AA)
        for i in range(max(1, since), len(points)):
            cv2.line(image, points[i - 1], points[i], 255, thickness, cv2.LINE_AA)

    def _paint(self, stroke: tuple[int, list[tuple[int, int]]], since: int) -> None:
        if self._image is None:
            self.render()
        else:
            self._draw(self._image, stroke[0], stroke[1], since)

    def render(self) -> np.ndarray:
        """The canvas as a uint8 image (white on black); kept and updated incrementally."""
        if self._image is None:
            self._image = np.zeros((self.size, self.size), np.uint8)
            for thickness, points in self.strokes:
                self._draw(self._image, thickness, points, 0)
        return self._image

    @property
    def empty(self) -> bool:
        return not self.strokes


def trace_digit(canvas: Canvas, digit: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Draw a 28x28 digit (white on black) onto the canvas with the current pen, as a person would.

    Used by tests and demos: the scaled-up digit is thinned to a core about as wide as a pen
    stroke leaves room for, and each run of core pixels along a row becomes a short stroke.
    """
    x, y, w, h = box
    big = (cv2.resize(digit, (w, h), interpolation=cv2.INTER_CUBIC) > 100).astype(np.uint8)
    dist = cv2.distanceTransform(big, cv2.DIST_L2, 3)
    core = dist >= 0.5 * dist.max()  # the middle of each stroke
    step = max(2, canvas.thickness // 3)
    for row in range(0, h, step):
        cols = np.flatnonzero(core[row])
        if cols.size == 0:
            continue
        for run in np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1):
            canvas.begin(x + int(run[0]), y + row)
            canvas.extend(x + int(run[-1]), y + row)
            canvas.end()
