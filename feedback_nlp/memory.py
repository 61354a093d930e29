"""Memory management for long jobs: freed heap back to the OS, garbage collection out of the way.

A mining job embeds (many short-lived buffers on two worker threads), then clusters. glibc's
allocator keeps what the embedding freed in its per-thread arenas, so the resident size after
embedding stays near its peak and clustering adds to it. :func:`return_free_memory` asks glibc
(``malloc_trim(0)``) to release those free pages; elsewhere (musl, macOS, Windows) it does nothing.

Bulk reads and writes make and drop millions of small objects (rows, dicts, dataclasses) that
hold no reference cycles, so reference counting frees them; the cyclic collector, run every 700
allocations, only walks the heap for nothing. :func:`collection_paused` turns it off while a
bounded result is built (an analytics read); :func:`collection_relaxed` runs it a hundred times
less often during an unbounded stream (a file ingest), so that garbage cycles, if any, are still
collected and memory stays flat.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["collection_paused", "collection_relaxed", "return_free_memory"]

RELAXED_FIRST_GENERATION = 70_000
"""Allocations between two young-generation collections under :func:`collection_relaxed`
(Python's default: 700)."""


@functools.cache
def _libc() -> Any | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def return_free_memory() -> bool:
    """Release the allocator's free pages to the system; ``True`` when something was released."""
    libc = _libc()
    return bool(libc is not None and libc.malloc_trim(0))


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause automatic garbage collection inside the block (restored as it was after)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def collection_relaxed() -> Iterator[None]:
    """Collect the young generation less often inside the block (thresholds restored after).

    Every :data:`RELAXED_FIRST_GENERATION` allocations instead of 700: measured on a
    200,000-row CSV ingest on 2 cores, the default thresholds cost about 12% of the run.
    """
    first, second, third = gc.get_threshold()
    gc.set_threshold(max(first, RELAXED_FIRST_GENERATION), second, third)
    try:
        yield
    finally:
        gc.set_threshold(first, second, third)
