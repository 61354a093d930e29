"""``DemoRow``: one generated row, its CSV cells and the ground truth that stays out of the CSV."""

from __future__ import annotations

from dataclasses import dataclass

DETRACTOR_MAX_NPS = 6


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
