"""Give freed heap memory back to the operating system between the stages of a long job.

A mining job embeds (many short-lived buffers on two worker threads), then clusters. glibc's
allocator keeps what the embedding freed in its per-thread arenas, so the resident size after
embedding stays near its peak and clustering adds to it. :func:`return_free_memory` asks glibc
(``malloc_trim(0)``) to release those free pages; elsewhere (musl, macOS, Windows) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

__all__ = ["return_free_memory"]


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
