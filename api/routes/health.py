"""Service routes: ``GET /v1/health`` and ``GET /metrics`` (both unauthenticated)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import MetricsDep
from api.schemas import HealthPublic
from feedback_nlp import __version__

router = APIRouter(tags=["service"])


@router.get("/v1/health")
def health() -> HealthPublic:
    """Report that the service is up, and its version (no API key needed)."""
    return HealthPublic(status="ok", version=__version__)


@router.get("/metrics", response_class=Response)
def metrics(app_metrics: MetricsDep) -> Response:
    """Prometheus text exposition of this process's metrics."""
    return Response(generate_latest(app_metrics.registry), media_type=CONTENT_TYPE_LATEST)
