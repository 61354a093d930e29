"""Feedback texts for the reliability checks: the demo corpus texts that are stored verbatim.

A check compares what the database holds with what a client sent, so every text it sends must
come back byte for byte: a text the PII redactor would change is left out of the pool, and the
version suffix a check appends (``" #3"``) is checked too.
"""

from __future__ import annotations

import functools

from feedback_nlp.demo import read_demo_texts
from feedback_nlp.text.pii import PiiRedactor

__all__ = ["stable_texts", "versioned"]


def versioned(base: str, version: int) -> str:
    """``base`` marked with ``version`` (distinct versions give distinct texts)."""
    return f"{base} #{version}"


@functools.cache
def stable_texts() -> tuple[str, ...]:
    """Demo texts (en, ar, he, fa, lt) that PII redaction leaves unchanged, versions included."""
    redactor = PiiRedactor()
    texts = sorted({text.strip() for text in read_demo_texts() if text.strip()})
    probes = [versioned(text, 12345) for text in texts]
    kept = [
        text
        for text, probe, redaction in zip(texts, probes, redactor.redact_many(probes), strict=True)
        if redaction.text == probe and "\x00" not in text
    ]
    if len(kept) < 100:
        raise RuntimeError(f"only {len(kept)} demo texts survive redaction unchanged")
    return tuple(kept)
