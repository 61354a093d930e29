"""Job state in the database: create, claim, progress, cancel, finish, recover after a crash.

States: ``queued -> running -> succeeded | failed | cancelled`` (and ``queued -> cancelled``).
Any number of workers may share the database. A claim holds a job for a lease (``lease_s``
seconds, ``jobs.lease_expires_at``) that the worker renews with each heartbeat and progress
write; a claim takes the oldest job that is queued *or* running with a lease that has ended (a
takeover: its worker was killed or hangs), with one more attempt. A claim is atomic: on
PostgreSQL the row is picked with ``FOR UPDATE SKIP LOCKED`` (two claimers never wait on or get
the same row) and leases are timed by the database's clock; on SQLite the claim runs in a
``BEGIN IMMEDIATE`` transaction, which no other writer can interleave.

A claim is named by its job and attempt (``attempts`` grows with every claim and takeover, and a
released job's next claim has a higher one than any claim since). Every write of a running job
(progress, heartbeat, finish, release) can be made conditional on the claim
(``attempt=job.attempts``): once another worker took the job over, the old worker's writes are
refused (they return ``False``) and it stops. Every transition names the state it leaves, so a
late or duplicate call is a no-op.

:class:`JobStore` is its parts, one module each:

* :mod:`~feedback_nlp.store.jobs.queue` -- queue, read, count and cancel jobs;
* :mod:`~feedback_nlp.store.jobs.claiming` -- claims and takeovers of jobs whose lease ended;
* :mod:`~feedback_nlp.store.jobs.running` -- a running job's progress, heartbeats, finish and
  release;
* :mod:`~feedback_nlp.store.jobs.recovery` -- jobs left running by a worker that died;
* :mod:`~feedback_nlp.store.jobs.leases` -- the lease defaults and clock they share, and
  :mod:`~feedback_nlp.store.jobs.records` -- rows as :class:`~feedback_nlp.domain.JobRecord`.
"""

from feedback_nlp.store.jobs.claiming import JobClaimStore
from feedback_nlp.store.jobs.leases import DEFAULT_LEASE_S, DEFAULT_MAX_ATTEMPTS
from feedback_nlp.store.jobs.queue import JobQueueStore
from feedback_nlp.store.jobs.recovery import JobRecoveryStore
from feedback_nlp.store.jobs.running import RunningJobStore

__all__ = ["DEFAULT_LEASE_S", "DEFAULT_MAX_ATTEMPTS", "JobStore"]


class JobStore(JobQueueStore, JobClaimStore, RunningJobStore, JobRecoveryStore):
    """Jobs and their state machine."""
