"""``digitcam scan``: images, folders and globs in; one result per image out, streamed in order."""

from __future__ import annotations

import glob
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digitcam.detections import Result
from digitcam.errors import DigitcamError
from digitcam.images import ImageError, is_image_path, read_image


@dataclass
class Item:
    """One input: the path as the user would recognise it, and why it failed before reading."""

    shown: str
    path: Path | None
    error: str | None = None
    usage_error: bool = False  # a path that does not exist: exit status 2


@dataclass
class ScanRecord:
    file: str
    result: Result | None
    error: str | None
    ms: float
    image: np.ndarray | None = field(default=None, repr=False)  # kept only when annotating
    usage_error: bool = False

    def to_dict(self) -> dict:
        base = {"file": self.file, "width": None, "height": None, "digits": [], "numbers": [], "error": self.error,
                "ms": round(self.ms, 2)}
        if self.result is not None:
            base.update(self.result.to_dict())
        return base


def _has_magic(text: str) -> bool:
    return any(c in text for c in "*?[")


def expand_inputs(inputs: Iterable[str], recursive: bool = True) -> Iterator[Item]:
    """Files, folders (recursively unless told not to) and glob patterns, as a stream of items."""
    for raw in inputs:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = False
            walker = sorted(path.rglob("*")) if recursive else sorted(path.iterdir())
            for p in walker:
                if p.is_file() and is_image_path(p):
                    found = True
                    yield Item(str(p), p)
            if not found:
                yield Item(raw, None, f"no images in this folder{'' if recursive else ' (try without --no-recursive)'}")
        elif path.exists():
            yield Item(raw, path)
        elif _has_magic(raw):
            matches = sorted(glob.glob(os.path.expanduser(raw), recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file()]
            if not files:
                yield Item(raw, None, "no files match this pattern")
            for p in files:
                yield Item(str(p), p)
        else:
            yield Item(raw, None, "no such file or folder", usage_error=True)


def scan_items(items: Iterable[Item], recognizer_factory: Callable[[], Callable[[np.ndarray], Result]],
               workers: int = 2, keep_images: bool = False) -> Iterator[ScanRecord]:
    """Read and recognise every item, ``workers`` at a time, yielding records in input order.

    At most ``2 * workers`` images are in flight, so memory stays flat on folders of any size.
    Each worker thread has its own recognizer (LiteRT interpreters are not thread-safe); OpenCV
    and LiteRT release the GIL, so both cores do real work.
    """
    local = threading.local()

    def work(item: Item) -> ScanRecord:
        start = time.perf_counter()
        if item.path is None:
            return ScanRecord(item.shown, None, item.error, 0.0, usage_error=item.usage_error)
        try:
            image = read_image(item.path)
        except ImageError as exc:
            return ScanRecord(item.shown, None, str(exc), (time.perf_counter() - start) * 1e3)
        if not hasattr(local, "recognizer"):
            local.recognizer = recognizer_factory()
        result = local.recognizer(image)
        return ScanRecord(item.shown, result, None, (time.perf_counter() - start) * 1e3, image if keep_images else None)

    if workers <= 1:
        for item in items:
            yield work(item)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scan") as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def exit_status(records_failed: int, usage_failed: int) -> int:
    """0 when every image was read, 1 when some could not be, 2 when a path did not exist."""
    if usage_failed:
        return 2
    return 1 if records_failed else 0


def check_inputs(inputs: list[str]) -> None:
    if not inputs:
        raise DigitcamError("no input: give image files, folders or glob patterns, e.g. digitcam scan ./photos", exit_code=2)
