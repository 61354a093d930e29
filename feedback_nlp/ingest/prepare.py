"""Prepare validated items for storage: PII redaction, then language identification.

This is the only road from :class:`~feedback_nlp.domain.FeedbackIn` to
:class:`~feedback_nlp.domain.PreparedFeedback`, the type the store accepts, so the original text
is never stored, logged or embedded: the language is identified on the redacted text. Segment
values are redacted too (a ``contact`` or ``customer`` attribute must not bring an e-mail
address or a phone number into the database); segment keys and item ids are kept as sent. A
customer id is replaced by its keyed pseudonym (:mod:`feedback_nlp.ingest.pseudonym`).
:func:`prepare_items` is :func:`redact_items` then :func:`identify_items`; a pipeline runs the
two halves in their own threads (:meth:`~feedback_nlp.ingest.service.IngestService.pipeline`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from feedback_nlp.domain import FeedbackIn, PreparedFeedback
from feedback_nlp.ingest.pseudonym import pseudonym
from feedback_nlp.text.langid import LanguageIdentifying
from feedback_nlp.text.pii import PiiRedactor

__all__ = ["Redacted", "identify_items", "prepare_items", "redact_items"]

Redacted = tuple[FeedbackIn, tuple[str, ...]]
"""An item whose text, segment values and customer id are redacted, with its PII kinds."""


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
    return identify_items(redact_items(items, redactor, customer_key=customer_key), identifier)


def redact_items(
    items: Sequence[FeedbackIn], redactor: PiiRedactor, *, customer_key: bytes | None = None
) -> list[Redacted]:
    """The first half of :func:`prepare_items`: redaction and pseudonyms, no language yet.

    A pipeline runs the halves in two threads, so that one chunk is redacted while the language
    of the one before is identified (in the identifier's child process).

    Raises:
        ValueError: If an item has a customer id and no key is given.
    """
    if customer_key is None and any(item.customer_id is not None for item in items):
        raise ValueError("Items with a customer id need the workspace's customer key.")
    redactions = redactor.redact_many([item.text for item in items])
    redacted_values: dict[str, str] = {}  # segment values repeat (plan, region): redact once
    return [
        (
            replace(
                item,
                text=redaction.text,
                segments=_redacted(item.segments, redactor, redacted_values),
                customer_id=(
                    None
                    if item.customer_id is None or customer_key is None
                    else pseudonym(customer_key, item.customer_id)
                ),
            ),
            tuple(sorted({str(span.kind) for span in redaction.spans})),
        )
        for item, redaction in zip(items, redactions, strict=True)
    ]


def identify_items(
    redacted: Sequence[Redacted], identifier: LanguageIdentifying
) -> list[PreparedFeedback]:
    """The second half of :func:`prepare_items`: the language of each redacted text."""
    guesses = identifier.identify_many([item.text for item, _ in redacted])
    return [
        PreparedFeedback(
            item=item,
            lang=guess.lang,
            lang_confidence=float(guess.confidence),
            pii_kinds=pii_kinds,
        )
        for (item, pii_kinds), guess in zip(redacted, guesses, strict=True)
    ]


def _redacted(
    segments: Mapping[str, str], redactor: PiiRedactor, memo: dict[str, str]
) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in segments.items():
        redacted = memo.get(value)
        if redacted is None:
            redacted = memo[value] = redactor(value).text
        out[key] = redacted
    return out
