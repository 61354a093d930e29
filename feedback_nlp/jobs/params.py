"""Parameters of a mining job, checked before the job is queued.

JSON shape (every field optional)::

    {"source": "review", "segments": {"plan": "pro"},
     "created_from": "2024-01-01T00:00:00Z", "created_to": "2024-07-01T00:00:00Z",
     "seed": 0, "min_theme_size": null, "n_resamples": 3, "mode": "accurate"}

``mode`` picks the embedder: ``accurate`` (``settings.models.embedder``, the default) or ``fast``
(``settings.models.fast_embedder``: static vectors, for very large corpora; no unit sentiment,
because the sentiment head reads the accurate model's vectors).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from feedback_nlp.domain import SOURCES, FeedbackFilter
from feedback_nlp.errors import InvalidInputError

__all__ = ["MODES", "MineParams"]

_FIELDS = (
    "source",
    "segments",
    "created_from",
    "created_to",
    "seed",
    "min_theme_size",
    "n_resamples",
    "mode",
)
MODES = ("accurate", "fast")


def _bad(field: str, expected: str, got: object) -> InvalidInputError:
    return InvalidInputError(
        f"The '{field}' parameter of a mine job must be {expected}. Got {got!r}. "
        "Fix the value or leave it out."
    )


def _instant(field: str, value: object) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value)) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise _bad(field, "an ISO-8601 date-time", value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _int(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(field, f"an int in {low}..{high}", value)
    return value


@dataclass(frozen=True, slots=True)
class MineParams:
    """Which items to mine, and how.

    Attributes:
        filters: The items of the run (source, segments, time window).
        seed: Seed of every random step of the miner.
        min_theme_size: Smallest theme in units (``None``: the miner's automatic size).
        n_resamples: Resampled re-clusterings behind each theme's confidence (0: none).
        mode: ``accurate`` (the default embedder) or ``fast`` (the fast, static embedder).
    """

    filters: FeedbackFilter = field(default_factory=FeedbackFilter)
    seed: int = 0
    min_theme_size: int | None = None
    n_resamples: int = 3
    mode: str = "accurate"

    @classmethod
    def from_json(cls, params: Mapping[str, Any]) -> MineParams:
        """Check and read JSON parameters.

        Raises:
            InvalidInputError: If a field is unknown or a value is out of range.
        """
        unknown = sorted(set(params) - set(_FIELDS))
        if unknown:
            raise InvalidInputError(
                f"A mine job has no parameter {unknown[0]!r}. Known: {', '.join(_FIELDS)}."
            )
        source = params.get("source")
        if source is not None and source not in SOURCES:
            raise _bad("source", f"one of {', '.join(SOURCES)}", source)
        segments = params.get("segments") or {}
        if not isinstance(segments, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in segments.items()
        ):
            raise _bad("segments", "an object of strings to strings", segments)
        size = params.get("min_theme_size")
        mode = params.get("mode", "accurate")
        if mode not in MODES:
            raise _bad("mode", f"one of {', '.join(MODES)}", mode)
        return cls(
            filters=FeedbackFilter(
                source=source,
                segments=tuple(sorted(segments.items())),
                created_from=_instant("created_from", params.get("created_from")),
                created_to=_instant("created_to", params.get("created_to")),
            ),
            seed=_int("seed", params.get("seed", 0), 0, 2**31 - 1),
            min_theme_size=None if size is None else _int("min_theme_size", size, 2, 100_000),
            n_resamples=_int("n_resamples", params.get("n_resamples", 3), 0, 20),
            mode=str(mode),
        )

    def to_json(self) -> dict[str, Any]:
        """The parameters as JSON (what :meth:`from_json` reads back)."""
        f = self.filters
        return {
            "source": f.source,
            "segments": dict(f.segments),
            "created_from": None if f.created_from is None else f.created_from.isoformat(),
            "created_to": None if f.created_to is None else f.created_to.isoformat(),
            "seed": self.seed,
            "min_theme_size": self.min_theme_size,
            "n_resamples": self.n_resamples,
            "mode": self.mode,
        }
