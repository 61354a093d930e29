"""Generate the bundled demo corpus: ``feedback.csv`` and ``MANIFEST.json``.

The corpus is synthetic customer feedback in English, Arabic, Hebrew, Persian and Lithuanian,
written for this project. Nothing is copied from a dataset: every sentence comes from the
hand-written phrase books in ``phrases/<lang>.json``, one file per language, so a native speaker
can review a language without reading any code.

How a row is made (all randomness comes from one ``random.Random(seed)``, so a seed and a row
count always give the same bytes):

1. **Profile.** Draw ``region``, then ``lang`` from that region's language mix (Lithuanian mostly
   from ``baltics``, Arabic from ``mena``, Hebrew from ``israel``, Persian from ``iran``, English
   everywhere), then ``plan``, ``channel`` and a ``source`` that fits the channel.
2. **Time.** Draw a day in 2026-05-01 .. 2026-10-31 and a daytime-weighted hour (UTC).
3. **Sentiment.** ``negative`` (one or two complaints), ``positive`` (one or two kinds of praise)
   or ``mixed`` (praise and a complaint joined by a contrastive connective such as "but").
4. **Themes.** Complaints and praise are drawn from base rates that are the same everywhere and
   in which planted themes are rare. Then every planted complaint whose segment matches the row
   fires with its own probability and is added on top: praise turns into that complaint, a
   complaint gains it as a second theme. So each planted theme dominates its segment's
   detractors (and lowers the segment's NPS), stays at a few percent elsewhere, and every other
   theme keeps the same per-row rate in every segment, which is what makes a control segment.
5. **Text.** Each theme picks one of its phrasings (and a filler such as "two weeks" for its
   slots); the clauses are joined by a language-specific template; an opener and a closer may be
   added (at most three sentences in all); about 3% get an emoji, about 2% a fake e-mail address
   at ``example.com`` or a fake phone number for the PII stage. A text already used is redrawn.
6. **Scores.** NPS follows the sentiment (complaints mostly 0-6, praise 9-10, mixed 7-8) and is
   left empty on about 5% of rows; CSAT (1-5) is present on about 40%.

**Incident reports.** A planted complaint may carry an :class:`Incident`, a bad release. Before
step 1, each row becomes an incident report with probability ``share``: its profile is drawn as
in step 1 but inside the complaint's segment, its day falls in the burst (``start`` to
``start + days - 1``) at a daily rate that halves every ``half_life_days`` as the fix reaches
users, and it is a complaint about the incident's theme (plus, at the usual rates, a planted
complaint of its other segments or a base complaint), written and scored as in steps 5-6. So a
release adds feedback, as a real one does, instead of relabelling the feedback of its weeks.

The demo's incident is the mobile release of 2026-09-21, which crashes on start: 3.5% of rows
(about 52 of 1,500) are ``app_crash`` reports from ``channel=mobile_app``, with a half-life of
3 days over 14 days, so about 83% of them come in the release week. Outside the incident, crash
complaints run at about 4 a week (the mobile planting fires on 20% of mobile rows); the release
week gets about 11 times that, and nearly twice the usual number of items, the week after about
3 times, and then the rate is back at its base. Crash-on-start makes the app unusable for
everyone who updates, so crash reports, not a modest rise, are what such a release produces.
With the reports, ``app_crash`` is about 40% of mobile detractors over the whole period, the
target every planted complaint has (``intended_share``). The manifest lists the incident's
weekly counts (the 4 weeks before, the burst's weeks and one more).

Rows are then sorted by ``created_at`` and numbered ``demo-000001`` onwards.

**Outcomes.** Last, :func:`draw_outcomes` gives the sorted rows their outcome columns
(``customer_id``, ``first_response_at``, ``resolved_at``, ``churned``, ``churned_at``,
``revenue``) from a second ``random.Random("outcomes-<seed>")``, so every other column is what it
was before outcomes existed. Planted: tickets about login and SSO take 3x as long to resolve,
price complaints churn 2.5x as often as the base rate, enterprise customers carry 20x the
revenue of pro ones; customers repeat, only tickets have times, churn is known on 70% of rows.
The manifest's ``outcomes`` entry records what the file shows. The theme labels
never reach the CSV; :func:`generate_rows` returns them on :class:`DemoRow` for tests and
evaluation, and ``MANIFEST.json`` records the planted complaints, the control segments, the
planted incident (under ``spikes``) and the shares and counts actually observed.

Usage::

    python corpora/demo/generate.py --seed 13 --n 1500 --out corpora/demo/feedback.csv

The script needs only the standard library.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import random
import string
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PHRASES_DIR = HERE / "phrases"
DEFAULT_SEED = 13
DEFAULT_N = 1500
CORPUS_NAME = "feedback_nlp demo corpus"
LICENSE = "Apache-2.0"

BASE_COLUMNS = (
    "id",
    "text",
    "source",
    "created_at",
    "nps",
    "csat",
    "plan",
    "region",
    "channel",
    "lang",
)
OUTCOME_COLUMNS = (
    "customer_id",
    "first_response_at",
    "resolved_at",
    "churned",
    "churned_at",
    "revenue",
)
COLUMNS = (*BASE_COLUMNS, *OUTCOME_COLUMNS)
LANGUAGES = ("en", "ar", "he", "fa", "lt")
START_DAY = date(2026, 5, 1)
END_DAY = date(2026, 10, 31)

# --- Segments --------------------------------------------------------------------------------

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

# --- Themes and scores -----------------------------------------------------------------------


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
DETRACTOR_MAX_NPS = 6

# --- Text decoration -------------------------------------------------------------------------

OPENER_RATE = 0.30
CLOSER_RATE = 0.40
EMPHATIC_RATE = 0.12
EMOJI_RATE = 0.03
PII_RATE = 0.02
CASUAL_RATE = 0.35  # share of English/Lithuanian social posts written in lower case
CASUAL_LANGS = frozenset({"en", "lt"})
MAX_SENTENCES = 3
MAX_REDRAWS = 25
EMOJI = {
    "negative": ("😡", "😤", "👎", "😞"),
    "mixed": ("🤷", "😐", "🙂"),
    "positive": ("👍", "😊", "🙏", "⭐⭐⭐⭐⭐", "❤️"),
}
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 3, 2]


# --- Planted ground truth --------------------------------------------------------------------


@dataclass(frozen=True)
class Incident:
    """A bad release: a burst of extra complaints about a planted theme right after it ships.

    A share of all rows are *incident reports* instead of ordinary feedback: they come from the
    planted complaint's segment and complain about its theme. Their days fall in
    ``start .. start + days - 1`` with a daily rate that halves every ``half_life_days`` (the
    fix rolls out and fewer users are hit), so nearly all of them come in the first week.

    Attributes:
        start: Release day (UTC), the first day of the burst.
        days: Length of the burst in days.
        half_life_days: Days in which the daily rate of reports halves.
        share: Share of all rows that are incident reports.
        story: What happened, in one line, for the manifest.
    """

    start: date
    days: int
    half_life_days: float
    share: float
    story: str

    @property
    def end(self) -> date:
        """Last day (UTC) of the burst."""
        return self.start + timedelta(days=self.days - 1)

    def day_weights(self) -> list[float]:
        """Relative report rate on each day of the burst, from ``start`` on."""
        return [0.5 ** (offset / self.half_life_days) for offset in range(self.days)]


@dataclass(frozen=True)
class PlantedComplaint:
    """A complaint strongly over-represented in one segment and rare elsewhere.

    Attributes:
        attribute: Segment column (``plan``, ``region`` or ``channel``).
        value: Segment value, for example ``"enterprise"``.
        theme: Theme id planted in that segment.
        probability: Chance that the complaint fires on a row of the segment.
        intended_share: Target share of the segment's detractor rows that carry the theme.
        incident: Optional burst of extra reports of the complaint (a bad release).
    """

    attribute: str
    value: str
    theme: str
    probability: float
    intended_share: float
    incident: Incident | None = None


PLANTED = (
    PlantedComplaint("plan", "enterprise", "login_sso", 0.28, 0.40),
    PlantedComplaint("region", "mena", "delivery_delay", 0.28, 0.40),
    PlantedComplaint(
        "channel",
        "mobile_app",
        "app_crash",
        0.20,
        0.40,
        Incident(
            date(2026, 9, 21),
            days=14,
            half_life_days=3.0,
            share=0.035,
            story=(
                "mobile app release of 2026-09-21 crashes on start; crash reports flood in "
                "until the fix reaches most users"
            ),
        ),
    ),
    PlantedComplaint("plan", "free", "too_many_ads", 0.28, 0.40),
    PlantedComplaint("region", "baltics", "billing_double_charge", 0.28, 0.40),
)
CONTROL_SEGMENTS = (("plan", "pro"), ("region", "north_america"))
# A control has no planted complaint. Its complaints follow the base rates, so against the rest
# (which planted complaints dilute) each complaint's lift stays near 1 and below this bound.
CONTROL_MAX_LIFT = 2.0
ELSEWHERE_MAX_SHARE = 0.05
# Weeks before an incident that the manifest lists as its baseline (the trend rule's window).
SPIKE_BASELINE_WEEKS = 4


# --- Phrase books ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PhraseBook:
    """The hand-written phrases of one language, loaded from ``phrases/<lang>.json``.

    Attributes:
        lang: ISO 639-1 code.
        themes: Theme id to clause phrasings (no final punctuation, lower-case start).
        fillers: Slot name to pre-inflected fillers, for ``{slot}`` in a clause.
        openers: Sentiment to stand-alone opening sentences.
        closers: Sentiment to stand-alone closing sentences.
        joins: Template kind to templates over ``{a}`` and ``{b}``.
        pii: Sentences with an ``{email}`` or ``{phone}`` slot.
        emails: Fake addresses at ``example.com``.
        phones: Fake phone numbers.
        keywords: Theme id to a few words that mark the theme in this language.
    """

    lang: str
    themes: Mapping[str, Sequence[str]]
    fillers: Mapping[str, Sequence[str]]
    openers: Mapping[str, Sequence[str]]
    closers: Mapping[str, Sequence[str]]
    joins: Mapping[str, Sequence[str]]
    pii: Sequence[str]
    emails: Sequence[str]
    phones: Sequence[str]
    keywords: Mapping[str, Sequence[str]]


MIN_PHRASINGS = 6
JOIN_KINDS = ("single", "emphatic", "contrast", "addition", "praise_addition")
SENTIMENTS = ("negative", "mixed", "positive")


def load_phrasebook(lang: str, directory: Path = PHRASES_DIR) -> PhraseBook:
    """Load and check the phrase book of one language.

    Args:
        lang: ISO 639-1 code, one of :data:`LANGUAGES`.
        directory: Folder holding ``<lang>.json``.

    Returns:
        The phrase book.

    Raises:
        ValueError: If a theme, join kind or sentiment is missing, a theme has fewer than
            :data:`MIN_PHRASINGS` phrasings, or a clause uses a slot with no fillers.
    """
    path = directory / f"{lang}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    book = PhraseBook(
        lang=data["lang"],
        themes=data["themes"],
        fillers=data["fillers"],
        openers=data["openers"],
        closers=data["closers"],
        joins=data["joins"],
        pii=data["pii"],
        emails=data["emails"],
        phones=data["phones"],
        keywords=data["keywords"],
    )
    _check_phrasebook(book, path)
    return book


def _check_phrasebook(book: PhraseBook, path: Path) -> None:
    problems: list[str] = []
    for theme_id in THEME_IDS:
        phrasings = book.themes.get(theme_id, ())
        if len(phrasings) < MIN_PHRASINGS:
            problems.append(f"theme '{theme_id}' has {len(phrasings)} phrasings")
        if not book.keywords.get(theme_id):
            problems.append(f"theme '{theme_id}' has no keywords")
        for clause in phrasings:
            missing = set(slot_names(clause)) - set(book.fillers)
            if missing:
                problems.append(f"clause {clause!r} uses slots {sorted(missing)} with no fillers")
    problems += [f"join kind '{kind}' is missing" for kind in JOIN_KINDS if kind not in book.joins]
    for sentiment in SENTIMENTS:
        if not book.openers.get(sentiment) or not book.closers.get(sentiment):
            problems.append(f"openers or closers for '{sentiment}' are missing")
    if problems:
        raise ValueError(f"The phrase book {path} is incomplete: {'; '.join(problems)}.")


def slot_names(template: str) -> list[str]:
    """Return the ``{slot}`` names used in ``template``."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


# --- Rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoRow:
    """One feedback row with the generator's ground truth.

    The first ten fields and the outcome fields at the end are the CSV columns; ``themes``,
    ``sentiment``, ``has_pii`` and ``incident`` (an incident report, see :class:`Incident`) are
    the annotation that stays out of the CSV. The outcome fields are ``None`` (an empty cell)
    when the row has no such outcome (see :func:`draw_outcomes`).
    """

    id: str
    text: str
    source: str
    created_at: str
    nps: int | None
    csat: int | None
    plan: str
    region: str
    channel: str
    lang: str
    themes: tuple[str, ...]
    sentiment: str
    has_pii: bool
    incident: bool
    customer_id: str | None = None
    first_response_at: str | None = None
    resolved_at: str | None = None
    churned: bool | None = None
    churned_at: str | None = None
    revenue: float | None = None

    @property
    def is_detractor(self) -> bool:
        """Whether the row has an NPS score of 0-6."""
        return self.nps is not None and self.nps <= DETRACTOR_MAX_NPS

    def segment(self, attribute: str) -> str:
        """Return the value of a segment column (``plan``, ``region``, ``channel``, ...)."""
        value = getattr(self, attribute)
        if not isinstance(value, str):
            raise ValueError(f"'{attribute}' is not a segment column of DemoRow.")
        return value

    def csv_values(self) -> list[str]:
        """Return the CSV cells in :data:`COLUMNS` order; a missing score is an empty cell."""
        return [
            self.id,
            self.text,
            self.source,
            self.created_at,
            "" if self.nps is None else str(self.nps),
            "" if self.csat is None else str(self.csat),
            self.plan,
            self.region,
            self.channel,
            self.lang,
            self.customer_id or "",
            self.first_response_at or "",
            self.resolved_at or "",
            "" if self.churned is None else str(self.churned).lower(),
            self.churned_at or "",
            "" if self.revenue is None else f"{self.revenue:.2f}",
        ]


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


def sample_scores(rng: random.Random, sentiment: str) -> tuple[int | None, int | None]:
    """Draw ``(nps, csat)`` coherent with the sentiment; either may be missing."""
    nps: int | None = pick(rng, NPS_WEIGHTS[sentiment])
    if rng.random() < NPS_MISSING_RATE:
        nps = None
    csat: int | None = None
    if rng.random() < CSAT_PRESENT_RATE:
        csat = pick(rng, CSAT_WEIGHTS[sentiment])
    return nps, csat


def render_clause(rng: random.Random, book: PhraseBook, theme: str) -> str:
    """Pick a phrasing of ``theme`` and fill its slots."""
    clause = rng.choice(book.themes[theme])
    values = {name: rng.choice(book.fillers[name]) for name in slot_names(clause)}
    return clause.format(**values)


def capitalize_first(text: str) -> str:
    """Upper-case the first character; scripts without case are left as they are."""
    return text[:1].upper() + text[1:]


def compose_body(
    rng: random.Random, book: PhraseBook, sentiment: str, themes: Sequence[str]
) -> tuple[str, int]:
    """Write the sentences that carry the themes.

    Returns:
        The text and how many sentences it has.
    """
    clauses = [render_clause(rng, book, theme) for theme in themes]
    if len(clauses) == 1:
        kind = "emphatic" if sentiment != "mixed" and rng.random() < EMPHATIC_RATE else "single"
    elif sentiment == "mixed":
        kind = "contrast"
    else:
        kind = "addition" if sentiment == "negative" else "praise_addition"
    template = rng.choice(book.joins[kind])
    body = template.format(a=clauses[0], b=clauses[1] if len(clauses) > 1 else "")
    return capitalize_first(body), 1 + template.count(". ")


def compose_text(
    rng: random.Random, book: PhraseBook, sentiment: str, themes: Sequence[str], source: str
) -> tuple[str, bool]:
    """Write one feedback text: body, optional opener, closer, PII sentence and emoji.

    Returns:
        The text and whether it contains a planted e-mail address or phone number.
    """
    body, n_sentences = compose_body(rng, book, sentiment, themes)
    opener = rng.choice(book.openers[sentiment]) if rng.random() < OPENER_RATE else None
    closer = rng.choice(book.closers[sentiment]) if rng.random() < CLOSER_RATE else None
    pii = None
    if rng.random() < PII_RATE:
        template = rng.choice(book.pii)
        pii = template.format(email=rng.choice(book.emails), phone=rng.choice(book.phones))
    room = MAX_SENTENCES - n_sentences - (pii is not None)
    if room < 2 and opener is not None and closer is not None:
        opener = None
    if room < 1:
        opener = closer = None
    text = " ".join(part for part in (opener, body, pii, closer) if part is not None)
    if rng.random() < EMOJI_RATE:
        text = f"{text} {rng.choice(EMOJI[sentiment])}"
    if book.lang in CASUAL_LANGS and source == "social" and rng.random() < CASUAL_RATE:
        text = text.lower().removesuffix(".")
    return text, pii is not None


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


# --- Outcomes --------------------------------------------------------------------------------

OUTCOME_STREAM = "outcomes"
"""Outcomes come from ``random.Random(f"{OUTCOME_STREAM}-{seed}")``, a stream of their own, so
the other columns are the bytes they were before outcomes existed."""
REPEAT_CUSTOMER = 0.45  # a row is from a customer seen before (same plan and region)
ANONYMOUS = 0.12  # a row has no customer id (and so no revenue)
CHURN_KNOWN = 0.70  # a row's churn is known
CHURN_BASE = 0.08  # churn within 90 days of the feedback, per known row
CHURN_PRICE_LIFT = 2.5  # ... times this when the row complains about the price
CHURN_DAYS = 90
REVENUE_MEDIAN = {"free": 60.0, "pro": 1_200.0, "enterprise": 24_000.0}  # lifetime value
REVENUE_SIGMA = 0.6
FIRST_RESPONSE_MEDIAN_MIN = 45.0
RESOLUTION_MEDIAN_MIN = 480.0
SSO_RESOLUTION_FACTOR = 3.0  # login_sso tickets take this much longer to resolve
DURATION_SIGMA = 0.7
UNRESOLVED = 0.10  # tickets still open: a first response, no resolution


def _stamp(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def draw_outcomes(rows: Sequence[DemoRow], seed: int) -> list[DemoRow]:
    """The rows with outcome fields, drawn from their own random stream (planted effects).

    * **Customers.** ``customer_id`` (``cust-00001`` ...) is missing on 12% of rows; otherwise
      45% of rows come from a customer seen before with the same plan and region, so customers
      repeat. ``revenue`` is the customer's lifetime value (the same on each of their rows):
      lognormal with medians 60 (free), 1,200 (pro) and 24,000 (enterprise) in the workspace's
      currency; enterprise customers carry far more revenue.
    * **Times.** Only tickets have them: ``first_response_at`` about 45 minutes after
      ``created_at`` (median), ``resolved_at`` about 8 hours after (median; 10% of tickets are
      still open). **Tickets about login and SSO take 3x as long to resolve** (median about 24
      hours). Surveys, reviews and social posts have neither.
    * **Churn.** Known on 70% of rows: ``churned`` is whether the customer left within 90 days
      of the feedback (``churned_at`` then falls in those days), 8% of rows, and **2.5x that
      (20%) for rows that complain about the price** (``price_too_high``).
    """
    rng = random.Random(f"{OUTCOME_STREAM}-{seed}")
    customers: dict[tuple[str, str], list[tuple[str, float]]] = {}
    count = 0
    out: list[DemoRow] = []
    for row in rows:
        created = datetime.strptime(row.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        customer: tuple[str, float] | None = None
        if rng.random() >= ANONYMOUS:
            pool = customers.setdefault((row.plan, row.region), [])
            if pool and rng.random() < REPEAT_CUSTOMER:
                customer = rng.choice(pool)
            else:
                count += 1
                value = rng.lognormvariate(math.log(REVENUE_MEDIAN[row.plan]), REVENUE_SIGMA)
                customer = (f"cust-{count:05d}", round(value, 2))
                pool.append(customer)
        first = resolved = None
        if row.source == "ticket":
            minutes = rng.lognormvariate(math.log(FIRST_RESPONSE_MEDIAN_MIN), DURATION_SIGMA)
            first = created + timedelta(minutes=minutes)
            if rng.random() >= UNRESOLVED:
                factor = SSO_RESOLUTION_FACTOR if "login_sso" in row.themes else 1.0
                median = math.log(RESOLUTION_MEDIAN_MIN * factor)
                resolved = first + timedelta(minutes=rng.lognormvariate(median, DURATION_SIGMA))
        churned = churned_at = None
        if rng.random() < CHURN_KNOWN:
            rate = CHURN_BASE * (CHURN_PRICE_LIFT if "price_too_high" in row.themes else 1.0)
            churned = rng.random() < rate
            if churned:
                churned_at = _stamp(created + timedelta(days=rng.uniform(1, CHURN_DAYS)))
        out.append(
            replace(
                row,
                customer_id=None if customer is None else customer[0],
                revenue=None if customer is None else customer[1],
                first_response_at=None if first is None else _stamp(first),
                resolved_at=None if resolved is None else _stamp(resolved),
                churned=churned,
                churned_at=churned_at,
            )
        )
    return out


def _median(values: Sequence[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _minutes_between(start: str, end: str) -> float:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (datetime.strptime(end, fmt) - datetime.strptime(start, fmt)).total_seconds() / 60


def _churn_rate(rows: Iterable[DemoRow]) -> float | None:
    known = [row.churned for row in rows if row.churned is not None]
    return round(sum(known) / len(known), 4) if known else None


def _outcomes_entry(rows: Sequence[DemoRow]) -> dict[str, Any]:
    """The planted outcome effects as observed in the rows (for the manifest)."""

    def resolution(keep: Callable[[DemoRow], bool]) -> float | None:
        found = _median(
            [
                _minutes_between(row.created_at, row.resolved_at)
                for row in rows
                if row.resolved_at is not None and keep(row)
            ]
        )
        return None if found is None else round(found, 1)

    sso = resolution(lambda row: "login_sso" in row.themes)
    other = resolution(lambda row: "login_sso" not in row.themes)
    price = _churn_rate(row for row in rows if "price_too_high" in row.themes)
    base = _churn_rate(row for row in rows if "price_too_high" not in row.themes)
    per_customer = Counter(row.customer_id for row in rows if row.customer_id is not None)
    revenue: dict[str, float | None] = {}
    for plan in PLAN_WEIGHTS:
        values = {row.customer_id: row.revenue for row in rows if row.plan == plan}
        found = _median([v for k, v in values.items() if k is not None and v is not None])
        revenue[plan] = None if found is None else round(found, 2)
    return {
        "stream": f'random.Random("{OUTCOME_STREAM}-<seed>")',
        "rows_with_customer": sum(row.customer_id is not None for row in rows),
        "customers": len(per_customer),
        "customers_on_several_rows": sum(n > 1 for n in per_customer.values()),
        "rows_with_first_response": sum(row.first_response_at is not None for row in rows),
        "rows_with_resolution": sum(row.resolved_at is not None for row in rows),
        "rows_with_churn_known": sum(row.churned is not None for row in rows),
        "rows_churned": sum(bool(row.churned) for row in rows),
        "planted": {
            "login_sso_resolution": {
                "intended_factor": SSO_RESOLUTION_FACTOR,
                "median_minutes_login_sso": sso,
                "median_minutes_other": other,
                "observed_factor": None if not sso or not other else round(sso / other, 2),
            },
            "price_too_high_churn": {
                "intended_lift": CHURN_PRICE_LIFT,
                "churn_rate_price_too_high": price,
                "churn_rate_other": base,
                "observed_lift": None if not price or not base else round(price / base, 2),
            },
            "revenue_median_by_plan": revenue,
        },
    }


# --- Ground-truth statistics -----------------------------------------------------------------


def detractor_share(rows: Iterable[DemoRow], theme: str, keep: Callable[[DemoRow], bool]) -> float:
    """Share of detractor rows selected by ``keep`` whose themes include ``theme``.

    Args:
        rows: Annotated rows.
        theme: Theme id.
        keep: Selects the rows of a segment, for example ``lambda r: r.plan == "free"``.

    Returns:
        The share in [0, 1], or 0.0 when the selection has no detractors.
    """
    selected = [row for row in rows if row.is_detractor and keep(row)]
    if not selected:
        return 0.0
    return sum(theme in row.themes for row in selected) / len(selected)


def _in_segment(attribute: str, value: str) -> Callable[[DemoRow], bool]:
    return lambda row: row.segment(attribute) == value


def _outside_segment(attribute: str, value: str) -> Callable[[DemoRow], bool]:
    return lambda row: row.segment(attribute) != value


def _on_or_after(day: date) -> Callable[[DemoRow], bool]:
    return lambda row: row.created_at[:10] >= day.isoformat()


def _before(day: date) -> Callable[[DemoRow], bool]:
    return lambda row: row.created_at[:10] < day.isoformat()


def _planted_entry(rows: Sequence[DemoRow], planted: PlantedComplaint) -> dict[str, Any]:
    inside = _in_segment(planted.attribute, planted.value)
    return {
        "attribute": planted.attribute,
        "value": planted.value,
        "theme": planted.theme,
        "intended_share": planted.intended_share,
        "elsewhere_max_share": ELSEWHERE_MAX_SHARE,
        "observed_share": round(detractor_share(rows, planted.theme, inside), 3),
        "observed_share_elsewhere": round(
            detractor_share(
                rows, planted.theme, _outside_segment(planted.attribute, planted.value)
            ),
            3,
        ),
        "segment_detractors": sum(row.is_detractor and inside(row) for row in rows),
    }


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _spike_entry(
    rows: Sequence[DemoRow], planted: PlantedComplaint, incident: Incident
) -> dict[str, Any]:
    inside = _in_segment(planted.attribute, planted.value)
    after = _on_or_after(incident.start)
    before = _before(incident.start)

    def during(row: DemoRow) -> bool:
        return after(row) and _before(incident.end + timedelta(days=1))(row)

    weekly: Counter[date] = Counter()
    weekly_items: Counter[date] = Counter()
    for row in rows:
        week = _week_start(date.fromisoformat(row.created_at[:10]))
        weekly_items[week] += 1
        weekly[week] += planted.theme in row.themes
    first = _week_start(incident.start)
    baseline_weeks = [first - timedelta(weeks=k) for k in range(SPIKE_BASELINE_WEEKS, 0, -1)]
    # The burst's weeks and one more, where the rate is back at its base.
    n_weeks = (_week_start(incident.end) - first).days // 7 + 2
    burst_weeks = [first + timedelta(weeks=k) for k in range(n_weeks)]
    return {
        "theme": planted.theme,
        "attribute": planted.attribute,
        "value": planted.value,
        "start": incident.start.isoformat(),
        "end": incident.end.isoformat(),
        "story": incident.story,
        "report_share": incident.share,
        "half_life_days": incident.half_life_days,
        "probability": planted.probability,
        "reports": sum(row.incident for row in rows),
        "weekly_mentions": {
            week.isoformat(): {"items": weekly_items[week], "mentions": weekly[week]}
            for week in [*baseline_weeks, *burst_weeks]
        },
        "observed_share_before": round(
            detractor_share(rows, planted.theme, lambda r: inside(r) and before(r)), 3
        ),
        "observed_share_after": round(
            detractor_share(rows, planted.theme, lambda r: inside(r) and after(r)), 3
        ),
        "observed_share_during": round(
            detractor_share(rows, planted.theme, lambda r: inside(r) and during(r)), 3
        ),
        "observed_share_before_all_segments": round(
            detractor_share(rows, planted.theme, before), 3
        ),
        "observed_share_after_all_segments": round(detractor_share(rows, planted.theme, after), 3),
    }


def _control_entry(rows: Sequence[DemoRow], attribute: str, value: str) -> dict[str, Any]:
    inside = _in_segment(attribute, value)
    outside = _outside_segment(attribute, value)
    themes = {}
    for theme in THEMES:
        if theme.polarity != "negative":
            continue
        share = detractor_share(rows, theme.id, inside)
        rest = detractor_share(rows, theme.id, outside)
        themes[theme.id] = {
            "observed_share": round(share, 3),
            "observed_share_elsewhere": round(rest, 3),
            "lift": round(share / rest, 2) if rest else None,
        }
    return {
        "attribute": attribute,
        "value": value,
        "planted_theme": None,
        "max_complaint_lift": CONTROL_MAX_LIFT,
        "complaints": themes,
    }


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


# --- Files -----------------------------------------------------------------------------------


def render_csv(rows: Iterable[DemoRow]) -> bytes:
    """Render rows as UTF-8 CSV bytes with LF line endings and a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(row.csv_values() for row in rows)
    return buffer.getvalue().encode("utf-8")


def build_manifest(
    rows: Sequence[DemoRow], csv_bytes: bytes, csv_name: str, seed: int
) -> dict[str, Any]:
    """Describe the corpus file, its themes and its planted ground truth.

    Args:
        rows: The annotated rows written to the CSV.
        csv_bytes: The CSV file's bytes, for the checksum.
        csv_name: The CSV file's name.
        seed: The seed used.

    Returns:
        A JSON-ready mapping.
    """
    books = {lang: load_phrasebook(lang) for lang in LANGUAGES}
    created = [row.created_at for row in rows]
    phrase_files = {
        lang: {
            "path": f"phrases/{lang}.json",
            "sha256": hashlib.sha256((PHRASES_DIR / f"{lang}.json").read_bytes()).hexdigest(),
        }
        for lang in LANGUAGES
    }
    return {
        "name": CORPUS_NAME,
        "license": LICENSE,
        "file": csv_name,
        "sha256": hashlib.sha256(csv_bytes).hexdigest(),
        "encoding": "utf-8",
        "rows": len(rows),
        "columns": list(COLUMNS),
        "generator": {
            "script": "corpora/demo/generate.py",
            "command": f"python corpora/demo/generate.py --seed {seed} --n {len(rows)}",
            "seed": seed,
            "n": len(rows),
            "phrase_books": phrase_files,
        },
        "languages": {lang: sum(row.lang == lang for row in rows) for lang in LANGUAGES},
        "date_range": {
            "start": f"{START_DAY.isoformat()}T00:00:00Z",
            "end": f"{END_DAY.isoformat()}T23:59:59Z",
            "first_created_at": min(created),
            "last_created_at": max(created),
        },
        "scores": {
            "nps_missing": sum(row.nps is None for row in rows),
            "csat_present": sum(row.csat is not None for row in rows),
            "detractors": sum(row.is_detractor for row in rows),
            "detractor_definition": f"nps 0-{DETRACTOR_MAX_NPS}",
        },
        "segments": {
            attribute: _counts(row.segment(attribute) for row in rows)
            for attribute in ("source", "plan", "region", "channel")
        },
        "themes": [
            {
                "id": theme.id,
                "name": theme.name,
                "polarity": theme.polarity,
                "keywords": {lang: list(books[lang].keywords[theme.id]) for lang in LANGUAGES},
                "rows": sum(theme.id in row.themes for row in rows),
            }
            for theme in THEMES
        ],
        "share_definition": (
            "share of a segment's detractor rows (nps 0-6) whose generator themes include the "
            "theme; 'elsewhere' is every detractor row outside the segment"
        ),
        "planted": [_planted_entry(rows, planted) for planted in PLANTED],
        "control_segments": [_control_entry(rows, *segment) for segment in CONTROL_SEGMENTS],
        "spikes": [
            _spike_entry(rows, planted, planted.incident)
            for planted in PLANTED
            if planted.incident is not None
        ],
        "outcomes": _outcomes_entry(rows),
        "pii_rows": sum(row.has_pii for row in rows),
        "mixed_rows": sum(row.sentiment == "mixed" for row in rows),
    }


def write_corpus(seed: int, n: int, out: Path, manifest_path: Path) -> list[DemoRow]:
    """Generate the rows and write the CSV and its manifest.

    Args:
        seed: Random seed.
        n: Number of rows.
        out: CSV path.
        manifest_path: Manifest path.

    Returns:
        The annotated rows that were written.
    """
    rows = generate_rows(seed, n)
    csv_bytes = render_csv(rows)
    manifest = build_manifest(rows, csv_bytes, out.name, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(csv_bytes)
    manifest_text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    manifest_path.write_bytes(manifest_text.encode("utf-8"))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description="Generate the feedback_nlp demo corpus.")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--n", type=int, default=DEFAULT_N, help="number of rows")
    parser.add_argument("--out", type=Path, default=HERE / "feedback.csv", help="CSV path")
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="manifest path (default: MANIFEST.json by --out)",
    )
    args = parser.parse_args(argv)
    manifest_path = args.manifest or args.out.with_name("MANIFEST.json")
    rows = write_corpus(args.seed, args.n, args.out, manifest_path)
    languages = ", ".join(
        f"{lang} {count}" for lang, count in _counts(r.lang for r in rows).items()
    )
    print(f"Wrote {len(rows)} rows to {args.out} ({languages}) and {manifest_path}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
