"""Real OpenCV windows under Xvfb: the live overlay and the draw canvas, driven with xdotool."""

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from test_live import make_test_video

TOOLS = ("Xvfb", "xdotool", "import")
pytestmark = pytest.mark.skipif(not all(shutil.which(t) for t in TOOLS),
                                reason="needs Xvfb, xdotool and ImageMagick (installed by .ci/run)")
GREEN = np.array([60, 220, 60])  # digitcam.overlay.DIGIT_COLOUR, BGR


@pytest.fixture(scope="module")
def display():
    for n in range(90, 130):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    # -noreset: an X server resets when its last client leaves and refuses connections meanwhile
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x900x24", "-nolisten", "tcp", "-noreset"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):  # the socket appears before the server answers: wait for an answer
        if Path(f"/tmp/.X11-unix/X{n}").exists():
            probe = subprocess.run(["xdotool", "getdisplaygeometry"], env={**os.environ, "DISPLAY": f":{n}"},
                                   capture_output=True, timeout=10)
            if probe.returncode == 0:
                break
        time.sleep(0.05)
    yield f":{n}"
    proc.terminate()
    proc.wait(timeout=10)


def gui_env(display: str) -> dict:
    fonts = "/usr/share/fonts/truetype/dejavu"
    return {**os.environ, "DISPLAY": display, "QT_QPA_FONTDIR": fonts if Path(fonts).is_dir() else os.environ.get("QT_QPA_FONTDIR", "")}


def xdo(env: dict, *args: str, timeout: float = 30, check: bool = True) -> str:
    return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=timeout, check=check).stdout


def quit_and_wait(env: dict, wid: str, proc: subprocess.Popen) -> str:
    """Press q, wait for the program to exit cleanly, and return what it printed on stderr."""
    # the window closes while xdotool still sends the key release: xdotool may then report
    # BadWindow; whether the program quit cleanly is checked on the program
    xdo(env, "key", "--window", wid, "q", check=False)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    return err


@contextlib.contextmanager
def running(args: list[str], env: dict, cwd: Path):
    """Start ``python -m digitcam ARGS`` and make sure it is gone afterwards."""
    proc = subprocess.Popen([sys.executable, "-m", "digitcam", *args], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def find_window(env: dict, name: str, proc: subprocess.Popen) -> tuple[str, int, int]:
    deadline = time.time() + 60
    while time.time() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        out = subprocess.run(["xdotool", "search", "--name", name], env=env, capture_output=True, text=True).stdout.split()
        if out:
            wid = out[-1]
            geo = dict(line.split("=") for line in xdo(env, "getwindowgeometry", "--shell", wid).splitlines() if "=" in line)
            return wid, int(geo["X"]), int(geo["Y"])
        time.sleep(0.2)
    raise AssertionError(f"window {name!r} never appeared")


def screenshot_when(env: dict, path: Path, ready, timeout: float = 20.0) -> np.ndarray:
    """A screenshot once ``ready(shot)`` holds (or the last one after ``timeout`` seconds): a
    loaded machine may take a while to draw what a test waits for."""
    end = time.monotonic() + timeout
    while True:
        shot = screenshot(env, path)
        if ready(shot) or time.monotonic() > end:
            return shot
        time.sleep(0.5)


def screenshot(env: dict, path: Path) -> np.ndarray:
    subprocess.run(["import", "-window", "root", str(path)], env=env, check=True, timeout=30)
    return cv2.imread(str(path))


def test_live_window_shows_the_overlay_and_quits_on_q(display, tmp_path, mnist_sample, classifier):
    x, y = mnist_sample
    good = np.flatnonzero(classifier.predict(x[:300] / 255.0)[:, :10].argmax(1) == y[:300])
    idx = good[[1, 2, 3, 4]]
    video = tmp_path / "v.avi"
    truth = make_test_video(video, x[idx], y[idx], frames=300)
    env = gui_env(display)
    with running(["live", "--source", str(video), "--realtime"], env, tmp_path) as proc:
        wid, wx, wy = find_window(env, "digitcam live", proc)
        h, w = 360, 480
        greens = lambda shot: np.all(np.abs(shot[wy:wy + h, wx:wx + w].astype(int) - GREEN) < 40, axis=2)  # noqa: E731
        # the tracker shows a digit once it has held for a few frames
        shot = screenshot_when(env, Path(os.environ.get("DIGITCAM_SHOT_DIR", tmp_path)) / "live_window.png",
                               lambda shot: greens(shot).sum() > 200)
        view = shot[wy:wy + h, wx:wx + w]
        green = greens(shot)
        assert green.sum() > 200, "no digit boxes drawn"
        hits = 0
        for bx, by, bw, bh, _ in truth[0]:
            x0, y0 = int(max(0, bx - 18)), int(max(0, by - 18))
            ring = green[y0:int(by + bh + 18), x0:int(bx + bw + 18)]
            hits += ring.sum() > 20
        assert hits >= 3, f"boxes are not where the digits are ({hits} of {len(truth[0])})"
        status = view[:20, :200]
        assert (status.max(axis=2) < 30).mean() > 0.5, "the status bar is missing"
        hints = view[h - 22:h, :300]
        assert (hints.min(axis=2) > 200).sum() > 50 and (hints.max(axis=2) < 30).mean() > 0.4, "no key hints at the bottom"
        # h hides the key hints
        xdo(env, "key", "--window", wid, "h")
        shot = screenshot_when(env, tmp_path / "no_hints.png", lambda shot: (shot[wy + h - 22:wy + h, wx:wx + 300].max(axis=2) < 30).mean() < 0.4)
        assert (shot[wy + h - 22:wy + h, wx:wx + 300].max(axis=2) < 30).mean() < 0.4, "h did not hide the key hints"
        # r starts a recording: a red mark and its time in the status bar
        xdo(env, "key", "--window", wid, "r")
        red = lambda shot: (lambda bar: ((bar[..., 2] > 180) & (bar[..., 0] < 120) & (bar[..., 1] < 120)).sum())(  # noqa: E731
            shot[wy:wy + 20, wx + w - 160:wx + w].astype(int))
        shot = screenshot_when(env, Path(os.environ.get("DIGITCAM_SHOT_DIR", tmp_path)) / "live_recording.png",
                               lambda shot: red(shot) > 15)
        assert red(shot) > 15, "no recording indicator"
        # s saves a snapshot; r stops the recording; space pauses and resumes
        for key in ("s", "space", "space", "r"):
            xdo(env, "key", "--window", wid, key)
            time.sleep(0.6)
        err = quit_and_wait(env, wid, proc)
    assert "quit" in err
    snapshots = list(tmp_path.glob("digitcam-snapshot-*.png"))
    recordings = list(tmp_path.glob("digitcam-recording-*.mp4"))
    assert len(snapshots) == 1 and str(snapshots[0]) in err, err
    assert cv2.imread(str(snapshots[0])).shape == (360, 480, 3)
    assert len(recordings) == 1 and recordings[0].stat().st_size > 0 and "saved recording" in err


def test_draw_window_reads_a_stroke(display, tmp_path):
    env = gui_env(display)
    with running(["draw"], env, tmp_path) as proc:
        wid, wx, wy = find_window(env, "digitcam draw", proc)
        time.sleep(1.0)
        for attempt in range(4):  # a loaded X server may drop the first pointer events
            if attempt:  # ... or the window was placed after its geometry was first read: read it again
                time.sleep(0.5)
                wid, wx, wy = find_window(env, "digitcam draw", proc)
            xdo(env, "mousemove", str(wx + 200), str(wy + 70))
            xdo(env, "mousedown", "1")
            for yy in range(70, 340, 15):
                xdo(env, "mousemove", str(wx + 200 + (yy - 70) // 30), str(wy + yy))
            xdo(env, "mouseup", "1")
            shot = screenshot_when(env, Path(os.environ.get("DIGITCAM_SHOT_DIR", tmp_path)) / "draw_window.png",
                                   lambda shot: (shot[wy:wy + 400, wx:wx + 400].min(axis=2) > 200).sum() > 2000
                                   and (shot[wy + 12:wy + 96, wx + 604:wx + 688].min(axis=2) > 150).sum() > 100, timeout=8.0)
            canvas = shot[wy:wy + 400, wx:wx + 400]
            panel = shot[wy:wy + 400, wx + 400:wx + 700]
            if (canvas.min(axis=2) > 200).sum() > 2000:
                break
        assert (canvas.min(axis=2) > 200).sum() > 2000, "the stroke is not on the canvas"
        bar = np.all(np.abs(panel.astype(int) - np.array([80, 200, 80])) < 30, axis=2)
        assert bar.sum() > 100, "no probability bar for the predicted digit"
        # the predicted digit's bar is the one for "1": row 1 of ten bars starting at y=124
        rows = np.flatnonzero(bar.any(axis=1))
        assert 124 + 19 <= rows.mean() <= 124 + 2 * 19, rows.mean()
        # the model's 28x28 input, top right of the panel, shows the stroke
        preview = panel[12:12 + 84, 300 - 84 - 12:300 - 12]
        assert (preview.min(axis=2) > 150).sum() > 100, "the 28x28 input is not shown"
        xdo(env, "key", "--window", wid, "s")
        time.sleep(0.5)
        quit_and_wait(env, wid, proc)
    saved = sorted(p.name for p in tmp_path.glob("digitcam-canvas-*.png"))
    assert len(saved) == 2 and any(n.endswith("-28x28.png") for n in saved)
    assert cv2.imread(str(tmp_path / [n for n in saved if n.endswith("-28x28.png")][0]), cv2.IMREAD_GRAYSCALE).shape == (28, 28)
