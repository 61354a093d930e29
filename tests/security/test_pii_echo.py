"""Where a value that came in could be echoed (row errors, log lines, problems), PII is redacted.

Fast unit checks of each place; tests/security/test_no_pii_in_logs.py runs them all end to end.
"""

from __future__ import annotations

import logging
import sys

import pytest

from api.log_config import RedactPii, redact_target, server_log_config
from feedback_nlp.domain import FeedbackIn
from feedback_nlp.ingest.prepare import prepare_items
from feedback_nlp.ingest.validate import validate_rows
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor

EMAIL = "dana.smith+orders@example.com"
PERSIAN_PHONE = "۰۹۱۲ ۳۴۵ ۶۷۸۹"
IBAN = "GB82 WEST 1234 5698 7654 32"


@pytest.mark.parametrize(
    ("field", "value", "placeholder"),
    [
        ("nps", EMAIL, "[EMAIL]"),
        ("created_at", PERSIAN_PHONE, "[PHONE]"),
        ("source", IBAN, "[IBAN]"),
        ("text", {"nested": EMAIL}, "an object"),
    ],
)
def test_validate_row_errors_quote_values_with_pii_redacted(
    field: str, value: object, placeholder: str
) -> None:
    good, errors = validate_rows(
        [{"id": "r1", "text": "fine"} | {field: value}], max_text_chars=100
    )
    assert good == []
    assert len(errors) == 1
    assert (
        f"Got {placeholder if placeholder == 'an object' else repr(placeholder)}"
        in errors[0].reason
    )
    assert EMAIL not in errors[0].reason
    assert PERSIAN_PHONE not in errors[0].reason
    assert IBAN not in errors[0].reason


def test_validate_long_value_is_redacted_before_it_is_shortened() -> None:
    value = "x" * 30 + " " + EMAIL  # the address straddles the 50-character cut
    _, errors = validate_rows([{"id": "r1", "text": "ok", "nps": value}], max_text_chars=100)
    assert "[EMAIL]" in errors[0].reason
    assert "dana" not in errors[0].reason


def test_validate_unknown_field_named_by_pii_is_redacted() -> None:
    _, errors = validate_rows([{"id": "r1", "text": "ok", EMAIL: 1}], max_text_chars=100)
    assert (errors[0].field, "[EMAIL]" in errors[0].reason) == ("[EMAIL]", True)
    assert EMAIL not in errors[0].reason


def test_prepare_redacts_segment_values_and_keeps_keys() -> None:
    item = FeedbackIn(
        external_id="a",
        text="Call me on " + PERSIAN_PHONE,
        segments={"contact": EMAIL, "plan": "pro", "iban": IBAN},
    )
    [prepared] = prepare_items([item], PiiRedactor(), LanguageIdentifier())
    assert prepared.item.text == "Call me on [PHONE]"
    assert prepared.item.segments == {"contact": "[EMAIL]", "plan": "pro", "iban": "[IBAN]"}
    assert prepared.pii_kinds == ("phone",)  # the kinds found in the text


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/v1/themes/dana%40example.com", "/v1/themes/[EMAIL]"),
        (
            "/v1/feedback?segment=contact%3Adana%40example.com&limit=5",
            "/v1/feedback?segment=contact:[EMAIL]&limit=5",
        ),
        ("/v1/feedback?cursor=%2B1+415+555+0134", "/v1/feedback?cursor=[PHONE]"),
        ("/v1/feedback?limit=5&source=survey", "/v1/feedback?limit=5&source=survey"),
    ],
)
def test_redact_target_decodes_and_redacts(target: str, expected: str) -> None:
    assert redact_target(target) == expected


def _record(name: str, msg: str, args: tuple[object, ...], exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError(f"bad value {EMAIL}")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, exc_info)


def test_redact_pii_filter_rewrites_access_records_and_keeps_their_shape() -> None:
    record = _record(
        "uvicorn.access",
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/v1/themes/dana%40example.com", "1.1", 404),
    )
    assert RedactPii().filter(record)
    assert record.args == ("127.0.0.1:5000", "GET", "/v1/themes/[EMAIL]", "1.1", 404)


def test_redact_pii_filter_redacts_messages_and_tracebacks() -> None:
    record = _record("feedback_nlp.api", "failed for %s", (PERSIAN_PHONE,), exc=True)
    assert RedactPii().filter(record)
    formatted = logging.Formatter().format(record)
    assert "failed for [PHONE]" in formatted
    assert "ValueError: bad value [EMAIL]" in formatted
    assert EMAIL not in formatted
    assert PERSIAN_PHONE not in formatted


def test_server_log_config_filters_every_handler_and_sets_the_level() -> None:
    config = server_log_config("debug")
    assert {name: h["filters"] for name, h in config["handlers"].items()} == {
        "default": ["redact_pii"],
        "access": ["redact_pii"],
    }
    assert config["loggers"]["feedback_nlp"]["level"] == "DEBUG"
    assert config["root"] == {"handlers": ["default"], "level": "WARNING"}
