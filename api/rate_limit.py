"""Per-key request rate limits: a token bucket per API key, or per client address without one.

Each identity owns a bucket of ``burst`` tokens that refills at ``per_minute / 60`` tokens a
second; a request takes one token, and a request that finds the bucket empty is answered
``429 application/problem+json`` with ``Retry-After`` (seconds until a token is back); under
``/ui`` the 429 is the dashboard's HTML error page, with the same headers. Every
limited answer carries the IETF draft headers ``RateLimit-Limit`` (the bucket size),
``RateLimit-Remaining`` (whole tokens left) and ``RateLimit-Reset`` (seconds until the bucket is
full again).

The identity is ``key:<key id>`` when the request carries a key that authenticates (the
``Authorization: Bearer`` header, or the dashboard's cookie under ``/ui``), else
``ip:<client address>``: a made-up key never earns a fresh bucket. The workspace found on the
way is handed to :func:`api.deps.get_workspace` through ``request.state``, so a request is
authenticated once. ``/v1/health`` and ``/metrics`` are exempt (probes and scrapers).

The buckets live in this process's memory: with several server processes each enforces its own
limit. Buckets untouched for long are dropped once there are more than ``max_buckets``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import RateLimitedError, problem_response
from api.ui.auth import COOKIE_NAME, COOKIE_PATH
from api.ui.pages import error_page
from feedback_nlp.domain import Workspace
from feedback_nlp.store.workspaces import parse_api_key

__all__ = [
    "AUTH_STATE",
    "EXEMPT_PATHS",
    "RateDecision",
    "RateLimitMiddleware",
    "TokenBucketLimiter",
]

EXEMPT_PATHS = frozenset({"/v1/health", "/metrics"})
AUTH_STATE = "authenticated_key"
"""``request.state`` attribute holding ``(key, workspace)`` once the middleware checked a key."""


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The outcome of one request against its bucket.

    Attributes:
        allowed: Whether the request may proceed (it took a token).
        limit: The bucket size (requests allowed at once).
        remaining: Whole tokens left after this request.
        reset_seconds: Seconds until the bucket is full again (rounded up).
        retry_after: Seconds until one token is back (rounded up; 0 when allowed).
    """

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        """The ``RateLimit-*`` headers (and ``Retry-After`` when refused)."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class TokenBucketLimiter:
    """Token buckets keyed by identity; thread-safe.

    Args:
        per_minute: Sustained requests per minute per identity (>= 1).
        burst: Bucket size: requests allowed at once after a quiet spell (>= 1).
        clock: Seconds, monotonic (injectable for tests).
        max_buckets: Above this many identities the least recently used buckets are dropped
            (a dropped identity starts again with a full bucket).
    """

    def __init__(
        self,
        *,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_buckets: int = 10_000,
    ) -> None:
        if per_minute < 1 or burst < 1 or max_buckets < 1:
            raise ValueError(
                "per_minute, burst and max_buckets must be >= 1. "
                f"Got {per_minute}, {burst}, {max_buckets} instead."
            )
        self.limit = burst
        self.rate = per_minute / 60.0  # tokens per second
        self.max_buckets = max_buckets
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, time
        self._lock = threading.Lock()

    def take(self, identity: str) -> RateDecision:
        """Take one token from ``identity``'s bucket if there is one.

        Returns:
            Whether the request is allowed, and the numbers behind the rate-limit headers.
        """
        with self._lock:
            now = self._clock()
            tokens, updated = self._buckets.pop(identity, (float(self.limit), now))
            tokens = min(float(self.limit), tokens + (now - updated) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[identity] = (tokens, now)
            while len(self._buckets) > self.max_buckets:
                self._buckets.popitem(last=False)
        return RateDecision(
            allowed=allowed,
            limit=self.limit,
            remaining=int(tokens),
            reset_seconds=math.ceil((self.limit - tokens) / self.rate),
            retry_after=0 if allowed else max(1, math.ceil((1.0 - tokens) / self.rate)),
        )

    def __len__(self) -> int:
        return len(self._buckets)


class RateLimitMiddleware:
    """Answer 429 once an identity's bucket is empty; add ``RateLimit-*`` headers otherwise."""

    def __init__(self, app: ASGIApp, *, limiter: TokenBucketLimiter | None) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Charge the request to its identity's bucket, then run the app or refuse."""
        limiter = self.limiter
        if scope["type"] != "http" or limiter is None or scope.get("path") in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        identity = await _identity(scope)
        decision = limiter.take(identity)
        headers = decision.headers()
        if not decision.allowed:
            who = "this API key" if identity.startswith("key:") else "this client address"
            detail = (
                f"More than {limiter.limit} requests at once or {round(limiter.rate * 60)} a "
                f"minute from {who}. Retry after {decision.retry_after} s "
                "(FEEDBACK_NLP_API__RATE_LIMIT_PER_MINUTE, __RATE_LIMIT_BURST)."
            )
            response: Response
            if _is_dashboard(str(scope.get("path", ""))):  # a person with a browser: a page
                response = error_page(
                    f"Too many requests from this session. Try again in {decision.retry_after} s.",
                    RateLimitedError.status,
                    headers,
                )
            else:
                response = problem_response(
                    Request(scope),
                    status=RateLimitedError.status,
                    title=RateLimitedError.title,
                    detail=detail,
                    code=RateLimitedError.code,
                    headers=headers,
                )
            await response(scope, receive, send)
            return
        extra = [
            (name.lower().encode("latin-1"), value.encode()) for name, value in headers.items()
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_dashboard(path: str) -> bool:
    return path == COOKIE_PATH or path.startswith(COOKIE_PATH + "/")


def _token(scope: Scope) -> str | None:
    headers = Headers(scope=scope)
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    if str(scope.get("path", "")).startswith(COOKIE_PATH):
        return Request(scope).cookies.get(COOKIE_NAME) or None
    return None


async def _identity(scope: Scope) -> str:
    """``key:<id>`` for a key that authenticates (remembered on the request), else ``ip:<addr>``."""
    state = scope.setdefault("state", {})
    state.pop(AUTH_STATE, None)  # only this request's own check may be reused
    token = _token(scope)
    parsed = None if token is None else parse_api_key(token)
    app = scope.get("app")
    store = getattr(getattr(app, "state", None), "store", None)
    if token is not None and parsed is not None and store is not None:
        workspace: Workspace | None = await run_in_threadpool(store.authenticate, token)
        if workspace is not None:
            state[AUTH_STATE] = (token, workspace)
            return f"key:{parsed[0]}"
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"
