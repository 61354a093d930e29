"""Segment, time and score draws: the weights and the functions that draw them for a row."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from .corpus import END_DAY, START_DAY
from .planted import Incident

# Segments: the region, its language mix, plan, channel and a source that fits the channel.
REGION_WEIGHTS = {
    "north_america": 20,
    "europe": 16,
    "baltics": 16,
    "mena": 19,
    "israel": 16,
    "iran": 13,
}
LANG_BY_REGION = {
    "north_america": {"en": 90, "ar": 3, "he": 3, "fa": 4},
    "europe": {"en": 80, "lt": 8, "ar": 5, "fa": 4, "he": 3},
    "baltics": {"lt": 80, "en": 20},
    "mena": {"ar": 82, "en": 15, "fa": 3},
    "israel": {"he": 80, "en": 12, "ar": 8},
    "iran": {"fa": 88, "en": 12},
}
PLAN_WEIGHTS = {"free": 35, "pro": 45, "enterprise": 20}
CHANNEL_WEIGHTS = {"web": 36, "mobile_app": 34, "email": 17, "phone": 13}
SOURCE_BY_CHANNEL = {
    "web": {"survey": 45, "review": 15, "ticket": 25, "social": 15},
    "mobile_app": {"survey": 35, "review": 35, "ticket": 15, "social": 15},
    "email": {"survey": 40, "review": 10, "ticket": 50},
    "phone": {"survey": 40, "ticket": 60},
}

# Scores: NPS and CSAT given the sentiment; times: the hour of day (UTC).
NPS_WEIGHTS = {
    "negative": {0: 7, 1: 4, 2: 6, 3: 8, 4: 10, 5: 13, 6: 14, 7: 5, 8: 2},
    "mixed": {5: 5, 6: 12, 7: 35, 8: 38, 9: 10},
    "positive": {7: 3, 8: 12, 9: 35, 10: 50},
}
CSAT_WEIGHTS = {
    "negative": {1: 45, 2: 35, 3: 15, 4: 5},
    "mixed": {2: 15, 3: 50, 4: 35},
    "positive": {3: 5, 4: 35, 5: 60},
}
NPS_MISSING_RATE = 0.05
CSAT_PRESENT_RATE = 0.40
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 3, 2]


def pick(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    """Draw one key of ``weights`` with probability proportional to its weight."""
    keys = list(weights)
    return rng.choices(keys, weights=[weights[key] for key in keys])[0]


def sample_profile(rng: random.Random, fixed: Mapping[str, str] | None = None) -> dict[str, str]:
    """Draw the segment columns of one row: region, lang, plan, channel and source.

    Args:
        rng: The generator's random source.
        fixed: ``region``, ``plan`` or ``channel`` values to keep instead of drawing them; the
            language and the source are then drawn to fit them.
    """
    fixed = fixed or {}
    region = fixed.get("region") or pick(rng, REGION_WEIGHTS)
    channel = fixed.get("channel") or pick(rng, CHANNEL_WEIGHTS)
    plan = fixed.get("plan") or pick(rng, PLAN_WEIGHTS)
    return {
        "region": region,
        "lang": pick(rng, LANG_BY_REGION[region]),
        "plan": plan,
        "channel": channel,
        "source": pick(rng, SOURCE_BY_CHANNEL[channel]),
    }


def sample_timestamp(rng: random.Random, incident: Incident | None = None) -> datetime:
    """Draw a UTC time between :data:`START_DAY` and the end of :data:`END_DAY`.

    With ``incident``, the day is drawn from the incident's burst instead, at its decaying rate.
    """
    if incident is None:
        day = START_DAY + timedelta(days=rng.randrange((END_DAY - START_DAY).days + 1))
    else:
        offset = rng.choices(range(incident.days), weights=incident.day_weights())[0]
        day = incident.start + timedelta(days=offset)
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    return datetime(
        day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=UTC
    )


def sample_scores(rng: random.Random, sentiment: str) -> tuple[int | None, int | None]:
    """Draw ``(nps, csat)`` coherent with the sentiment; either may be missing."""
    nps: int | None = pick(rng, NPS_WEIGHTS[sentiment])
    if rng.random() < NPS_MISSING_RATE:
        nps = None
    csat: int | None = None
    if rng.random() < CSAT_PRESENT_RATE:
        csat = pick(rng, CSAT_WEIGHTS[sentiment])
    return nps, csat
