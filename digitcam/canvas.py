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
        self._paint(self.strokes[-1], len(points) - 2)

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

    def _paint(self, stroke: tuple[int, list[tuple[int, int]]], since: int) -> None:
        if self._image is None:
            self.render()
            return
        t, pts = stroke
        seg = pts[max(0, since):]
        if len(seg) == 1:
            cv2.circle(self._image, seg[0], t // 2, 255, -1, cv2.LINE_AA)
        else:
            cv2.polylines(self._image, [np.array(seg, np.int32)], False, 255, t, cv2.LINE_AA)

    def render(self) -> np.ndarray:
        """The canvas as a uint8 image (white on black); kept and updated incrementally."""
        if self._image is None:
            self._image = np.zeros((self.size, self.size), np.uint8)
            for stroke in self.strokes:
                t, pts = stroke
                if len(pts) == 1:
                    cv2.circle(self._image, pts[0], t // 2, 255, -1, cv2.LINE_AA)
                else:
                    cv2.polylines(self._image, [np.array(pts, np.int32)], False, 255, t, cv2.LINE_AA)
        return self._image

    @property
    def empty(self) -> bool:
        return not self.strokes


def trace_digit(canvas: Canvas, digit: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Draw a 28x28 digit (white on black) onto the canvas as strokes along its skeleton-ish ink.

    Used by tests and demos: each ink pixel row of the scaled-up digit becomes short strokes, so
    the canvas holds what a person tracing the digit with a thick pen would have drawn.
    """
    x, y, w, h = box
    big = cv2.resize(digit, (w, h), interpolation=cv2.INTER_CUBIC)
    ink = big > 128
    thickness = canvas.thickness
    canvas.thickness = max(MIN_THICKNESS, int(h / 12))
    step = max(2, canvas.thickness // 2)
    for row in range(0, h, step):
        cols = np.flatnonzero(ink[row])
        if cols.size == 0:
            continue
        runs = np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1)
        for run in runs:
            canvas.begin(x + int(run[0]), y + row)
            canvas.extend(x + int(run[-1]), y + row)
            canvas.end()
    canvas.thickness = thickness
