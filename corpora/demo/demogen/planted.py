"""The planted ground truth: complaints over-represented in a segment, an incident, controls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


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
