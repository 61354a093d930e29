"""Small builders of prepared feedback for store tests (no model needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feedback_nlp.domain import FeedbackIn, PreparedFeedback

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def item(
    external_id: str,
    text: str = "The delivery was late.",
    *,
    minutes: int | None = 0,
    lang: str = "en",
    **fields: object,
) -> PreparedFeedback:
    """A prepared item created ``minutes`` after T0 (``None``: no created_at)."""
    created = None if minutes is None else T0 + timedelta(minutes=minutes)
    feedback = FeedbackIn(external_id=external_id, text=text, created_at=created, **fields)  # type: ignore[arg-type]
    return PreparedFeedback(item=feedback, lang=lang, lang_confidence=0.9)
