"""The FastAPI application factory.

Run it with ``uvicorn --factory api.main:create_app`` (or ``feedback-nlp serve``). Settings are
read once here and handed down; the database engine, the store, the ingest stages and the
embedded job and alert workers are created by the lifespan, never at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api.deps import IngestStages
from api.docs import install_docs
from api.limits import BodyLimitMiddleware
from api.metrics import ApiMetrics, MetricsMiddleware
from api.problems import add_problem_schema, install_problem_handlers
from api.rate_limit import RateLimitMiddleware, TokenBucketLimiter
from api.routes import (
    alerts,
    feedback,
    health,
    insights,
    jobs,
    keys,
    scores,
    taxonomy,
    themes,
    workspaces,
)
from api.ui import alerts as ui_alerts
from api.ui import routes as ui_routes
from api.ui import taxonomy_forms as ui_taxonomy_forms
from feedback_nlp import __version__
from feedback_nlp.settings import ApiSettings, Settings, load_settings
from feedback_nlp.store.engine import make_engine, upgrade
from feedback_nlp.store.store import Store
from feedback_nlp.text.langid_process import LanguageIdProcess
from feedback_nlp.text.pii import PiiRedactor

if TYPE_CHECKING:
    from feedback_nlp.alerts.worker import AlertWorker
    from feedback_nlp.jobs.worker import JobWorker

DESCRIPTION = """
Recurring complaint themes, sentiment and NPS analytics from customer feedback.

Every `/v1` route except `/v1/health` needs `Authorization: Bearer <key>`; create a key with
`feedback-nlp keys create --workspace NAME`. A key sees only its own workspace's data. Errors are
RFC 9457 `application/problem+json`. Requests are rate-limited per key (per client address
without one): over the limit the answer is 429 with `Retry-After`; every limited answer carries
`RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (read from the environment when omitted).

    Args:
        settings: The process settings; ``None`` reads them from the environment once.

    Returns:
        The app. Its lifespan migrates the database to head, opens the store and starts the
        embedded job worker (unless ``settings.api.embedded_worker`` is false) and the alert
        worker (unless ``settings.alerts.embedded_worker`` is false).
    """
    settings = settings or load_settings()
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database.url)
        await run_in_threadpool(upgrade, engine)
        store = Store(engine)
        app.state.store = store
        identifier = LanguageIdProcess({"preload": True})
        identifier.start(wait=False)  # lingua's models load in the child, beside startup
        app.state.ingest_stages = IngestStages(redactor=PiiRedactor(), identifier=identifier)
        worker = _start_worker(store, settings) if settings.api.embedded_worker else None
        app.state.worker = worker
        alert_worker = _start_alert_worker(app, store, settings)
        app.state.alert_worker = alert_worker
        try:
            yield
        finally:
            if alert_worker is not None:  # before the analytics state it reads is closed
                await run_in_threadpool(alert_worker.stop)
            if worker is not None:
                await run_in_threadpool(worker.stop)
            frame_cache = getattr(app.state, "frame_cache", None)
            if frame_cache is not None:
                await run_in_threadpool(frame_cache.close)
            app.state.store = app.state.worker = app.state.frame_cache = None
            app.state.alert_worker = None
            await run_in_threadpool(identifier.close)
            engine.dispose()

    app = FastAPI(
        title="feedback_nlp",
        version=__version__,
        summary="Recurring complaint themes, sentiment and NPS analytics from customer feedback.",
        description=DESCRIPTION,
        docs_url=None,  # the CDN pages: api.docs serves them from installed files instead
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.store = app.state.worker = app.state.alert_worker = None
    metrics.watch_jobs(lambda: _job_counts(app))
    install_problem_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.api.max_body_bytes)
    app.add_middleware(RateLimitMiddleware, limiter=rate_limiter(settings.api))  # before bodies
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: also counts 413s, 429s
    routers = (health, feedback, jobs, themes, taxonomy, scores, insights, keys, workspaces, alerts)
    for module in routers:
        app.include_router(module.router)
    app.include_router(ui_routes.router)  # the dashboard (/ui), server-rendered HTML
    app.include_router(ui_alerts.router)  # its alerts page (/ui/alerts)
    app.include_router(ui_taxonomy_forms.router)  # its forms that steer the themes
    install_docs(app)  # /docs, /redoc (offline) and GET / -> /ui
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:  # built once, with the Problem schema of error answers
            app.openapi_schema = add_problem_schema(default_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def rate_limiter(api: ApiSettings) -> TokenBucketLimiter | None:
    """The request rate limiter of ``api`` settings (``None`` when the limit is 0: no limit)."""
    if api.rate_limit_per_minute == 0:
        return None
    burst = api.rate_limit_burst or api.rate_limit_per_minute
    return TokenBucketLimiter(per_minute=api.rate_limit_per_minute, burst=burst)


def _start_worker(store: Store, settings: Settings) -> JobWorker:
    # Imported here: the jobs pull in the mining stack, which an API without a worker never needs.
    from feedback_nlp.jobs.worker import JobWorker

    worker = JobWorker(store, settings)
    worker.start()
    return worker


def _start_alert_worker(app: FastAPI, store: Store, settings: Settings) -> AlertWorker | None:
    """The alert worker over the app's analytics state (``None``: alerts.embedded_worker off)."""
    if not settings.alerts.embedded_worker:
        return None
    from api.alerts_deps import state_frame_source
    from api.analytics_deps import analytics_state
    from feedback_nlp.alerts.worker import AlertWorker

    def frame_of(workspace_id: int) -> Any:
        return state_frame_source(analytics_state(app.state), store)(workspace_id)

    alert_worker = AlertWorker(store, settings.alerts, frame_of)
    alert_worker.start()
    return alert_worker


def _job_counts(app: FastAPI) -> Mapping[str, int]:
    store: Store | None = app.state.store
    return {} if store is None else store.count_jobs_by_state()
