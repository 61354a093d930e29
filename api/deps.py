"""Dependencies of the routes, as ``Annotated`` aliases: ``StoreDep``, ``WorkspaceDep``, ...

Everything here reads what the app's lifespan put on ``app.state``; nothing is created per
request except the authenticated workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.metrics import ApiMetrics
from api.problems import UnauthorizedError
from api.rate_limit import AUTH_STATE
from feedback_nlp.domain import Workspace
from feedback_nlp.settings import Settings
from feedback_nlp.store.store import Store
from feedback_nlp.text.langid import LanguageIdentifying
from feedback_nlp.text.pii import PiiRedactor

if TYPE_CHECKING:
    from feedback_nlp.jobs.worker import JobWorker

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `feedback-nlp keys create --workspace NAME`.",
)


@dataclass(frozen=True, slots=True)
class IngestStages:
    """The stages every item passes before it is stored (built once, in the lifespan)."""

    redactor: PiiRedactor
    identifier: LanguageIdentifying


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    """The store the lifespan opened."""
    store: Store = request.app.state.store
    return store


def get_metrics(request: Request) -> ApiMetrics:
    """The app's Prometheus metrics."""
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


def get_ingest_stages(request: Request) -> IngestStages:
    """PII redaction and language identification, shared by every request."""
    stages: IngestStages = request.app.state.ingest_stages
    return stages


def get_worker(request: Request) -> JobWorker | None:
    """The embedded job worker, or ``None`` when jobs run elsewhere."""
    worker: JobWorker | None = request.app.state.worker
    return worker


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]
IngestStagesDep = Annotated[IngestStages, Depends(get_ingest_stages)]
WorkerDep = Annotated["JobWorker | None", Depends(get_worker)]


def get_workspace(
    request: Request,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Workspace:
    """The workspace of the request's API key (``Authorization: Bearer <key>``).

    A key the rate limiter already authenticated for this request (see
    :mod:`api.rate_limit`) is not looked up again.

    Raises:
        UnauthorizedError: If the header is missing, not a bearer token, or the key is unknown
            or revoked (401 with ``WWW-Authenticate``).
    """
    if credentials is None:
        raise UnauthorizedError(
            "This route needs an API key: send 'Authorization: Bearer <key>'. "
            "Create one with: feedback-nlp keys create --workspace NAME"
        )
    checked: tuple[str, Workspace] | None = getattr(request.state, AUTH_STATE, None)
    if checked is not None and checked[0] == credentials.credentials.strip():
        workspace: Workspace | None = checked[1]
    else:
        workspace = store.authenticate(credentials.credentials)
    if workspace is None:
        raise UnauthorizedError(
            "The API key is not valid (unknown or revoked). "
            "Create one with: feedback-nlp keys create --workspace NAME"
        )
    return workspace


WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
