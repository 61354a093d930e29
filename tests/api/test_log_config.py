"""The server log's PII filter keeps uvicorn's start-up line and redacts client data elsewhere."""

from __future__ import annotations

import logging

import pytest

from api.log_config import RedactPii

STARTUP = "Uvicorn running on %s://%s:%d (Press CTRL+C to quit)"


def _record(name: str, msg: str, args: tuple[object, ...], **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("0.0.0.0", "http://0.0.0.0:8000"),
        ("192.168.1.20", "http://192.168.1.20:8000"),
    ],
)
def test_redact_pii_keeps_the_startup_bind_address(host: str, shown: str) -> None:
    record = _record("uvicorn.error", STARTUP, ("http", host, 8000), color_message=STARTUP)
    assert RedactPii().filter(record)
    assert record.getMessage() == f"Uvicorn running on {shown} (Press CTRL+C to quit)"
    assert record.__dict__["color_message"] == STARTUP


def test_redact_pii_redacts_a_client_ip_in_other_server_lines() -> None:
    record = _record(
        "uvicorn.error",
        "Invalid HTTP request from %s",
        ("203.0.113.7",),
        color_message="Invalid HTTP request from %s",
    )
    assert RedactPii().filter(record)
    assert record.getMessage() == "Invalid HTTP request from [IP]"
    assert "color_message" not in record.__dict__  # the coloured copy would print the address


def test_redact_pii_redacts_the_startup_template_from_another_logger() -> None:
    record = _record("feedback_nlp.api", STARTUP, ("http", "203.0.113.7", 8000))
    assert RedactPii().filter(record)
    assert "203.0.113.7" not in record.getMessage()
