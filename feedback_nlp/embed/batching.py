"""Run a model over rows of varying length: sorted by length, in batches, on parallel workers.

Sorting by length makes each padded batch nearly rectangular; each worker thread runs whole
batches (onnxruntime's ``session.run`` is thread-safe and releases the GIL). Short texts make
small matrices, so splitting each batch over the cores costs more in synchronisation than it
gains: on 4,000 corpus20k texts (mean 13.9 tokens, idle 2-core machine) two single-threaded
workers took 6.2 s wall / 11.9 CPU s against 7.4 s / 13.1 CPU s for one batch at a time on two
intra-op threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

from feedback_nlp.constraints import Interval

__all__ = ["BATCH_SIZE", "available_cores", "run_length_batches"]

IntArray = npt.NDArray[np.int64]

#: ``batch_size`` of every embedder: texts per forward pass.
BATCH_SIZE = Interval("int", 1)


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _cut(
    order: IntArray, sizes: IntArray, batch_size: int, max_cells: int | None
) -> list[IntArray]:
    """Consecutive slices of ``order`` (ascending lengths) within both limits."""
    if max_cells is None:
        return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    batches: list[IntArray] = []
    start = 0
    while start < len(order):
        stop = start + 1
        while stop < len(order) and stop - start < batch_size:
            longest = int(sizes[order[stop]])  # ascending: the newcomer is the longest
            if (stop - start + 1) * longest * longest > max_cells:
                break
            stop += 1
        batches.append(order[start:stop])
        start = stop
    return batches


def run_length_batches(
    lengths: Sequence[int] | IntArray,
    *,
    batch_size: int,
    threads: int,
    run: Callable[[IntArray], None],
    max_cells: int | None = None,
) -> None:
    """Call ``run(indices)`` for batches of row indices of similar length, ``threads`` at a time.

    A batch holds at most ``batch_size`` rows and, with ``max_cells``, at most
    ``max_cells / L**2`` rows of up to ``L`` tokens (attention memory grows with ``B * L * L``;
    a row longer than that runs alone). ``run`` writes its own results (e.g. into a preallocated
    array by ``indices``); an error in any batch is raised here.
    """
    sizes = np.asarray(lengths, dtype=np.int64)
    order = np.argsort(sizes, kind="stable")
    batches = _cut(order, sizes, batch_size, max_cells)
    if threads == 1 or len(batches) <= 1:
        for batch in batches:
            run(batch)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in pool.map(run, batches):
            pass  # re-raises a worker's error here
