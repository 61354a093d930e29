"""The FastAPI application factory.

Run it with ``uvicorn --factory api.main:create_app``. Settings are read once here and handed to
the routes; nothing is created at import time.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

from feedback_nlp import __version__
from feedback_nlp.settings import Settings, load_settings


class HealthPublic(BaseModel):
    """The answer of ``GET /v1/health``."""

    status: str
    version: str


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (read from the environment when omitted)."""
    settings = settings or load_settings()
    app = FastAPI(
        title="feedback_nlp",
        version=__version__,
        summary="Recurring complaint themes, sentiment and NPS analytics from customer feedback.",
        docs_url="/docs",
    )
    app.state.settings = settings

    @app.get("/v1/health", tags=["service"])
    def health() -> HealthPublic:
        """Report that the service is up, and its version."""
        return HealthPublic(status="ok", version=__version__)

    return app
