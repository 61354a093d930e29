"""``GET /v1/insights/outcomes`` and ``rank_by`` on top-detractor-issues (issue 19).

Workspace 'acme' is tests/report/cx_data.py with its ``OUTCOMES`` (the numbers are worked out
there); 'other' has no outcome fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import assert_problem, bearer, make_settings
from fastapi.testclient import TestClient

from api.main import create_app
from feedback_nlp.store import open_store
from tests.report.cx_data import OUTCOMES, seed_other, seed_workspace


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str, str]]:
    """An app over 'acme' (with outcomes) and 'other' (without)."""
    store = open_store(database_url)
    try:
        seed_workspace(store, outcomes=OUTCOMES)
        seed_other(store)
        acme_key = store.create_api_key("acme")
        other_key = store.create_api_key("other")
    finally:
        store.close()
    settings = make_settings(tmp_path, database_url=database_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client, acme_key, other_key


def get(client: TestClient, key: str, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_outcomes_hand_computed(client: tuple[TestClient, str, str]) -> None:
    test_client, key, _ = client
    body = get(test_client, key, "/v1/insights/outcomes", by="plan", granularity="month")
    assert body["available"] is True
    assert body["fields"] == {
        "resolution": True,
        "first_response": False,
        "churn": True,
        "revenue": True,
    }
    assert body["currency"] == "USD"
    assert body["first_response"] is None
    effect = {row["theme_id"]: row for row in body["resolution"]["effect"]}
    assert effect["t1"]["label"] == "Late delivery"
    assert (effect["t1"]["median_mentioning"], effect["t1"]["median_other"]) == (570.0, 25.0)
    assert effect["t1"]["effect"] == 545.0
    assert [row["group"] for row in body["resolution"]["by_period"]] == ["2026-09", "2026-10"]
    assert {row["group"] for row in body["resolution"]["by_segment"]} == {
        "enterprise",
        "free",
        "pro",
    }
    lift = {row["theme_id"]: row for row in body["churn"]["by_theme"]}
    assert (lift["t1"]["churned"], lift["t1"]["n_customers"]) == (3, 4)
    assert lift["t1"]["lift"] == pytest.approx(3.0)
    assert body["churn"]["overall"]["churned"] == 4
    revenue = body["revenue"]
    assert revenue["total_at_risk"] == 1750.0
    assert [(r["theme_id"], r["revenue_at_risk"]) for r in revenue["by_theme"]] == [
        ("t1", 1700.0),
        ("t2", 500.0),
    ]


def test_outcomes_follow_the_filters(client: tuple[TestClient, str, str]) -> None:
    test_client, key, _ = client
    body = get(test_client, key, "/v1/insights/outcomes", segment="plan:enterprise")
    assert body["filters"]["segment"] == {"plan": "enterprise"}
    assert body["n_items"] == 3
    assert body["revenue"]["total_at_risk"] == 1700.0  # d, e, f


def test_outcomes_without_outcome_data_are_unavailable(
    client: tuple[TestClient, str, str],
) -> None:
    test_client, _, other_key = client
    body = get(test_client, other_key, "/v1/insights/outcomes")
    assert body["available"] is False
    assert body["resolution"] is None
    assert body["churn"] is None
    assert body["revenue"] is None


def test_top_issues_rank_by_outcomes(client: tuple[TestClient, str, str]) -> None:
    test_client, key, _ = client
    path = "/v1/insights/top-detractor-issues"
    by_revenue = get(test_client, key, path, rank_by="revenue_at_risk", min_detractors=1)
    assert by_revenue["rank_by"] == "revenue_at_risk"
    assert by_revenue["currency"] == "USD"
    assert [i["theme_id"] for i in by_revenue["issues"]] == ["t1", "t2"]
    assert by_revenue["issues"][0]["revenue_at_risk"] == 1700.0
    by_churn = get(test_client, key, path, rank_by="churn_lift", min_detractors=1)
    assert [i["theme_id"] for i in by_churn["issues"]] == ["t1"]
    assert by_churn["issues"][0]["churn_lift"] == pytest.approx(3.0)
    default = get(test_client, key, path)
    assert default["rank_by"] == "nps_impact"
    assert default["issues"][0]["rank_share_gap"] == 1
    response = test_client.get(path, params={"rank_by": "volume"}, headers=bearer(key))
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["query", "rank_by"]


def test_outcomes_bad_segment_is_422(client: tuple[TestClient, str, str]) -> None:
    test_client, key, _ = client
    response = test_client.get(
        "/v1/insights/outcomes", params={"by": "colour"}, headers=bearer(key)
    )
    assert "segment attributes" in assert_problem(response, 422)["detail"]
