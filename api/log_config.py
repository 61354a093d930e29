"""Logging of ``feedback-nlp serve``: uvicorn's handlers, feedback_nlp's loggers, no PII.

:func:`server_log_config` is the ``logging.config.dictConfig`` that the server passes to uvicorn:
uvicorn's own configuration, plus the ``feedback_nlp`` loggers (job worker, API errors) at the
chosen level on uvicorn's stderr handler, plus :class:`RedactPii` on every handler.

An access log line quotes the request's path and query string, and both may carry personal
data (``GET /v1/feedback?segment=contact:dana@example.com``); an error's message or traceback
may quote a value that came in. The filter decodes request targets and replaces every PII span
with its placeholder, as ingest does for feedback text, before a line is written. Request bodies
are never logged (see also :mod:`api.problems` for what error answers echo).

Two kinds of line are left as they are: uvicorn's start-up line (``Uvicorn running on
http://127.0.0.1:8000``: the server's own bind address, from its settings, which the PII patterns
would otherwise turn into ``[IP]``) and the client address of an access line (what an operator
reads an access log for). An IP address anywhere else in a message (an error quoting a value, a
request target) is redacted.
"""

from __future__ import annotations

import copy
import logging
from typing import Any
from urllib.parse import unquote, unquote_plus

from uvicorn.config import LOGGING_CONFIG

from feedback_nlp.text.pii import redact

__all__ = ["RedactPii", "redact_target", "server_log_config"]


def redact_target(target: str) -> str:
    """A request target (path and query string) decoded, with every PII span redacted."""
    path, sep, query = target.partition("?")
    decoded = unquote(path) + (sep + unquote_plus(query) if sep else "")
    return redact(decoded).text


class RedactPii(logging.Filter):
    """Redact PII from every record a server handler writes.

    uvicorn's access records keep their argument tuple (its formatter reads it) with the request
    target (``args[2]``) redacted; any other record gets its formatted message and its traceback
    redacted (an exception message may quote a value that came in).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; always keep it."""
        if _is_startup_line(record):
            return True
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) >= 3:
            if isinstance(args[2], str):
                record.args = (*args[:2], redact_target(args[2]), *args[3:])
            return True
        message = record.getMessage()
        redacted = redact(message).text
        if redacted != message:
            record.msg, record.args = redacted, None
            record.__dict__.pop("color_message", None)  # uvicorn's coloured copy of the message
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(_TRACEBACKS.formatException(record.exc_info)).text
        return True


_TRACEBACKS = logging.Formatter()
_STARTUP_LOGGER = "uvicorn.error"
_STARTUP_PREFIX = "Uvicorn running on "


def _is_startup_line(record: logging.LogRecord) -> bool:
    # uvicorn's template with (scheme, host, port) arguments: nothing in it came from a client.
    return (
        record.name == _STARTUP_LOGGER
        and isinstance(record.msg, str)
        and record.msg.startswith(_STARTUP_PREFIX)
        and record.exc_info is None
    )


def server_log_config(level: str) -> dict[str, Any]:
    """The uvicorn logging configuration, with feedback_nlp logging at ``level`` and no PII.

    Args:
        level: ``critical``, ``error``, ``warning``, ``info`` or ``debug``.

    Returns:
        A ``dictConfig`` mapping (a new one each call).
    """
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_pii": {"()": RedactPii}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact_pii"]
    config["loggers"]["feedback_nlp"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    config["root"] = {"handlers": ["default"], "level": "WARNING"}  # other libraries' warnings
    return config
