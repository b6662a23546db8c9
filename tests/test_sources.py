"""Frame sources: the camera path with a stand-in camera (newest frame wins, disconnects)."""

import time

import numpy as np
import pytest

from digitcam import sources
from digitcam.errors import DigitcamError


class FakeCamera:
    """A camera that produces ``frames`` frames at ``fps`` and then stops answering."""

    def __init__(self, index, frames=40, fps=200.0, opened=True):
        self.left, self.fps, self.opened, self.props = frames, fps, opened, {}

    def isOpened(self):
        return self.opened

    def set(self, prop, value):
        self.props[prop] = value
        return True

    def get(self, prop):
        return 30.0

    def read(self):
        time.sleep(1.0 / self.fps)
        if self.left <= 0:
            return False, None
        self.left -= 1
        return True, np.full((48, 64, 3), self.left, np.uint8)

    def release(self):
        pass


def test_camera_frames_are_dropped_not_queued_and_a_disconnect_is_noticed(monkeypatch):
    monkeypatch.setattr(sources.cv2, "VideoCapture", lambda spec: FakeCamera(spec))
    src = sources.open_source("0", width=640, height=480, fps=30)
    assert src.is_camera and src.realtime
    assert src.cap.props  # the requested mode was passed to the camera
    src.reconnect_seconds = 0.3
    seen = []
    for frame in src.frames():
        seen.append(frame.index)
        time.sleep(0.02)  # a slow engine: 50 fps against a 200 fps camera
    src.close()
    assert src.disconnected
    assert seen == sorted(seen) and len(seen) < 40 and src.dropped > 0
    assert seen[-1] >= 30, "the newest frame is always the one processed"


def test_missing_camera_names_the_index_and_the_way_out(monkeypatch):
    monkeypatch.setattr(sources.cv2, "VideoCapture", lambda spec: FakeCamera(spec, opened=False))
    with pytest.raises(DigitcamError) as info:
        sources.open_source("3")
    msg = str(info.value)
    assert "index 3" in msg and "--source" in msg


def test_parse_source():
    assert sources.parse_source("0") == 0 and sources.parse_source(" 2 ") == 2
    assert sources.parse_source("clip.mp4") == "clip.mp4"
    assert sources.parse_source("rtsp://cam/1") == "rtsp://cam/1"


def test_list_cameras_says_when_none_opens():
    from conftest import run_cli

    proc = run_cli("live", "--list-cameras", timeout=120)
    assert "Traceback" not in proc.stderr
    if proc.returncode == 0:  # a machine with a camera
        assert "digitcam live --source" in proc.stdout
    else:
        assert proc.returncode == 1 and "no camera opens" in proc.stderr


def test_list_cameras_reports_each_camera_that_delivers_a_frame(monkeypatch):
    import numpy as np

    class FakeCap:
        def __init__(self, i):
            self.i = i

        def isOpened(self):
            return self.i in (0, 2)

        def read(self):
            return (True, np.zeros((720, 1280, 3), np.uint8)) if self.i == 0 else (False, None)

        def release(self):
            pass

    monkeypatch.setattr(sources, "_open_quietly", FakeCap)
    assert sources.list_cameras() == [(0, 1280, 720)]
