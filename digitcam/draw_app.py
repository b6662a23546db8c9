"""``digitcam draw``: draw digits with the mouse and watch the model read them, in an OpenCV window."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from digitcam.canvas import Canvas
from digitcam.detections import Detection, Result
from digitcam.errors import DigitcamError
from digitcam.overlay import draw as draw_overlay
from digitcam.engine import Recognizer

WINDOW = "digitcam draw"
PANEL_W = 300
INPUT_VIEW = 84   # the model's 28x28 input shown 3x, top right of the panel
FONT = cv2.FONT_HERSHEY_SIMPLEX
HELP = ["left drag: draw", "right / c: clear   u: undo", "+ - / wheel: pen size", "s: save   q / Esc: quit"]


@dataclass
class Reading:
    result: Result
    focus: Detection | None   # the digit whose probabilities the panel shows


def read_canvas(recognizer: Recognizer, canvas: Canvas) -> Reading:
    """Read the canvas through the same engine as scan and live; focus on the latest stroke's digit."""
    if canvas.empty:
        return Reading(Result(canvas.size, canvas.size), None)
    result = recognizer(canvas.render())
    focus = None
    if result.detections:
        px, py = canvas.strokes[-1][1][-1]
        for d in result.detections:
            x, y, w, h = d.box
            if x - 5 <= px <= x + w + 5 and y - 5 <= py <= y + h + 5:
                focus = d
        focus = focus or result.detections[-1]
    return Reading(result, focus)


def render_panel(reading: Reading, height: int, thickness: int) -> np.ndarray:
    """The side panel: the reading in large type, confidence, ten probability bars, the model's input."""
    panel = np.full((height, PANEL_W, 3), 32, np.uint8)
    text = reading.result.text if reading.result.detections else "?"
    scale = 2.4 if len(text) <= 3 else max(0.9, 2.4 * 3 / len(text))
    cv2.putText(panel, text, (16, 78), FONT, scale, (255, 255, 255), 4, cv2.LINE_AA)
    f = reading.focus
    if f is not None:
        cv2.putText(panel, f"digit {f.label}  {f.confidence:.1%}", (16, 110), FONT, 0.6, (200, 255, 200), 1, cv2.LINE_AA)
        top, bar_h = 124, 15
        for d in range(10):
            y = top + d * (bar_h + 4)
            p = float(f.probs[d])
            cv2.putText(panel, str(d), (16, y + bar_h - 3), FONT, 0.5, (220, 220, 220), 1, cv2.LINE_AA)
            cv2.rectangle(panel, (36, y), (36 + int(p * 150), y + bar_h), (80, 200, 80) if d == f.label else (160, 160, 160), -1)
            cv2.putText(panel, f"{p:.2f}", (196, y + bar_h - 3), FONT, 0.45, (200, 200, 200), 1, cv2.LINE_AA)
        if f.crop is not None:  # top right, where it fits at any canvas size
            side = INPUT_VIEW
            crop = cv2.resize((np.clip(f.crop, 0, 1) * 255).astype(np.uint8), (side, side), interpolation=cv2.INTER_NEAREST)
            x0, y0 = PANEL_W - side - 12, 12
            panel[y0:y0 + side, x0:x0 + side] = crop[..., None]
            cv2.rectangle(panel, (x0 - 1, y0 - 1), (x0 + side, y0 + side), (120, 120, 120), 1)
            cv2.putText(panel, "input 28x28", (x0 - 2, y0 + side + 14), FONT, 0.4, (200, 200, 200), 1, cv2.LINE_AA)
    else:
        cv2.putText(panel, "draw a digit", (16, 110), FONT, 0.6, (200, 200, 200), 1, cv2.LINE_AA)
    for i, line in enumerate(HELP):
        cv2.putText(panel, line, (16, height - 70 + i * 17), FONT, 0.42, (170, 170, 170), 1, cv2.LINE_AA)
    cv2.putText(panel, f"pen {thickness}px", (200, height - 70), FONT, 0.42, (170, 170, 170), 1, cv2.LINE_AA)
    return panel


def compose(canvas: Canvas, reading: Reading) -> np.ndarray:
    view = draw_overlay(cv2.cvtColor(canvas.render(), cv2.COLOR_GRAY2BGR), reading.result.detections, reading.result.numbers, in_place=True)
    return np.hstack([view, render_panel(reading, canvas.size, canvas.thickness)])


def save(canvas: Canvas, reading: Reading, folder: Path = Path(".")) -> list[Path]:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    paths = [folder / f"digitcam-canvas-{stamp}.png"]
    cv2.imwrite(str(paths[0]), canvas.render())
    if reading.focus is not None and reading.focus.crop is not None:
        paths.append(folder / f"digitcam-canvas-{stamp}-28x28.png")
        cv2.imwrite(str(paths[1]), (np.clip(reading.focus.crop, 0, 1) * 255).astype(np.uint8))
    return paths


def run_draw(recognizer: Recognizer, size: int = 400, log=print) -> None:
    from digitcam.live import display_available

    ok, why = display_available()
    if not ok:
        raise DigitcamError(f"{why}; digitcam draw needs a window (try digitcam scan on an image instead)")
    canvas = Canvas(size=size)
    state = {"reading": read_canvas(recognizer, canvas), "dirty": True, "last": 0.0}

    def refresh(force: bool = False) -> None:
        now = time.perf_counter()
        if force or now - state["last"] > 0.05:  # while drawing, re-read at most 20 times a second
            state["reading"] = read_canvas(recognizer, canvas)
            state["last"] = now
        state["dirty"] = True

    def on_mouse(event, x, y, flags, _param):
        if x >= canvas.size:
            return
        if event == cv2.EVENT_LBUTTONDOWN:
            canvas.begin(x, y)
            refresh()
        elif event == cv2.EVENT_MOUSEMOVE and canvas.drawing:
            canvas.extend(x, y)
            refresh()
        elif event == cv2.EVENT_LBUTTONUP and canvas.drawing:
            canvas.extend(x, y)
            canvas.end()
            refresh(force=True)
        elif event == cv2.EVENT_RBUTTONDOWN:
            canvas.clear()
            refresh(force=True)
        elif event == cv2.EVENT_MOUSEWHEEL:
            canvas.thicker(2 if cv2.getMouseWheelDelta(flags) > 0 else -2)
            state["dirty"] = True

    try:
        cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
    except cv2.error:
        raise DigitcamError("cannot open a window (this OpenCV build has no GUI support)") from None
    cv2.setMouseCallback(WINDOW, on_mouse)
    try:
        while True:
            if state["dirty"]:
                cv2.imshow(WINDOW, compose(canvas, state["reading"]))
                state["dirty"] = False
            key = cv2.waitKey(15) & 0xFF
            if key in (ord("q"), 27):
                break
            if cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
                break
            if key == ord("c"):
                canvas.clear()
                refresh(force=True)
            elif key == ord("u"):
                canvas.undo()
                refresh(force=True)
            elif key in (ord("+"), ord("=")):
                canvas.thicker(2)
                state["dirty"] = True
            elif key in (ord("-"), ord("_")):
                canvas.thicker(-2)
                state["dirty"] = True
            elif key == ord("s"):
                for p in save(canvas, state["reading"]):
                    log(f"saved {p.resolve()}")
    except KeyboardInterrupt:
        pass
    finally:
        cv2.destroyAllWindows()
        cv2.waitKey(1)
