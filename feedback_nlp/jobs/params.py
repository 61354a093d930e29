"""Parameters of a mining job, checked before the job is queued.

JSON shape (every field optional)::

    {"source": "review", "segments": {"plan": "pro"},
     "from": "2024-01-01T00:00:00Z", "to": "2024-07-01T00:00:00Z",
     "seed": 0, "min_theme_size": null, "n_resamples": 3, "mode": "accurate"}

The window is read like every filter (:mod:`feedback_nlp.filters`): ``from``/``to`` or a
``period`` (stored as its ``from``/``to``); the deprecated ``created_from``/``created_to`` of
older jobs are still read.

``mode`` picks the embedder: ``accurate`` (``settings.models.embedder``, the default) or ``fast``
(``settings.models.fast_embedder``: static vectors, for very large corpora; no unit sentiment,
because the sentiment head reads the accurate model's vectors).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from feedback_nlp.constraints import Interval
from feedback_nlp.domain import SOURCES, FeedbackFilter
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.filters import DEPRECATED_ALIASES, Filters
from feedback_nlp.themes.cluster import MIN_THEME_SIZE

__all__ = ["MODES", "N_RESAMPLES", "SEED", "MineParams"]

_FIELDS = (
    "source",
    "segments",
    "from",
    "to",
    "period",
    *DEPRECATED_ALIASES,
    "seed",
    "min_theme_size",
    "n_resamples",
    "mode",
)
MODES = ("accurate", "fast")
#: A job's seed: a non-negative 32-bit signed int.
SEED = Interval("int", 0, 2**31 - 1)
#: Resampled re-clusterings behind each theme's confidence; each costs about one clustering.
N_RESAMPLES = Interval("int", 0, 20)
# min_theme_size: the clusterer's own bound (MIN_THEME_SIZE), so a job never passes what
# ThemeClusterer would refuse.


def _bad(field: str, expected: str, got: object) -> InvalidInputError:
    return InvalidInputError(
        f"The '{field}' parameter of a mine job must be {expected}. Got {got!r}. "
        "Fix the value or leave it out."
    )


def _int(field: str, value: object, constraint: Interval) -> Any:
    if not constraint.accepts(value):
        raise _bad(field, constraint.span(), value)
    return constraint.convert(value)


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
        window, _ = Filters.from_fields(params)  # old jobs' created_from/_to still load
        return cls(
            filters=FeedbackFilter(
                source=source,
                segments=tuple(sorted(segments.items())),
                start=window.start,
                end=window.end,
            ),
            seed=_int("seed", params.get("seed", 0), SEED),
            min_theme_size=_int("min_theme_size", size, MIN_THEME_SIZE),
            n_resamples=_int("n_resamples", params.get("n_resamples", 3), N_RESAMPLES),
            mode=str(mode),
        )

    def to_json(self) -> dict[str, Any]:
        """The parameters as JSON (what :meth:`from_json` reads back)."""
        f = self.filters
        return {
            "source": f.source,
            "segments": dict(f.segments),
            "from": None if f.start is None else f.start.isoformat(),
            "to": None if f.end is None else f.end.isoformat(),
            "seed": self.seed,
            "min_theme_size": self.min_theme_size,
            "n_resamples": self.n_resamples,
            "mode": self.mode,
        }
