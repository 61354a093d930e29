"""Prepare validated items for storage: PII redaction, then language identification.

This is the only road from :class:`~feedback_nlp.domain.FeedbackIn` to
:class:`~feedback_nlp.domain.PreparedFeedback`, the type the store accepts, so the original text
is never stored, logged or embedded: the language is identified on the redacted text. Segment
values are redacted too (a ``contact`` or ``customer`` attribute must not bring an e-mail
address or a phone number into the database); segment keys and item ids are kept as sent. A
customer id is replaced by its keyed pseudonym (:mod:`feedback_nlp.ingest.pseudonym`).
:func:`prepare_items` is :func:`redact_and_identify` then :func:`build_items`; a pipeline runs the
two halves in their own threads (:meth:`~feedback_nlp.ingest.service.IngestService.pipeline`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from feedback_nlp.domain import FeedbackIn, PreparedFeedback
from feedback_nlp.ingest.pseudonym import pseudonym
from feedback_nlp.text.langid import LanguageIdentifying
from feedback_nlp.text.langid_process import (
    LanguageIdProcess,
    RedactedGuess,
    redact_then_identify,
)
from feedback_nlp.text.pii import PiiRedactor

__all__ = ["build_items", "prepare_items", "redact_and_identify"]


def prepare_items(
    items: Sequence[FeedbackIn],
    redactor: PiiRedactor,
    identifier: LanguageIdentifying,
    *,
    customer_key: bytes | None = None,
) -> list[PreparedFeedback]:
    """Redact the PII of each item's text and identify its language.

    Args:
        items: Validated items, texts as the caller sent them.
        redactor: The PII stage.
        identifier: The language identification stage (run on the redacted texts).
        customer_key: The workspace's pseudonym key; needed when an item has a customer id.

    Returns:
        One prepared item per input, in order; each ``item.text`` (and segment value) is
        redacted, each ``customer_id`` pseudonymised; ``pii_kinds`` are the kinds found in the
        text.

    Raises:
        ValueError: If an item has a customer id and no key is given.
    """
    _check_key(items, customer_key)
    texts = redact_and_identify([item.text for item in items], redactor, identifier)
    return build_items(items, texts, redactor, customer_key=customer_key)


def redact_and_identify(
    texts: Sequence[str], redactor: PiiRedactor, identifier: LanguageIdentifying
) -> list[RedactedGuess]:
    """The first half of :func:`prepare_items`: each text redacted, then its language.

    An identifier in a child process (:class:`LanguageIdProcess`) does both there, sparing
    this process's GIL the redaction; else they run here, one after the other.
    """
    if isinstance(identifier, LanguageIdProcess):
        return identifier.redact_and_identify(texts, redactor)
    return redact_then_identify(texts, redactor, identifier)


def build_items(
    items: Sequence[FeedbackIn],
    texts: Sequence[RedactedGuess],
    redactor: PiiRedactor,
    *,
    customer_key: bytes | None = None,
) -> list[PreparedFeedback]:
    """The second half of :func:`prepare_items`: the prepared items of redacted, identified texts.

    Segment values are redacted here, customer ids pseudonymised.

    Raises:
        ValueError: If an item has a customer id and no key is given.
    """
    _check_key(items, customer_key)
    redacted_values: dict[str, str] = {}  # segment values repeat (plan, region): redact once
    return [
        PreparedFeedback(
            item=_redacted_item(item, text.text, redactor, redacted_values, customer_key),
            lang=text.guess.lang,
            lang_confidence=float(text.guess.confidence),
            pii_kinds=text.pii_kinds,
        )
        for item, text in zip(items, texts, strict=True)
    ]


def _redacted_item(
    item: FeedbackIn,
    text: str,
    redactor: PiiRedactor,
    memo: dict[str, str],
    customer_key: bytes | None,
) -> FeedbackIn:
    """The item with its redacted text and segment values and its customer's pseudonym.

    Most items carry no PII and no customer id: those are kept as they are (no copy).
    """
    segments = _redacted(item.segments, redactor, memo)
    if item.customer_id is None and text == item.text and segments is item.segments:
        return item
    return replace(
        item,
        text=text,
        segments=segments,
        customer_id=(
            None
            if item.customer_id is None or customer_key is None
            else pseudonym(customer_key, item.customer_id)
        ),
    )


def _check_key(items: Sequence[FeedbackIn], customer_key: bytes | None) -> None:
    if customer_key is None and any(item.customer_id is not None for item in items):
        raise ValueError("Items with a customer id need the workspace's customer key.")


def _redacted(
    segments: Mapping[str, str], redactor: PiiRedactor, memo: dict[str, str]
) -> Mapping[str, str]:
    """``segments`` with redacted values (the same mapping when no value changes)."""
    out: dict[str, str] = {}
    changed = False
    for key, value in segments.items():
        redacted = memo.get(value)
        if redacted is None:
            redacted = memo[value] = redactor(value).text
        out[key] = redacted
        changed = changed or redacted != value
    return out if changed else segments
