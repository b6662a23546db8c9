"""Independent pieces of a frame's work at once, on the machine's other cores.

OpenCV and LiteRT release Python's lock while they work, so the two polarities of a frame's
ink, the Hough transforms of its rows and columns, and the model reading one chunk of crops
while the next is built run side by side in threads. Only leaf work goes to the pool (work
that never waits on the pool itself), so callers on several threads (scan's workers) cannot
deadlock it.

The pool has as many workers as the machine has cores: the dark polarity's Hough transform of
its columns goes to the pool while the light polarity is there already, and with one worker it
waited for it (find on the bench's held-up page, median of 24 reads: 31 -> 26 ms on 2 cores;
twenty-fourth session).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, TypeVar

A = TypeVar("A")
B = TypeVar("B")

_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 2)), thread_name_prefix="digitcam")
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


def later(leaf: Callable[[], A]) -> Future:
    """``leaf()`` started in the pool; its future. ``leaf`` must not itself wait on the pool."""
    return _executor().submit(leaf)
