"""Draw the rows (ordinary feedback or incident reports), sort and number them, add outcomes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from .corpus import DEFAULT_N, DEFAULT_SEED, LANGUAGES
from .outcomes import draw_outcomes
from .phrasebook import load_phrasebook
from .planted import PLANTED
from .row import DemoRow
from .sampling import pick, sample_profile, sample_scores, sample_timestamp
from .text import compose_text
from .themes import SENTIMENT_WEIGHTS, choose_themes, incident_themes

MAX_REDRAWS = 25


@dataclass(frozen=True)
class _Draft:
    created: datetime
    profile: dict[str, str]
    text: str
    nps: int | None
    csat: int | None
    themes: tuple[str, ...]
    sentiment: str
    has_pii: bool
    incident: bool


def generate_rows(seed: int = DEFAULT_SEED, n: int = DEFAULT_N) -> list[DemoRow]:
    """Generate the corpus rows with their theme annotation.

    Args:
        seed: Seed of the single ``random.Random`` behind every choice.
        n: Number of rows.

    Returns:
        ``n`` rows sorted by ``created_at`` with ids ``demo-000001`` onwards.

    Raises:
        ValueError: If ``n`` is not positive.
    """
    if n < 1:
        raise ValueError(f"The 'n' parameter of generate_rows must be at least 1. Got {n}.")
    rng = random.Random(seed)
    books = {lang: load_phrasebook(lang) for lang in LANGUAGES}
    incidents = [(p, p.incident) for p in PLANTED if p.incident is not None]
    seen: set[str] = set()
    drafts: list[_Draft] = []
    for _ in range(n):
        report = next((pair for pair in incidents if rng.random() < pair[1].share), None)
        if report is None:
            profile = sample_profile(rng)
            created = sample_timestamp(rng)
            sentiment, themes = choose_themes(rng, pick(rng, SENTIMENT_WEIGHTS), profile)
        else:
            planted, incident = report
            profile = sample_profile(rng, {planted.attribute: planted.value})
            created = sample_timestamp(rng, incident)
            sentiment, themes = "negative", incident_themes(rng, planted, profile)
        for _attempt in range(MAX_REDRAWS):
            text, has_pii = compose_text(
                rng, books[profile["lang"]], sentiment, themes, profile["source"]
            )
            if text not in seen:
                break
        seen.add(text)
        nps, csat = sample_scores(rng, sentiment)
        drafts.append(
            _Draft(
                created, profile, text, nps, csat, themes, sentiment, has_pii, report is not None
            )
        )
    drafts.sort(key=lambda draft: draft.created)
    rows = [
        DemoRow(
            id=f"demo-{index:06d}",
            text=draft.text,
            source=draft.profile["source"],
            created_at=draft.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            nps=draft.nps,
            csat=draft.csat,
            plan=draft.profile["plan"],
            region=draft.profile["region"],
            channel=draft.profile["channel"],
            lang=draft.profile["lang"],
            themes=draft.themes,
            sentiment=draft.sentiment,
            has_pii=draft.has_pii,
            incident=draft.incident,
        )
        for index, draft in enumerate(drafts, start=1)
    ]
    return draw_outcomes(rows, seed)
