"""Where live frames come from: a camera, a video file, a stream URL, or a folder/glob of images.

Cameras and ``--realtime`` sources are read in their own thread that keeps only the newest
frame: when the engine is slower than the camera, frames are dropped, never queued, so the
picture never lags behind reality. Files are otherwise read frame by frame, in order.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from digitcam.errors import DigitcamError
from digitcam.images import ImageError, is_image_path, read_image
from digitcam.scan import glob_files

# FFmpeg writes its own lines ("[mjpeg @ 0x...] No JPEG data found") while frames are read, after
# the capture has opened; a source that yields nothing is reported by us, once. OpenCV reads this
# at the first capture (-8 is FFmpeg's AV_LOG_QUIET); a user's own setting wins.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")


@dataclass
class Frame:
    index: int
    time: float          # seconds since the source opened (video: position in the file)
    image: np.ndarray


def parse_source(spec: str) -> int | str:
    """A camera index for ``"0"``, ``"1"``...; the string itself for files, folders, globs and URLs."""
    return int(spec) if spec.strip().isdigit() else spec


def _camera_hint(index: int) -> str:
    hint = f"no camera at index {index}, or it is busy in another program; try --source {index + 1}, or a video file with --source clip.mp4"
    if sys.platform == "darwin":
        hint += "; on macOS allow camera access for your terminal in System Settings > Privacy & Security > Camera"
    elif sys.platform.startswith("linux"):
        hint += "; list cameras with: ls /dev/video*"
    return hint


def list_cameras(indices: range = range(10)) -> list[tuple[int, int, int]]:
    """(index, width, height) of every camera index that opens and delivers a frame."""
    found = []
    for i in indices:
        cap = _open_quietly(i)
        try:
            if cap.isOpened():
                ok, frame = cap.read()
                if ok and frame is not None:
                    found.append((i, int(frame.shape[1]), int(frame.shape[0])))
        finally:
            cap.release()
    return found


def _open_quietly(spec: int | str) -> cv2.VideoCapture:
    """VideoCapture without OpenCV's or FFmpeg's own log lines (a camera or file that cannot be
    opened is reported by us, once)."""
    from digitcam.quiet import silenced_output

    logging = getattr(cv2.utils, "logging", None)
    level = logging.getLogLevel() if logging else None
    if logging:
        logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        with silenced_output():
            return cv2.VideoCapture(spec)
    finally:
        if logging:
            logging.setLogLevel(level)


class VideoSource:
    """Frames from OpenCV's VideoCapture (camera, file or URL)."""

    def __init__(self, spec: int | str, width: int | None = None, height: int | None = None, fps: float | None = None,
                 realtime: bool | None = None, reconnect_seconds: float = 3.0) -> None:
        self.spec, self.is_camera = spec, isinstance(spec, int)
        self.realtime = self.is_camera if realtime is None else (realtime or self.is_camera)
        self.reconnect_seconds = reconnect_seconds
        self.disconnected = False
        if not self.is_camera and "://" not in str(spec) and not Path(str(spec)).exists():
            raise DigitcamError(f"no such video file or folder: {spec}; pass a camera index (0), a video file, a folder of images or a URL", exit_code=2)
        self.cap = _open_quietly(spec)
        if not self.cap.isOpened():
            if self.is_camera:
                raise DigitcamError(_camera_hint(spec))
            if isinstance(spec, str) and "://" in spec:
                raise DigitcamError(f"cannot open stream {spec}: nothing answered, or it sends no video OpenCV can read; "
                                    "check the address and that the stream is running")
            raise DigitcamError(f"cannot open video {spec}: not a video OpenCV can read (corrupt, or a codec it lacks)")
        if width:
            self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if fps:
            self.cap.set(cv2.CAP_PROP_FPS, fps)
        self.fps = self.cap.get(cv2.CAP_PROP_FPS) or 30.0
        if not (0 < self.fps < 1000):
            self.fps = 30.0
        self._latest: tuple[int, float, np.ndarray] | None = None
        self._cond = threading.Condition()
        self._done = False
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def _grab_loop(self) -> None:
        index, start, lost_since = 0, time.perf_counter(), None
        while not self._done:
            ok, image = self.cap.read()
            if not ok:
                if not self.is_camera:
                    break
                lost_since = lost_since or time.perf_counter()
                if time.perf_counter() - lost_since > self.reconnect_seconds:
                    self.disconnected = True
                    break
                time.sleep(0.1)
                continue
            lost_since = None
            with self._cond:
                if self._latest is not None:
                    self.dropped += 1
                self._latest = (index, time.perf_counter() - start, image)
                self._cond.notify()
            index += 1
            if not self.is_camera:  # a file read as if live: pace it at its own frame rate
                time.sleep(max(0.0, start + index / self.fps - time.perf_counter()))
        with self._cond:
            self._done = True
            self._cond.notify()

    def frames(self) -> Iterator[Frame]:
        if not self.realtime:
            yield from self._every_frame()
            return
        self._thread = threading.Thread(target=self._grab_loop, name="grab", daemon=True)
        self._thread.start()
        while True:
            with self._cond:
                while self._latest is None and not self._done:
                    self._cond.wait(0.5)
                if self._latest is None:
                    return
                index, t, image = self._latest
                self._latest = None
            yield Frame(index, t, image)

    def _every_frame(self) -> Iterator[Frame]:
        """Every frame of a file in order, decoded a few frames ahead on a thread of its own, so
        decoding overlaps the reading of the frame before."""
        import queue

        ahead: queue.Queue = queue.Queue(maxsize=4)

        def decode() -> None:
            index = 0
            while not self._done:
                ok, image = self.cap.read()
                item = Frame(index, index / self.fps, image) if ok else None
                while not self._done:
                    try:
                        ahead.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if item is None:
                    return
                index += 1

        self._thread = threading.Thread(target=decode, name="decode", daemon=True)
        self._thread.start()
        while True:
            frame = ahead.get()
            if frame is None:
                return
            yield frame

    def close(self) -> None:
        self._done = True
        if self._thread is not None:
            self._thread.join(timeout=5)
            if self._thread.is_alive():  # still inside a read: releasing under it could crash the process
                return
        self.cap.release()


class ImageSequence:
    """A folder or glob of images, played as frames in name order."""

    def __init__(self, spec: str, fps: float | None = None) -> None:
        path = Path(spec).expanduser()
        files = sorted(p for p in path.iterdir() if p.is_file() and is_image_path(p)) if path.is_dir() else \
            sorted(p for p in glob_files(str(path)) if is_image_path(p))
        if not files:
            raise DigitcamError(f"no images found in {spec}; give a folder or a glob of image files", exit_code=2)
        self.files, self.fps, self.is_camera, self.disconnected, self.dropped = files, fps or 10.0, False, False, 0

    def frames(self) -> Iterator[Frame]:
        read = 0
        for i, p in enumerate(self.files):
            try:
                image = read_image(p)
            except ImageError:
                continue
            read += 1
            yield Frame(i, i / self.fps, image)
        if read == 0:
            raise DigitcamError(f"none of the {len(self.files)} images in {self.files[0].parent} could be read "
                                "(corrupt or unsupported); digitcam scan lists why for each")

    def close(self) -> None:
        pass


def open_source(spec: str, width: int | None = None, height: int | None = None, fps: float | None = None,
                realtime: bool = False):
    """Open what ``--source`` names: camera index, video file, URL, folder or glob of images."""
    target = parse_source(spec)
    if isinstance(target, str) and "://" not in target:
        p = Path(target).expanduser()
        if p.is_dir() or (not p.exists() and any(c in target for c in "*?[")):
            return ImageSequence(target, fps)
    return VideoSource(target, width, height, fps, realtime=realtime or None)
