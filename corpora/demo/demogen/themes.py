"""The themes, their base rates, and the draw of a row's (or an incident report's) themes."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from .planted import PLANTED, PlantedComplaint
from .sampling import pick


@dataclass(frozen=True)
class Theme:
    """A recurring theme of the corpus.

    Attributes:
        id: Stable identifier, also the key in the phrase books.
        name: Human-readable English name.
        polarity: ``"negative"`` for complaints, ``"positive"`` for praise.
    """

    id: str
    name: str
    polarity: str


THEMES = (
    Theme("delivery_delay", "Delivery delays", "negative"),
    Theme("app_crash", "App crashes and bugs after updates", "negative"),
    Theme("billing_double_charge", "Double charges and slow refunds", "negative"),
    Theme("login_sso", "Login and SSO failures", "negative"),
    Theme("slow_support", "Slow support response", "negative"),
    Theme("price_too_high", "Price too high", "negative"),
    Theme("too_many_ads", "Too many ads in the free plan", "negative"),
    Theme("missing_feature", "Missing feature (export, dark mode, offline)", "negative"),
    Theme("product_quality", "Great product quality", "positive"),
    Theme("friendly_support", "Friendly, helpful support", "positive"),
)
THEME_IDS = tuple(theme.id for theme in THEMES)

# Complaint base rates. Planted themes are rare here; their segments make them common.
BASE_COMPLAINT_WEIGHTS = {
    "slow_support": 24.0,
    "price_too_high": 22.0,
    "missing_feature": 20.0,
    "delivery_delay": 2.0,
    "app_crash": 2.0,
    "billing_double_charge": 2.0,
    "login_sso": 2.0,
    "too_many_ads": 1.0,
}
PRAISE_WEIGHTS = {"product_quality": 60.0, "friendly_support": 40.0}
SENTIMENT_WEIGHTS = {"negative": 38, "mixed": 14, "positive": 48}
SECOND_COMPLAINT_RATE = 0.06
SECOND_PRAISE_RATE = 0.08
# Share of praise rows hit by a planted complaint that also get a base complaint.
CONVERTED_PAIR_RATE = 0.5


def choose_themes(
    rng: random.Random, sentiment: str, profile: Mapping[str, str]
) -> tuple[str, tuple[str, ...]]:
    """Choose the themes of one row, in the order the text will mention them.

    Every planted complaint whose segment matches the row fires with its own probability. A
    complaint that fires is added on top of the base draw, so the base themes keep the same
    per-row rate in every segment: praise turns into a complaint about the planted theme (half
    the time joined by a base complaint), a complaint gains the planted theme as a second theme,
    and a mixed row swaps its complaint.

    Args:
        rng: The generator's random source.
        sentiment: Drawn sentiment: ``negative``, ``mixed`` or ``positive``.
        profile: The row's segment columns.

    Returns:
        The final sentiment and one or two theme ids; a mixed row has one praise and one
        complaint.
    """
    fired = [
        planted.theme
        for planted in PLANTED
        if profile[planted.attribute] == planted.value and rng.random() < planted.probability
    ]
    rng.shuffle(fired)
    if sentiment == "positive":
        if fired and rng.random() < CONVERTED_PAIR_RATE:
            return "negative", (fired[0], pick(rng, BASE_COMPLAINT_WEIGHTS))
        if fired:
            return "negative", tuple(fired[:2])
        first = pick(rng, PRAISE_WEIGHTS)
        if rng.random() < SECOND_PRAISE_RATE:
            return sentiment, (first, *(theme for theme in PRAISE_WEIGHTS if theme != first))
        return sentiment, (first,)
    if sentiment == "mixed":
        complaint = fired[0] if fired else pick(rng, BASE_COMPLAINT_WEIGHTS)
        praise = pick(rng, PRAISE_WEIGHTS)
        return sentiment, (praise, complaint) if rng.random() < 0.6 else (complaint, praise)
    complaints = [pick(rng, BASE_COMPLAINT_WEIGHTS)]
    if rng.random() < SECOND_COMPLAINT_RATE:
        others = {k: w for k, w in BASE_COMPLAINT_WEIGHTS.items() if k != complaints[0]}
        complaints.append(pick(rng, others))
    if fired:
        complaints = [*fired, *(c for c in complaints if c not in fired)][:2]
        if rng.random() < 0.5:
            complaints.reverse()
    return sentiment, tuple(complaints)


def incident_themes(
    rng: random.Random, incident_of: PlantedComplaint, profile: Mapping[str, str]
) -> tuple[str, ...]:
    """Choose the themes of an incident report: the incident's complaint, maybe one more.

    The other planted complaints of the row's segments fire as on any row (so the segment
    effects hold among incident reports too) and are added as a second complaint; otherwise a
    base complaint is added at :data:`SECOND_COMPLAINT_RATE`.
    """
    others = [
        planted.theme
        for planted in PLANTED
        if planted is not incident_of
        and profile[planted.attribute] == planted.value
        and rng.random() < planted.probability
    ]
    if not others and rng.random() < SECOND_COMPLAINT_RATE:
        others = [
            pick(rng, {k: w for k, w in BASE_COMPLAINT_WEIGHTS.items() if k != incident_of.theme})
        ]
    themes = (incident_of.theme, *others[:1])
    return themes[::-1] if rng.random() < 0.5 else themes
