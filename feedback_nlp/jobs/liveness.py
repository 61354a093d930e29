"""Which process runs a job, and whether it still does.

A worker claims a job with its identity, ``host:pid:start``: the host name, the process id and
the process's start time in clock ticks since boot (``/proc/<pid>/stat``; ``-`` where there is
no ``/proc``). Recovery (:meth:`~feedback_nlp.store.Store.recover_jobs`) asks
:func:`worker_alive` before it re-queues a ``running`` job, so that

* a server that starts while ``feedback-nlp mine`` runs a job of the same database leaves that
  job alone (its process is alive), and
* a server's worker re-queues the job of a ``feedback-nlp mine`` that was killed, without
  waiting for the next server start (its process is gone).

This is a fast path, not what correctness rests on: every claim also holds a lease that its
worker renews (:meth:`~feedback_nlp.store.Store.claim_next_job`), and once a lease ends any
worker takes the job over, whatever this module says.

On the same host a worker is alive while a process with its id and start time exists (a reused
process id has another start time): the job of a killed local worker is recovered at the next
look (a worker's start, then every ``reap_s`` between its jobs), whatever is left of its lease.
A worker on another host cannot be looked up: a job it claimed with a lease counts as alive (the
lease decides when it is taken over, timed by the database's clock on PostgreSQL); one claimed by
a version without leases counts as alive while its heartbeat is younger than ``stale_after``. A
job claimed without a worker identity (``None``: an older version, or a caller that names none)
counts as abandoned, as before.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

from feedback_nlp.domain import JobRecord

__all__ = ["process_start", "this_worker", "worker_alive"]

_UNKNOWN_START = "-"


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot; ``None`` if there is none.

    Without ``/proc`` (not Linux) the start time is unknown: ``"-"`` while the process exists.
    """
    stat = Path(f"/proc/{pid}/stat")
    if Path("/proc/self/stat").is_file():
        try:
            text = stat.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
        fields = text.rsplit(")", 1)[-1].split()
        return fields[19] if len(fields) > 19 else None  # field 22 of proc(5): starttime
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # exists, owned by another user
        return _UNKNOWN_START
    return _UNKNOWN_START


def this_worker() -> str:
    """The identity of this process as a job's worker: ``host:pid:start``."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{process_start(pid) or _UNKNOWN_START}"


def worker_alive(job: JobRecord, *, now: datetime, stale_after: timedelta) -> bool:
    """Whether the worker that claimed ``job`` may still be running it (see the module doc)."""
    if job.worker is None:
        return False
    host, _, rest = job.worker.partition(":")
    pid_text, _, start = rest.partition(":")
    if host == socket.gethostname() and pid_text.isdigit():
        return process_start(int(pid_text)) == start
    if job.lease_expires_at is not None:
        return True  # left to the lease: a claim takes the job over once it has ended
    return job.heartbeat_at is not None and now - job.heartbeat_at < stale_after
