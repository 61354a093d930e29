"""``/v1/jobs``: start a mining job, follow its progress, cancel it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from api.deps import StoreDep, WorkerDep, WorkspaceDep
from api.filter_deps import announce_deprecated
from api.problems import problem_responses
from api.schemas import JobCreate, JobPublic
from feedback_nlp.domain import JobRecord
from feedback_nlp.filters import resolve_aliases
from feedback_nlp.jobs.params import MineParams

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=problem_responses(401, 422, 429))


@router.post("", status_code=status.HTTP_202_ACCEPTED, responses=problem_responses(413))
def create_job(
    request: Request,
    response: Response,
    workspace: WorkspaceDep,
    store: StoreDep,
    worker: WorkerDep,
    body: JobCreate | None = None,
) -> JobPublic:
    """Queue a job (kind ``mine``: theme mining over the items the filters select).

    The body may be left out: a ``mine`` job over all of the workspace's items. The filters'
    ``created_from``/``created_to`` are deprecated aliases of ``from``/``to``: an answer to a
    body that uses one carries ``Deprecation: true``.
    """
    body = body or JobCreate()
    filters = body.filters.model_dump(mode="json", by_alias=True, exclude_none=True)
    _, aliases = resolve_aliases(filters)  # 422 when a field comes with its alias
    if aliases:
        announce_deprecated(request, response, aliases)
    options = body.model_dump(
        mode="json", include={"seed", "min_theme_size", "n_resamples", "mode"}
    )
    params = MineParams.from_json(filters | options).to_json()  # checked before it is queued
    job = store.create_job(workspace.id, body.kind, params)
    if worker is not None:
        worker.notify()
    return _public(job)


@router.get("/{job_id}", responses=problem_responses(404))
def get_job(job_id: str, workspace: WorkspaceDep, store: StoreDep) -> JobPublic:
    """A job's state, progress (0-1), current stage, error and timestamps."""
    return _public(store.get_job(workspace.id, job_id))


@router.delete("/{job_id}", responses=problem_responses(404))
def cancel_job(job_id: str, workspace: WorkspaceDep, store: StoreDep) -> JobPublic:
    """Cancel a job: a queued one at once, a running one at its next stage boundary."""
    return _public(store.cancel_job(workspace.id, job_id))


def _public(job: JobRecord) -> JobPublic:
    return JobPublic(
        id=job.id,
        kind=job.kind,
        state=job.state,
        progress=job.progress,
        stage=job.stage,
        error=job.error,
        attempts=job.attempts,
        cancel_requested=job.cancel_requested,
        params=job.params,
        result=job.result,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )
