"""The API's documentation pages (``/docs``, ``/redoc``) served offline, and ``GET /``.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so on a machine without internet
access ``/docs`` is a blank page. The pinned ``fastapi-offline`` package (MIT) ships the
distribution files (Swagger UI's ``swagger-ui-bundle.js`` and ``swagger-ui.css``, Apache-2.0;
ReDoc's ``redoc.standalone.js``, MIT); they are mounted under :data:`ASSETS_URL` and the pages
name only those local files (ReDoc without its Google Fonts link). Their Content-Security-Policy
(:data:`DOCS_CSP`) lets a page load from this server only, so nothing else is even tried (ReDoc's
side menu would fetch its maker's logo from a CDN).
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_DIR", "ASSETS_URL", "install_docs"]

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
HOME_URL = "/ui"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
"""The pages' inline start-up scripts need ``'unsafe-inline'``; ReDoc searches in a blob worker."""


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    page.headers["X-Content-Type-Options"] = "nosniff"
    return page


def install_docs(app: FastAPI) -> None:
    """Add ``/docs``, ``/redoc``, their local assets and the ``GET /`` redirect to ``app``.

    Args:
        app: An app built with ``docs_url=None`` and ``redoc_url=None`` (its CDN pages off).
    """
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _local_only(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{title} — API docs",
                swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
                oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            )
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _local_only(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{title} — API reference",
                redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            )
        )

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        # A new user's first request: the dashboard (its sign-in page links the docs).
        return RedirectResponse(HOME_URL, status_code=307)
