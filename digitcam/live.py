"""``digitcam live``: the frame loop. source -> engine -> tracker -> overlay -> window/video/JSONL."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from digitcam import flow, grouping
from digitcam.detections import Result
from digitcam.errors import DigitcamError
from digitcam.normalise import to_gray
from digitcam.overlay import as_bgr, draw
from digitcam.engine import Recognizer
from digitcam.sources import ImageSequence, open_source
from digitcam.tracking import Tracker

WINDOW = "digitcam live"
QUIT_KEYS = {ord("q"), ord("Q"), 27}
READ_EVERY = 4         # frames: once its digits are settled, the engine reads every fourth frame;
                       # between, the digits followed move with the image's optical flow
                       # (digitcam.flow: a few ms, not tens). Bench video: 8.8 -> 20-38 frames/s,
                       # digits shown right 98.2% -> 99.9-100% (two other videos: as right as
                       # reading every frame, at 1.6 and 2.4 times the rate)
FULL_EVERY = 12        # frames: the frames read show only the part around the digits followed;
                       # every twelfth (0.4 s at 30 fps) is read whole, to find digits that come
                       # into view
STEADY_SECONDS = 0.5   # a digit or number counts as seen once it has been on screen this long
KEY_HINTS = "q quit   space pause   s snapshot   r record   h hide keys"


@dataclass
class LiveOptions:
    source: str = "0"
    show: bool = True
    save: Path | None = None
    jsonl: bool = False
    max_frames: int | None = None
    mirror: bool = False
    realtime: bool = False
    width: int | None = None
    height: int | None = None
    fps: float | None = None


@dataclass
class LiveStats:
    frames: int = 0
    seconds: float = 0.0
    engine_ms: float = 0.0
    latency_ms: list = field(default_factory=list)  # per frame: from the frame's arrival to its picture drawn
    track_ids: set = field(default_factory=set)   # digits shown steadily (track ids; stills: (frame, k))
    numbers: dict = field(default_factory=dict)   # text -> times it was shown steadily
    snapshots: list = field(default_factory=list)
    recordings: list = field(default_factory=list)
    ended: str = "end of input"

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def x_server_reachable(display: str, timeout: float = 1.0) -> bool:
    """Whether an X server listens at ``display`` (":0", "host:1.0", "unix:0"), without Xlib."""
    import socket

    host, _, rest = display.rpartition(":")
    try:
        number = int(rest.split(".")[0])
    except ValueError:
        return False
    if host in ("", "unix") or host.startswith("/"):
        path = f"/tmp/.X11-unix/X{number}"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            try:
                sock.connect(path)
                return True
            except OSError:
                pass
        try:  # Linux also offers the abstract socket
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect("\0" + path)
                return True
        except OSError:
            return False
    try:
        with socket.create_connection((host, 6000 + number), timeout=timeout):
            return True
    except OSError:
        return False


def mirrored(dets: list, numbers: list, width: int) -> tuple[list, list]:
    """Detections and numbers with their boxes flipped left-right, for a mirrored view."""
    from dataclasses import replace

    flip = lambda b: (width - b[0] - b[2], b[1], b[2], b[3])  # noqa: E731
    return [replace(d, box=flip(d.box)) for d in dets], [replace(n, box=flip(n.box)) for n in numbers]


def letterbox(canvas: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``canvas`` scaled to fit ``size`` (w, h) with its aspect kept, on black: a video's frames
    must all have one size, and stills from a folder rarely do."""
    w, h = size
    if canvas.shape[1] == w and canvas.shape[0] == h:
        return canvas
    s = min(w / canvas.shape[1], h / canvas.shape[0])
    nw, nh = max(1, int(canvas.shape[1] * s)), max(1, int(canvas.shape[0] * s))
    out = np.zeros((h, w, 3), np.uint8)
    x, y = (w - nw) // 2, (h - nh) // 2
    out[y:y + nh, x:x + nw] = cv2.resize(canvas, (nw, nh), interpolation=cv2.INTER_AREA)
    return out


def display_available() -> tuple[bool, str]:
    """Whether an OpenCV window can open here, and why not."""
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return False, "no display available ($DISPLAY is unset)"
    display = os.environ.get("DISPLAY")
    if sys.platform.startswith("linux") and display and not os.environ.get("WAYLAND_DISPLAY") and not x_server_reachable(display):
        # Qt aborts the whole process (status 134) when it cannot reach the X server
        return False, f"no X server answers at DISPLAY={display}"
    info = cv2.getBuildInformation()
    gui = [line for line in info.splitlines() if line.strip().startswith("GUI:")]
    if gui and gui[0].split(":", 1)[1].strip().upper() in ("NONE", "NO"):
        return False, "this OpenCV build has no GUI support (opencv-python-headless?)"
    return True, ""


def _writer(path: Path, fps: float, size: tuple[int, int]) -> cv2.VideoWriter:
    fourcc = cv2.VideoWriter_fourcc(*("mp4v" if path.suffix.lower() in (".mp4", ".m4v", ".mov") else "MJPG"))
    writer = cv2.VideoWriter(str(path), fourcc, fps, size)
    if not writer.isOpened():
        raise DigitcamError(f"cannot write video to {path}; check the folder exists and is writable, and use .mp4 or .avi")
    return writer


def check_output_path(path: Path) -> None:
    parent = path.expanduser().resolve().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise DigitcamError(f"cannot write video to {path}: folder {parent} does not exist or is not writable", exit_code=2)


def status_height(img: np.ndarray) -> int:
    return int(28 * max(0.5, min(img.shape[:2]) / 720.0)) + 6


def status_line(img: np.ndarray, fps: float, ms: float, digits: int, numbers: list[str], paused: bool,
                recording: float | None = None, hints: bool = False) -> None:
    """The bar at the top: speed, the digits and numbers in view, pause and recording state
    (``recording``: seconds recorded so far); and, when ``hints``, the keys at the bottom."""
    h, w = img.shape[:2]
    unit = max(0.5, min(h, w) / 720.0)
    bar = status_height(img)
    font, scale, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.7 * unit, max(1, int(2 * unit))
    cv2.rectangle(img, (0, 0), (w, bar), (0, 0, 0), -1)
    right = ""
    if paused:
        right += "PAUSED  "
    if recording is not None:
        right += f"REC {int(recording) // 60}:{int(recording) % 60:02d}"
    room = w - 16 - (cv2.getTextSize(right, font, scale, thick)[0][0] + int(30 * unit) if right else 0)
    msg = f"{fps:4.1f} fps {ms:5.1f} ms | {digits} digit{'s' if digits != 1 else ''} | numbers: {'  '.join(numbers) or '-'}"
    while len(msg) > 8 and cv2.getTextSize(msg, font, scale, thick)[0][0] > room:
        msg = msg[:-4] + "..."
    cv2.putText(img, msg, (8, bar - 8), font, scale, (255, 255, 255), thick, cv2.LINE_AA)
    if right:
        (tw, _), _ = cv2.getTextSize(right, font, scale, thick)
        x = w - tw - 8
        cv2.putText(img, right, (x, bar - 8), font, scale, (80, 80, 255) if recording is not None else (255, 255, 255), thick, cv2.LINE_AA)
        if recording is not None:
            cv2.circle(img, (x - int(14 * unit), bar // 2), int(7 * unit), (0, 0, 255), -1)
    if hints:
        key_hints(img)


def key_hints(img: np.ndarray) -> None:
    """The window's keys, on a black strip at the bottom left."""
    h, w = img.shape[:2]
    unit = max(0.5, min(h, w) / 720.0)
    font, hs, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.55 * unit, max(1, int(unit))
    (tw, th), base = cv2.getTextSize(KEY_HINTS, font, hs, thick)
    cv2.rectangle(img, (0, h - th - base - 10), (min(w, tw + 16), h), (0, 0, 0), -1)
    cv2.putText(img, KEY_HINTS, (8, h - base - 5), font, hs, (255, 255, 255), thick, cv2.LINE_AA)


class VideoSink:
    """A video file written by a thread of its own, so encoding never stalls the frame loop
    (every frame is written, in order; the queue holds a few frames when encoding lags)."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]):
        import queue

        self.path, self.size = path, size
        self._writer = _writer(path, fps, size)
        self._queue: queue.Queue = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._run, name="digitcam-video", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            frame = self._queue.get()
            if frame is None:
                break
            self._writer.write(frame)

    def write(self, frame: np.ndarray) -> None:
        self._queue.put(frame)

    def release(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._writer.release()


def frame_record(index: int, t: float, width: int, height: int, dets, numbers) -> dict:
    return {"frame": index, "time": round(t, 3), "width": width, "height": height,
            "digits": [d.to_dict() for d in dets], "numbers": [n.to_dict() for n in numbers]}


def _smooth(old: float, new: float, first: bool) -> float:
    """An exponential moving average for the status line's figures."""
    return new if first else 0.9 * old + 0.1 * new


def run_live(recognizer: Recognizer, options: LiveOptions, log=None) -> LiveStats:
    """Run the loop until the input ends, ``max_frames`` is reached or the user quits."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    show = options.show
    if show:
        ok, why = display_available()
        if not ok:
            if options.save or options.jsonl:
                log(f"digitcam: {why}; running headless")
                show = False
            else:
                raise DigitcamError(f"{why}; run with --no-show (with --save out.mp4 or --jsonl to see the results)")
    if options.save:
        check_output_path(options.save)
    source = open_source(options.source, options.width, options.height, options.fps, options.realtime)
    rate_hint = float(getattr(source, "fps", 0.0) or 30.0)
    steady = max(1, int(round(STEADY_SECONDS * rate_hint)))   # frames a digit must stay on screen to count
    tracker = Tracker()
    stats = LiveStats()
    stills = isinstance(source, ImageSequence)
    video_size = (0, 0)
    writer = recorder = None
    recording_since = 0.0
    paused, hints = False, True
    fps_ema, ms_ema = 0.0, 0.0
    # what the last frame tells about the next: the lean of the page's lines (it is read levelled
    # by it) and the scale its digits call for (it is read in one look at it; none yet: two looks)
    lean, scale, rejected, sheet = 0.0, None, None, False
    moved_from = None                 # the last frame as flow measures it (frames between reads)
    number_run: dict[str, int] = {}   # number text -> consecutive frames it has been on screen
    last_time = time.perf_counter()
    start = last_time
    canvas = base = None
    dets, numbers = [], []
    if show:
        try:
            cv2.namedWindow(WINDOW, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        except cv2.error:
            source.close()
            raise DigitcamError("cannot open a window (this OpenCV build has no GUI support); run with --no-show") from None
    def on_sigterm(signum, frame):  # a service manager's stop: end like Ctrl-C, the video finished
        raise KeyboardInterrupt

    def decorate() -> np.ndarray:
        """The window's picture: the annotated frame with the status bar (and key hints)."""
        out = base.copy()
        status_line(out, fps_ema, ms_ema, len(dets), [n.text for n in numbers], paused,
                    time.perf_counter() - recording_since if recorder is not None else None, hints)
        return out

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        frames = source.frames()
        while True:
            if not paused:
                frame = next(frames, None)
                arrived = time.perf_counter()
                if frame is None:
                    if source.disconnected:
                        stats.ended = "camera disconnected"
                    break
                # The camera's own picture is read (mirrored digits are not digits); --mirror flips
                # only what is shown. Stills are separate pictures: no tracking across them, each
                # read as scan reads it; video frames are read levelled by the last frame's lean.
                image = frame.image
                if stills:
                    result = recognizer(image)
                    dets, numbers = result.detections, result.numbers
                    stats.track_ids.update((frame.index, k) for k in range(len(dets)))
                    for n in numbers:
                        stats.numbers[n.text] = stats.numbers.get(n.text, 0) + 1
                else:
                    # the engine reads every READ_EVERY-th frame (the whole frame every FULL_EVERY-th,
                    # else the part around the digits followed), and every frame while a digit is
                    # new; between, the digits followed are carried along by the image's motion
                    full = to_gray(image)          # once: for the flow and for the engine
                    gray = flow.small(full)
                    if stats.frames % READ_EVERY and stats.frames % FULL_EVERY and tracker.settled() and moved_from is not None:
                        began = time.perf_counter()
                        shown = tracker.carry(flow.shifts(moved_from, gray, tracker.boxes()))
                        result = Result(image.shape[1], image.shape[0], timings={"total": (time.perf_counter() - began) * 1e3})
                    else:
                        # (a sheet read face-on is read whole: its map to the frame is the sheet's)
                        roi = tracker.region() if stats.frames % FULL_EVERY and not sheet else None
                        result = recognizer(image, tilt=lean, scale=scale, roi=roi, rejected=rejected, gray=full, sheet=sheet)
                        lean, scale, rejected, sheet = result.tilt, result.next_scale, result.rejected_lean, result.face_on
                        tracker.frame_size = (result.width, result.height)
                        shown = tracker.update(result.detections)
                    moved_from = gray
                    dets, numbers = grouping.read(shown)
                    stats.track_ids.update(t.id for t in tracker.steady(steady))
                    in_view = list(dict.fromkeys(n.text for n in numbers))   # (in reading order: the same every run)
                    number_run = {text: number_run.get(text, 0) + 1 for text in in_view}
                    for text, run in number_run.items():
                        if run == steady:
                            stats.numbers[text] = stats.numbers.get(text, 0) + 1
                now = time.perf_counter()
                rate, last_time = 1.0 / max(now - last_time, 1e-6), now
                ms = result.timings.get("total", 0.0)
                first = stats.frames == 0
                fps_ema, ms_ema = _smooth(fps_ema, rate, first), _smooth(ms_ema, ms, first)
                stats.engine_ms += ms
                stats.frames += 1
                if options.jsonl:
                    sys.stdout.write(json.dumps(frame_record(frame.index, frame.time, result.width, result.height, dets, numbers)) + "\n")
                    sys.stdout.flush()
                if show or options.save or recorder is not None:
                    # the frame is ours alone (a source never reuses it): draw on it directly
                    target = image if image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8 else as_bgr(image)
                    shown_dets, shown_numbers = dets, numbers
                    if options.mirror:
                        target = np.ascontiguousarray(cv2.flip(target, 1))
                        shown_dets, shown_numbers = mirrored(dets, numbers, target.shape[1])
                    base = draw(target, shown_dets, shown_numbers, in_place=True, top_margin=status_height(image))
                    recorded = time.perf_counter() - recording_since if recorder is not None else None
                    # videos get the status bar, not the key hints; the window gets both
                    canvas = base.copy() if show else base
                    status_line(canvas, fps_ema, ms_ema, len(dets), [n.text for n in numbers], paused, recorded)
                    if options.save:
                        if writer is None:
                            writer = VideoSink(options.save, getattr(source, "fps", 30.0), (canvas.shape[1], canvas.shape[0]))
                            video_size = writer.size
                        framed = letterbox(canvas, video_size)
                        writer.write(framed.copy() if framed is canvas and show else framed)  # hints come next
                    if recorder is not None:
                        recorder.write(letterbox(canvas, recorder.size).copy())
                    if show and hints:  # after the videos took their copy
                        key_hints(canvas)
                stats.latency_ms.append((time.perf_counter() - arrived) * 1e3)
                if options.max_frames and stats.frames >= options.max_frames:
                    stats.ended = f"--max-frames {options.max_frames} reached"
                    break
            if show:
                if canvas is not None:
                    cv2.imshow(WINDOW, canvas)
                key = cv2.waitKey(1 if not paused else 30) & 0xFF
                if key in QUIT_KEYS:
                    stats.ended = "quit"
                    break
                if cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
                    stats.ended = "window closed"
                    break
                if key == ord(" "):
                    paused = not paused
                elif key == ord("h"):
                    hints = not hints
                elif key == ord("s") and canvas is not None:
                    path = Path(f"digitcam-snapshot-{datetime.now():%Y%m%d-%H%M%S-%f}.png").resolve()
                    cv2.imwrite(str(path), canvas)
                    stats.snapshots.append(str(path))
                    log(f"saved snapshot {path}")
                elif key == ord("r") and canvas is not None:
                    if recorder is None:
                        path = Path(f"digitcam-recording-{datetime.now():%Y%m%d-%H%M%S}.mp4").resolve()
                        recorder = VideoSink(path, getattr(source, "fps", 30.0), (canvas.shape[1], canvas.shape[0]))
                        recording_since = time.perf_counter()
                        stats.recordings.append(str(path))
                        log(f"recording to {path} (press r to stop)")
                    else:
                        recorder.release()
                        recorder = None
                        log(f"saved recording {stats.recordings[-1]}")
                if key in (ord(" "), ord("h"), ord("r")) and base is not None:
                    canvas = decorate()
    except KeyboardInterrupt:
        stats.ended = "interrupted"
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        stats.seconds = time.perf_counter() - start
        for w in (writer, recorder):  # the videos first: they are what an interrupted run keeps
            if w is not None:
                w.release()
        source.close()
        if show:
            cv2.destroyAllWindows()
            cv2.waitKey(1)
    if stats.frames == 0 and stats.ended == "end of input":
        raise DigitcamError(f"no frame could be read from {options.source} (an empty video, or not a video or image "
                            "OpenCV can read)")
    return stats
