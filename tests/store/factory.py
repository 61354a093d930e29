"""Small builders of prepared feedback and hand-made mining runs for tests (no model needed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from feedback_nlp.domain import (
    FeedbackFilter,
    FeedbackIn,
    MinedTheme,
    MinedUnit,
    MiningItem,
    MiningOutcome,
    PreparedFeedback,
    ThemeRecord,
)
from feedback_nlp.store import Store
from feedback_nlp.store.base import utcnow
from feedback_nlp.themes.registry import ThemeRegistry

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


@dataclass(frozen=True, slots=True)
class HandUnit:
    """What a hand-made mining run says of an item's one unit (its whole text)."""

    theme_id: str | None
    lang: str
    sentiment_label: str
    sentiment_score: float


def save_hand_mining(
    store: Store,
    workspace_id: int,
    themes: Sequence[MinedTheme],
    unit_of: Callable[[MiningItem], HandUnit],
) -> None:
    """Save a mining run made by hand (no model): one unit per stored item.

    It goes through the real ``Store.save_mining``, so every read path is a mined workspace's.
    """
    items = store.mining_items(workspace_id, FeedbackFilter())
    units = []
    for item in items:
        unit = unit_of(item)
        units.append(
            MinedUnit(
                item_id=item.item_id,
                unit_index=0,
                start=0,
                end=len(item.text),
                text=item.text,
                lang=unit.lang,
                text_hash=item.text_hash,
                theme_id=unit.theme_id,
                sentiment_label=unit.sentiment_label,
                sentiment_score=unit.sentiment_score,
            )
        )
    store.save_mining(
        workspace_id,
        MiningOutcome(
            job_id=None,
            embedder="hand",
            started_at=utcnow(),
            item_ids=[item.item_id for item in items],
            units=units,
            themes=list(themes),
            registry=ThemeRegistry(),
            n_unassigned=sum(unit.theme_id is None for unit in units),
            config={},
        ),
    )


def mined_theme(theme_id: str, label: dict[str, str], languages: dict[str, int]) -> MinedTheme:
    """A level-0 theme as a hand-made run finds it; its size is its units over ``languages``."""
    return MinedTheme(
        theme_id=theme_id,
        level=0,
        label=label,
        keyphrases={},
        quotes=[],
        languages=languages,
        parent_id=None,
        size=sum(languages.values()),
        confidence=None,
    )


def theme_record(
    theme_id: str, label: dict[str, str], languages: dict[str, int], **changes: object
) -> ThemeRecord:
    """A stored theme of :func:`mined_theme`'s fields, active since run 1; ``changes`` replace."""
    mined = mined_theme(theme_id, label, languages)
    record = ThemeRecord(
        theme_id=mined.theme_id,
        level=mined.level,
        label=mined.label,
        custom_label=None,
        keyphrases=mined.keyphrases,
        quotes=mined.quotes,
        languages=mined.languages,
        parent_id=mined.parent_id,
        size=mined.size,
        confidence=mined.confidence,
        active=True,
        first_seen_run=1,
        last_seen_run=1,
    )
    return replace(record, **changes)
