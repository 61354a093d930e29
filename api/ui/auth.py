"""Browser sign-in for the dashboard: an API key in a cookie, and CSRF tokens for its forms.

The API itself takes ``Authorization: Bearer <key>``; a browser cannot send that header from a
plain link or form, so ``/ui/login`` takes the key once and keeps it in a cookie that scripts
cannot read (``HttpOnly``), that no other site's page can make the browser send
(``SameSite=Strict``) and that only travels under ``/ui``. Every request re-checks the key with
:meth:`~feedback_nlp.store.store.Store.authenticate`, so revoking a key signs its browsers out.

Forms that change data also carry a CSRF token: ``HMAC-SHA256(key, "feedback-nlp/ui/csrf/v1")``.
It is stateless (no session table; valid across restarts and server processes), differs per key,
and cannot be computed without the key, which a cross-site attacker never sees. ``SameSite``
alone would already stop most cross-site posts; the token also covers browsers and proxies that
do not honour it.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from feedback_nlp.domain import Workspace
from feedback_nlp.store.store import Store

__all__ = [
    "COOKIE_NAME",
    "COOKIE_PATH",
    "CSRF_REFUSED",
    "UiSession",
    "clear_session_cookie",
    "csrf_token",
    "csrf_valid",
    "login_redirect",
    "safe_next",
    "session_of",
    "set_session_cookie",
]

COOKIE_NAME = "fnlp_ui_key"
COOKIE_PATH = "/ui"
COOKIE_MAX_AGE_S = 12 * 3600
_CSRF_MESSAGE = b"feedback-nlp/ui/csrf/v1"
CSRF_REFUSED = "The form's security token is missing or wrong. Reload the page and try again."
"""What a form whose CSRF token does not match is told (with a 403)."""


class UiSession:
    """A signed-in browser: its key (from the cookie) and the key's workspace."""

    __slots__ = ("key", "workspace")

    def __init__(self, key: str, workspace: Workspace) -> None:
        self.key = key
        self.workspace = workspace

    @property
    def csrf(self) -> str:
        """The CSRF token this session's forms must send back."""
        return csrf_token(self.key)


def csrf_token(key: str) -> str:
    """The CSRF token of the API key ``key`` (hex HMAC-SHA256, 64 characters)."""
    return hmac.new(key.encode("utf-8"), _CSRF_MESSAGE, hashlib.sha256).hexdigest()


def csrf_valid(session: UiSession, token: str | None) -> bool:
    """Whether ``token`` is the session's CSRF token (constant-time comparison)."""
    return token is not None and hmac.compare_digest(session.csrf, token)


def session_of(request: Request, store: Store) -> UiSession | None:
    """The signed-in session of ``request``.

    Returns:
        ``None`` when there is no cookie or its key no longer authenticates.
    """
    key = request.cookies.get(COOKIE_NAME)
    if not key:
        return None
    workspace = store.authenticate(key)
    return None if workspace is None else UiSession(key, workspace)


def set_session_cookie(response: Response, request: Request, key: str) -> None:
    """Keep ``key`` in the session cookie (``Secure`` too when the request came over HTTPS)."""
    response.set_cookie(
        COOKIE_NAME,
        key,
        max_age=COOKIE_MAX_AGE_S,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(response: Response) -> None:
    """Remove the session cookie."""
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="strict")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: ``target`` if it is a path under ``/ui``, else ``/ui``.

    Anything else (another host, ``//evil.example``, a scheme, backslashes) is refused, so the
    login page cannot be used as an open redirect.
    """
    if (
        not target
        or not target.startswith("/ui")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 0x20 for ch in target)
    ):
        return "/ui"
    rest = target[3:]
    return target if rest == "" or rest[0] in "/?" else "/ui"


def login_redirect(request: Request) -> RedirectResponse:
    """A 303 to ``/ui/login`` that comes back to the requested page afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/ui/login?next={quote(safe_next(target), safe='')}", status_code=303)
