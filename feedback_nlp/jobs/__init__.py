"""Background jobs: job state lives in the database; a worker thread claims and runs them."""

from feedback_nlp.jobs.context import JobCancelled, JobContext, JobInterrupted
from feedback_nlp.jobs.params import MineParams
from feedback_nlp.jobs.runner import run_mine_job
from feedback_nlp.jobs.worker import JobWorker

__all__ = [
    "JobCancelled",
    "JobContext",
    "JobInterrupted",
    "JobWorker",
    "MineParams",
    "run_mine_job",
]
