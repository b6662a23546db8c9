"""``digitcam scan``: images, folders and globs in; one result per image out, streamed in order."""

from __future__ import annotations

import os
import re
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


def _walk(root: Path, recursive: bool) -> Iterator[tuple[Path | None, str | None]]:
    """(file, None) for every file under ``root`` once, and (folder, reason) for folders that
    cannot be read. Symbolic links are followed, but each real folder is entered once, so a
    link loop ends."""
    seen: set[str] = set()
    problems: list[tuple[Path, str]] = []

    def onerror(exc: OSError) -> None:
        problems.append((Path(exc.filename or root), exc.strerror or type(exc).__name__))

    for folder, dirs, files in os.walk(root, followlinks=True, onerror=onerror):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs.sort()
        if not recursive:
            dirs[:] = []
        for name in sorted(files):
            yield Path(folder) / name, None
        while problems:
            path, why = problems.pop(0)
            yield path, f"cannot read this folder ({why.lower()})"
    while problems:
        path, why = problems.pop(0)
        yield path, f"cannot read this folder ({why.lower()})"


def _pattern_regex(pattern: str) -> re.Pattern:
    """A glob pattern as a regular expression over paths: ``**`` spans folders, ``*`` and ``?`` do not."""
    out, i = "", 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif c == "*":
            out += "[^/]*"
            i += 1
        elif c == "?":
            out += "[^/]"
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                out += re.escape(c)
                i += 1
            else:
                body = pattern[i + 1:j]
                out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                i = j + 1
        else:
            out += re.escape(c)
            i += 1
    return re.compile(out + r"\Z")


def glob_files(pattern: str) -> Iterator[Path]:
    """Files matching ``pattern`` (``**`` included), in name order, each real file once; symbolic
    links are followed but a link loop ends (each real folder is entered once)."""
    pattern = os.path.expanduser(pattern)
    parts = Path(pattern).parts
    k = next((i for i, p in enumerate(parts) if _has_magic(p)), len(parts))
    root = Path(*parts[:k]) if k else Path(".")
    regex = _pattern_regex(str(Path(pattern)))
    recursive = "**" in pattern or len(parts) - k > 1
    seen: set[str] = set()
    for path, problem in _walk(root, recursive):
        if problem is not None or path is None:
            continue
        shown = str(path) if k else os.path.relpath(path)
        if regex.match(shown) and path.is_file():
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                yield path


def expand_inputs(inputs: Iterable[str], recursive: bool = True) -> Iterator[Item]:
    """Files, folders (recursively unless told not to) and glob patterns, as a stream of items.

    Each real file is listed once (a link to a file already listed is skipped); folders that
    cannot be read are reported as items of their own, not skipped in silence.
    """
    for raw in inputs:
        path = Path(raw).expanduser()
        if path.is_dir():
            if not os.access(path, os.R_OK | os.X_OK):
                yield Item(raw, None, "cannot read this folder (permission denied)")
                continue
            found = False
            seen: set[str] = set()
            for p, problem in _walk(path, recursive):
                if problem is not None:
                    yield Item(str(p), None, problem)
                elif is_image_path(p) and p.is_file():
                    real = os.path.realpath(p)
                    if real in seen:
                        continue
                    seen.add(real)
                    found = True
                    yield Item(str(p), p)
            if not found:
                hint = "PNG, JPEG, TIFF, WebP, BMP..." if recursive else "try without --no-recursive"
                yield Item(raw, None, f"no images in this folder ({hint})")
        elif path.exists():
            yield Item(raw, path)
        elif _has_magic(raw):
            files = list(glob_files(raw))
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
