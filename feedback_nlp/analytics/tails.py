"""Appending rows to an array without copying it: the snapshots of a workspace share one buffer.

A new analytics snapshot is the previous one with a few thousand items appended. With
``np.concatenate`` each snapshot of a million-item workspace copies every column, the mention
matrix and what the frame derived from them (hundreds of megabytes, about a second on this
project's machines). :func:`appended` gives the same array without that copy when it can:
``old`` is a prefix view of a buffer with room after it, the new rows are written into that room
and the result is a longer view of the same buffer.

It is safe because the snapshots only grow at the end: the buffer remembers how many of its rows
are *filled*, and only an array that ends exactly there may write after it (under a lock). The
rows an earlier view shows are never written again, so a reader of an older snapshot keeps
seeing what it saw. Another array appended to the same ``old`` (a second branch) finds the rows
after it filled and copies instead. A copy allocates a buffer a quarter larger than needed, so
a workspace that grows by ``k`` rows a second copies its columns once every ``n / (4 k)``
seconds instead of at every snapshot.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np

__all__ = ["appended"]

#: Room a new buffer leaves after its rows: a quarter of them, and at least this many.
_MIN_ROOM = 1024

_lock = threading.RLock()  # a buffer's finalizer may run while it is held


@dataclass(slots=True)
class _Buffer:
    owner: weakref.ref[np.ndarray]
    filled: int


#: The buffers :func:`appended` allocated, by ``id`` (checked against the weak reference: an id
#: can be reused once its array is gone).
_buffers: dict[int, _Buffer] = {}


def _forget(key: int) -> None:
    with _lock:
        _buffers.pop(key, None)


def _tip(old: np.ndarray) -> tuple[np.ndarray, _Buffer] | None:
    """The buffer ``old`` is the filled prefix of, or ``None``."""
    owner = old.base
    if not isinstance(owner, np.ndarray):
        return None
    found = _buffers.get(id(owner))
    if found is None or found.owner() is not owner:
        return None
    if (
        owner.dtype != old.dtype
        or owner.shape[1:] != old.shape[1:]
        or old.shape[0] != found.filled
        or not old.flags.c_contiguous
        or (old.size and old.__array_interface__["data"][0] != owner.__array_interface__["data"][0])
    ):
        return None
    return owner, found


def _view(owner: np.ndarray, rows: int) -> np.ndarray:
    view = owner[:rows]
    view.flags.writeable = False
    return view


def appended(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``np.concatenate([old, new])``, read-only, in ``old``'s buffer when it has room after it.

    Args:
        old: The rows so far (any array; one :func:`appended` returned can grow in place).
        new: The rows to add, of ``old``'s row shape.

    Returns:
        A read-only array equal to the concatenation (of the dtype it gives when the dtypes
        differ: then it is the concatenation itself).
    """
    new = np.asarray(new)
    if new.shape[1:] != old.shape[1:]:
        raise ValueError(f"Cannot append rows of shape {new.shape[1:]} to rows of {old.shape[1:]}.")
    if new.dtype != old.dtype:
        return _view(np.concatenate([old, new]), old.shape[0] + new.shape[0])
    n_old, total = old.shape[0], old.shape[0] + new.shape[0]
    with _lock:
        tip = _tip(old)
        if tip is not None and total <= tip[0].shape[0]:
            owner, buffer = tip
            owner[n_old:total] = new
            buffer.filled = total
            return _view(owner, total)
    owner = np.empty((total + max(total // 4, _MIN_ROOM), *old.shape[1:]), dtype=old.dtype)
    owner[:n_old] = old
    owner[n_old:total] = new
    with _lock:
        key = id(owner)
        _buffers[key] = _Buffer(weakref.ref(owner), total)
    weakref.finalize(owner, _forget, key)
    return _view(owner, total)
