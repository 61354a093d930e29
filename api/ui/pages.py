"""Rendering the dashboard's pages, with its security headers (no routes, no dependencies)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2
from fastapi.responses import HTMLResponse

from feedback_nlp.report.html import environment

__all__ = ["CSP", "SECURITY_HEADERS", "error_page", "page"]

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@cache
def dashboard_environment() -> jinja2.Environment:
    """The report's Jinja2 environment, with the dashboard's own templates (``ui/...``) added.

    The dashboard's templates live here, beside its routes; the report's sections, filters and
    charts come from the library's environment, so a page and the HTML report render alike.
    """
    report = environment()
    loader = jinja2.ChoiceLoader(
        [jinja2.PackageLoader("api.ui", "templates"), report.loader or jinja2.BaseLoader()]
    )
    return report.overlay(loader=loader)


def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a dashboard template (``ui/...``) as an HTML response."""
    html = dashboard_environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def error_page(
    message: str, status_code: int, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    """The dashboard's error page without a session (answers made outside its routes)."""
    response = page("ui/error.html", status_code=status_code, session=None, message=message)
    response.headers.update(headers or {})
    return response
