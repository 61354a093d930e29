"""Records that repeat another record's fields keep its names and types."""

from __future__ import annotations

import typing
from dataclasses import fields

from feedback_nlp.domain import MinedTheme, ThemeRecord


def test_mined_theme_fields_are_theme_record_fields_of_the_same_type() -> None:
    mined = typing.get_type_hints(MinedTheme)
    stored = typing.get_type_hints(ThemeRecord)
    assert [f.name for f in fields(MinedTheme)] == [
        f.name for f in fields(ThemeRecord) if f.name in mined
    ]  # the same order too
    assert {name: stored[name] for name in mined} == mined
