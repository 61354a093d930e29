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
seconds instead of at every snapshot. :func:`appended_table` does the same for the columns of
a table; :func:`revised` is the copy for when some rows change.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["appended", "appended_table", "revised"]

#: Room a new buffer leaves after its rows: a quarter of them, and at least this many.
_MIN_ROOM = 1024

_lock = threading.RLock()  # a buffer's finalizer may run while it is held


@dataclass(slots=True)
class _Buffer:
    owner: weakref.ref[np.ndarray]
    filled: int


#: The buffers this module allocated, by ``id`` (checked against the weak reference: an id can
#: be reused once its array is gone).
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


def _allocated(rows: int, like: np.ndarray) -> np.ndarray:
    """A new buffer of ``like``'s row shape and dtype for ``rows`` rows and room after them."""
    owner = np.empty((rows + max(rows // 4, _MIN_ROOM), *like.shape[1:]), dtype=like.dtype)
    with _lock:
        key = id(owner)
        _buffers[key] = _Buffer(weakref.ref(owner), rows)
    weakref.finalize(owner, _forget, key)
    return owner


def revised(old: np.ndarray, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``old`` with ``old[rows] = values``, read-only: a copy, in a new buffer with room after it.

    The rows an older array shows are never written, so changing some means a copy; later
    :func:`appended` calls grow the copy in place.
    """
    owner = _allocated(old.shape[0], old)
    owner[: old.shape[0]] = old
    owner[rows] = values
    return _view(owner, old.shape[0])


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
    owner = _allocated(total, old)
    owner[:n_old] = old
    owner[n_old:total] = new
    return _view(owner, total)


def appended_table(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """``pd.concat([old, new], ignore_index=True)`` of two tables of the same columns and dtypes.

    Each numpy column grows in its buffer where it can (:func:`appended`). A datetime column is
    copied (8 bytes an item): its int64 nanoseconds are appended, and typing them as UTC
    datetimes again copies them (pandas offers no public way to wrap them without a copy).
    """
    if list(old.columns) != list(new.columns) or any(
        old[name].dtype != new[name].dtype for name in old.columns
    ):
        return pd.concat([old, new], ignore_index=True)
    columns: dict[str, pd.Series] = {}
    for name in old.columns:
        dtype = old[name].dtype
        if isinstance(dtype, pd.DatetimeTZDtype) and dtype.unit == "ns":
            ns = appended(old[name].array.asi8, new[name].array.asi8)
            naive = pd.Series(ns.view("datetime64[ns]"), copy=False)
            columns[name] = naive.dt.tz_localize(dtype.tz)
        elif isinstance(dtype, np.dtype) and dtype.kind in "biufO":
            values = appended(old[name].to_numpy(), new[name].to_numpy())
            columns[name] = pd.Series(values, dtype=dtype, copy=False)
        else:
            columns[name] = pd.concat([old[name], new[name]], ignore_index=True)
    return pd.DataFrame(columns, copy=False)
