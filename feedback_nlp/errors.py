"""Exception hierarchy over the coded message catalogue.

Every error the library raises carries a stable ``code``, an HTTP ``status`` and a short
``title``, so that the CLI and the API render every failure the same way. A class takes all three
from its entry of the catalogue, :mod:`feedback_nlp.error_codes` (``error = NOT_FOUND``), which
declares every code once with what the user should do, and documents the ranges (``E1xx`` input,
``E2xx`` models, ``E3xx`` configuration, ``E40x`` not found, ``E45x``
authentication and limits, ``E5xx`` failed jobs). Messages say what went wrong, the value that
came in, and the fix.
"""

from __future__ import annotations

from typing import Any, ClassVar

from feedback_nlp import error_codes
from feedback_nlp.error_codes import CATALOGUE, ErrorCode

__all__ = [
    "CATALOGUE",
    "AlertRuleError",
    "ConfigurationError",
    "ConflictError",
    "EngineNotInstalledError",
    "ErrorCode",
    "FeedbackNLPError",
    "InvalidInputError",
    "ModelLoadError",
    "ModelNotInstalledError",
    "NotFoundError",
    "TaxonomyEditError",
    "WebhookTargetError",
    "WebhookUrlError",
]


class FeedbackNLPError(Exception):
    """Base class of every error raised by feedback_nlp.

    A subclass names its catalogue entry as ``error``; ``code``, ``status`` and ``title`` follow
    from it.
    """

    error: ClassVar[ErrorCode] = error_codes.INTERNAL
    code: ClassVar[str] = error_codes.INTERNAL.code
    status: ClassVar[int] = 500
    title: ClassVar[str] = error_codes.INTERNAL.title

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        entry = cls.error
        if entry.status is None:
            raise TypeError(f"{cls.__name__}: {entry.code} is a per-row error, not an answer")
        cls.code, cls.status, cls.title = entry.code, entry.status, entry.title

    def __init__(self, detail: str) -> None:
        super().__init__(f"[{self.code}] {detail}")
        self.detail = detail


class InvalidInputError(FeedbackNLPError, ValueError):
    """A value supplied by the caller is not acceptable."""

    error = error_codes.INVALID_INPUT


class NotFoundError(FeedbackNLPError, LookupError):
    """A named thing (model, theme, job, file) does not exist."""

    error = error_codes.NOT_FOUND


class TaxonomyEditError(InvalidInputError):
    """A taxonomy edit that cannot be made as asked (merge a theme with itself, split too small)."""

    error = error_codes.TAXONOMY_EDIT


class ConflictError(FeedbackNLPError, RuntimeError):
    """The request conflicts with the current state (an edit made meanwhile, a theme merged)."""

    error = error_codes.CONFLICT


class AlertRuleError(InvalidInputError):
    """An alert rule that cannot be made as asked (an unknown kind, a threshold out of range)."""

    error = error_codes.ALERT_RULE


class WebhookUrlError(AlertRuleError):
    """A webhook URL alerts cannot be delivered to (not http or https, no host)."""

    error = error_codes.WEBHOOK_URL


class WebhookTargetError(WebhookUrlError):
    """A webhook target the allow-list refuses (loopback, private, link-local, multicast)."""

    error = error_codes.WEBHOOK_TARGET


class ModelNotInstalledError(FeedbackNLPError, ImportError):
    """A model's PyPI package is missing or has the wrong version."""

    error = error_codes.MODEL_NOT_INSTALLED

    def __init__(self, model: str, requirement: str, reason: str) -> None:
        super().__init__(self.error.detail(model=model, requirement=requirement, reason=reason))
        self.model = model
        self.requirement = requirement


class ModelLoadError(FeedbackNLPError, RuntimeError):
    """A model's package is installed but its files could not be loaded."""

    error = error_codes.MODEL_LOAD


class ConfigurationError(FeedbackNLPError, ValueError):
    """Settings are inconsistent or name something that does not exist."""

    error = error_codes.CONFIGURATION


class EngineNotInstalledError(FeedbackNLPError, ImportError):
    """An execution engine's optional packages (e.g. Ray) are missing."""

    error = error_codes.ENGINE_NOT_INSTALLED

    def __init__(self, engine: str, requirement: str, reason: str) -> None:
        super().__init__(self.error.detail(engine=engine, requirement=requirement, reason=reason))
        self.engine = engine
        self.requirement = requirement
