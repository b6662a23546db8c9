"""Two independent pieces of a frame's work at once, on the machine's second core.

OpenCV releases Python's lock while it works, so the two polarities of a frame's ink, or the
Hough transforms of its rows and columns, run side by side in threads. Only leaf work goes to
the pool (work that never waits on the pool itself), so callers on several threads (scan's
workers) cannot deadlock it.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

A = TypeVar("A")
B = TypeVar("B")

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, min(4, (os.cpu_count() or 2) - 1)), thread_name_prefix="digitcam")
        return _pool


def both(here: Callable[[], A], leaf: Callable[[], B]) -> tuple[A, B]:
    """``here()`` in this thread and ``leaf()`` in the pool, together; their results.
    ``leaf`` must not itself wait on the pool."""
    future = _executor().submit(leaf)
    try:
        first = here()
    finally:
        second = future.result()
    return first, second
