"""Segment filters as people write them: ``key:value`` (``plan:enterprise``).

One parser for every place that takes them (the HTTP API's ``segment`` query parameter, the
report and analytics filters, ``feedback-nlp mine --segment``), so they accept and refuse the same
spellings with the same message.
"""

from __future__ import annotations

from feedback_nlp.errors import InvalidInputError

__all__ = ["parse_segment"]


def parse_segment(value: str) -> tuple[str, str]:
    """``"plan:enterprise"`` -> ``("plan", "enterprise")``; splits on the first ``:``.

    The key is stripped of surrounding spaces; the value is kept as written (it may hold ``:``).

    Raises:
        InvalidInputError: If there is no ``:``, or the key or the value is empty.
    """
    key, sep, wanted = value.partition(":")
    if not sep or not key.strip() or not wanted:
        raise InvalidInputError(
            f"A segment filter must be 'key:value' (plan:enterprise). Got {value!r}. "
            "Fix the value or drop the filter."
        )
    return key.strip(), wanted
