"""The demo's summary: 'showing K of N' under the theme table; one working demo key at a time."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console

from feedback_nlp.demo import read_demo_items
from feedback_nlp.demo_service import (
    DEMO_KEY_NAME,
    DEMO_WORKSPACE,
    revoke_earlier_demo_keys,
    themes_table,
)
from feedback_nlp.domain import ThemeRecord, is_pseudonym
from feedback_nlp.ingest.service import IngestService
from feedback_nlp.store import Store
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor


def _theme(
    index: int, size: int, *, level: int = 0, active: bool = True, general: bool = False
) -> ThemeRecord:
    return ThemeRecord(
        theme_id=f"{'p' if level else 't'}_{index:06d}",
        level=level,
        label={"en": f"label {index} [ray]"},
        custom_label=None,
        keyphrases={},
        quotes=[],
        languages={"en": size},
        parent_id=None,
        size=size,
        confidence=None,
        active=active,
        first_seen_run=1,
        last_seen_run=1,
        general=general,
    )


def _render(table: object) -> str:
    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(table)
    return " ".join(out.getvalue().split())  # a title wraps at the table's width


def test_demo_themes_table_says_showing_12_of_n() -> None:
    themes = [_theme(i, 100 - i) for i in range(20)]
    themes += [_theme(90, 5, active=False), _theme(1, 300, level=1)]  # neither is counted
    text = _render(themes_table(themes))
    assert "20 themes in the demo workspace: showing 12 of 20, largest first" in text
    assert "every theme: the dashboard (/ui) or GET /v1/themes" in text
    assert "t_000011" in text
    assert "t_000012" not in text
    assert "label 0 [ray]" in text  # labels are text, not Rich markup


def test_demo_themes_table_keeps_its_title_on_one_line_and_marks_general_themes() -> None:
    out = io.StringIO()
    table = themes_table([_theme(i, 100 - i, general=i == 1) for i in range(20)])
    Console(file=out, width=80, color_system=None).print(table)
    lines = out.getvalue().splitlines()
    assert "20 themes in the demo workspace: showing 12 of 20, largest first" in lines[0]
    general = [line for line in lines if "general sentiment" in line]
    assert len(general) == 1
    assert "t_000001" in general[0]


def test_demo_themes_table_without_a_cut_says_nothing_more() -> None:
    text = _render(themes_table([_theme(i, 10) for i in range(3)]))
    assert "3 themes in the demo workspace" in text
    assert "showing" not in text


def test_demo_keys_of_earlier_runs_are_revoked(store: Store) -> None:
    assert revoke_earlier_demo_keys(store) == 0
    first = store.create_api_key(DEMO_WORKSPACE, name=DEMO_KEY_NAME)
    mine = store.create_api_key(DEMO_WORKSPACE, name="mine")
    assert revoke_earlier_demo_keys(store) == 1
    assert store.authenticate(first) is None
    assert store.authenticate(mine) is not None  # a key someone made by hand stays


def test_demo_items_are_ingested_with_their_outcomes(store: Store) -> None:
    workspace = store.create_workspace(DEMO_WORKSPACE)
    service = IngestService(store, PiiRedactor(), LanguageIdentifier(), max_text_chars=20_000)
    items = read_demo_items()[:300]
    outcome = service.ingest(workspace.id, items)
    assert (outcome.created, outcome.errors) == (300, [])
    records = store.list_feedback(workspace.id, limit=300).items
    tickets = [r for r in records if r.source == "ticket"]
    assert tickets
    assert all(r.first_response_minutes is not None for r in tickets)
    assert all(r.resolution_minutes is None for r in records if r.source != "ticket")
    assert any(r.churned for r in records)
    assert any(r.churned is False for r in records)
    assert all(is_pseudonym(r.customer_id) for r in records if r.customer_id is not None)
    assert sum(r.revenue is not None for r in records) > 200
    assert service.ingest(workspace.id, items).unchanged == 300


def test_demo_themes_table_titles_themes_in_the_workspace_language() -> None:
    arabic = replace(
        _theme(7, 6),
        label={"ar": "تأخر التوصيل", "en": "late delivery"},
        languages={"ar": 5, "en": 1},
    )
    empty = replace(_theme(8, 4), label={"en": ""}, languages={"en": 4})
    text = _render(themes_table([_theme(0, 20), arabic, empty]))  # English: 25 of 30 units
    assert "late delivery" in text  # the workspace's language, not the theme's own (Arabic)
    assert "تأخر التوصيل" not in text
    assert "│ t_000008 │ 4 │ │" in text  # no label at all: an empty cell
