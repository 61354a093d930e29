"""The filter query parameters, declared once: ``segment``, ``period``, ``from`` and ``to``.

Every route that filters feedback (``/v1/insights``, ``/v1/metrics``, ``/v1/feedback``, the
dashboard) takes these parameters, read by the library's one filter model
(:class:`feedback_nlp.filters.Filters`). ``GET /v1/feedback`` and its CSV export also read the
deprecated ``created_from``/``created_to`` until release
:data:`~feedback_nlp.filters.ALIASES_REMOVED_IN`; an answer to a request that used one carries
``Deprecation: true`` and the server logs a warning (``POST /v1/jobs`` does the same for its
body's ``filters``). A field given with its alias is a 422.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from feedback_nlp.filters import ALIASES_REMOVED_IN, DEPRECATED_ALIASES, Filters

__all__ = [
    "DEPRECATION_HEADER",
    "FiltersDep",
    "FromQuery",
    "ListingFiltersDep",
    "PeriodQuery",
    "SegmentQuery",
    "ToQuery",
    "WindowFiltersDep",
    "announce_deprecated",
    "deprecation_headers",
]

logger = logging.getLogger("feedback_nlp.api")
DEPRECATION_HEADER = "Deprecation"

SegmentQuery = Annotated[
    list[str] | None,
    Query(description="'key:value', repeatable; every pair must match (plan:enterprise)."),
]
PeriodQuery = Annotated[
    str | None,
    Query(description="Calendar window (UTC): 2026, 2026-09, 2026-W38 or 2026-09-21."),
]
FromQuery = Annotated[
    str | None,
    Query(alias="from", description="Items created at or after this ISO-8601 instant."),
]
ToQuery = Annotated[
    str | None, Query(alias="to", description="Items created before this ISO-8601 instant.")
]
CreatedFromQuery = Annotated[
    str | None,
    Query(
        deprecated=True,
        description=f"Deprecated alias of 'from' (removed in {ALIASES_REMOVED_IN}).",
    ),
]
CreatedToQuery = Annotated[
    str | None,
    Query(
        deprecated=True, description=f"Deprecated alias of 'to' (removed in {ALIASES_REMOVED_IN})."
    ),
]


def get_filters(
    segment: SegmentQuery = None,
    period: PeriodQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
) -> Filters:
    """The segment and time-window filters of the request (422 when one does not parse)."""
    return Filters.parse(segment=segment, period=period, start=start, end=end)


def get_window_filters(
    segment: SegmentQuery = None, start: FromQuery = None, end: ToQuery = None
) -> Filters:
    """The filters of a route whose ``period`` is a granularity: segment and ``from``/``to``."""
    return Filters.parse(segment=segment, start=start, end=end)


def get_listing_filters(
    request: Request,
    response: Response,
    segment: SegmentQuery = None,
    period: PeriodQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
    created_from: CreatedFromQuery = None,
    created_to: CreatedToQuery = None,
) -> Filters:
    """The filters of a listing, which still reads the deprecated ``created_from``/``created_to``.

    Raises:
        InvalidInputError: If a value does not parse, or a field is given with its alias (422).
    """
    fields = {"segment": segment, "period": period, "from": start, "to": end}
    filters, aliases = Filters.from_fields(
        fields | {"created_from": created_from, "created_to": created_to}
    )
    if aliases:
        announce_deprecated(request, response, aliases)
    return filters


def announce_deprecated(request: Request, response: Response, aliases: Sequence[str]) -> None:
    """Mark the answer ``Deprecation: true`` and log which deprecated spellings came in."""
    response.headers[DEPRECATION_HEADER] = "true"
    request.state.deprecated_spellings = tuple(aliases)
    logger.warning(
        "%s %s used the deprecated %s; use %s (the aliases go in release %s).",
        request.method,
        request.url.path,
        ", ".join(aliases),
        ", ".join(DEPRECATED_ALIASES[alias] for alias in aliases),
        ALIASES_REMOVED_IN,
    )


def deprecation_headers(request: Request) -> dict[str, str]:
    """The ``Deprecation`` header for a route that returns its own response (a CSV download)."""
    used = getattr(request.state, "deprecated_spellings", ())
    return {DEPRECATION_HEADER: "true"} if used else {}


FiltersDep = Annotated[Filters, Depends(get_filters)]
WindowFiltersDep = Annotated[Filters, Depends(get_window_filters)]
ListingFiltersDep = Annotated[Filters, Depends(get_listing_filters)]
