"""``/v1/metrics`` and ``/v1/insights`` over a tiny stored workspace (tests/report/cx_data.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import assert_problem, bearer, make_settings
from fastapi.testclient import TestClient

from api.main import create_app
from feedback_nlp.store import open_store
from tests.report.cx_data import seed_other, seed_workspace


@pytest.fixture
def client(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str, str]]:
    """An app over a database holding workspaces 'acme' (mined by hand) and 'other'."""
    store = open_store(database_url)
    try:
        seed_workspace(store)
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


def test_metrics_nps_by_plan_has_estimates_per_group(client: tuple[TestClient, str, str]) -> None:
    test_client, key, _ = client
    body = get(test_client, key, "/v1/metrics/nps", by="plan")
    assert body["metric"] == "nps"
    overall = body["overall"]["estimate"]
    assert overall["value"] == pytest.approx(0.0)
    assert (overall["ci_low"], overall["ci_high"]) == pytest.approx((-53.676, 53.676), abs=1e-3)
    assert (overall["n"], overall["n_missing"]) == (7, 1)
    groups = {g["group"]: g for g in body["groups"]}
    assert list(groups) == ["enterprise", "free", "pro"]
    assert groups["enterprise"]["estimate"]["value"] == pytest.approx(-100.0)
    assert groups["enterprise"]["detractors"] == 3
    assert groups["pro"]["estimate"]["value"] == pytest.approx(200 / 3)
    assert groups["free"]["estimate"]["n_missing"] == 1


def test_metrics_by_pair_theme_and_month(client: tuple[TestClient, str, str]) -> None:
    test_client, key, _ = client
    pairs = get(test_client, key, "/v1/metrics/nps", by="plan,region")
    assert [g["group"] for g in pairs["groups"]] == [
        "enterprise|eu",
        "enterprise|us",
        "free|us",
        "pro|eu",
        "pro|us",
    ]
    themes = get(test_client, key, "/v1/metrics/nps", by="theme")
    by_theme = {g["group"]: g for g in themes["groups"]}
    assert by_theme["t1"]["label"] == "Late delivery"
    assert by_theme["t1"]["estimate"]["value"] == pytest.approx(-100.0)
    assert by_theme["t1"]["estimate"]["n_missing"] == 1  # item g mentions t1 without an NPS
    months = get(test_client, key, "/v1/metrics/scores", by="month")
    assert [g["group"] for g in months["groups"]] == ["2026-09", "2026-10"]
    assert months["groups"][1]["nps"]["value"] == pytest.approx(100.0)


def test_metrics_csat_and_ces(client: tuple[TestClient, str, str]) -> None:
    test_client, key, _ = client
    csat = get(test_client, key, "/v1/metrics/csat")
    assert csat["overall"]["estimate"]["value"] == pytest.approx(50.0)
    assert csat["overall"]["estimate"]["method"] == "wilson"
    assert csat["overall"]["mean"]["value"] == pytest.approx(20 / 6)
    ces = get(test_client, key, "/v1/metrics/ces", segment="plan:enterprise")
    assert ces["overall"]["estimate"]["value"] == pytest.approx(6.5)  # d 6, e 7
    assert ces["filters"]["segment"] == {"plan": "enterprise"}


def test_top_detractor_issues_with_period_filter(client: tuple[TestClient, str, str]) -> None:
    test_client, key, _ = client
    body = get(test_client, key, "/v1/insights/top-detractor-issues", period="2026-09")
    assert body["n_items"] == 6
    assert body["nps"]["value"] == pytest.approx(-100 / 6)
    assert body["filters"]["from"].startswith("2026-09-01T00:00:00")
    [issue] = body["issues"]
    assert (issue["theme_id"], issue["label"]) == ("t1", "Late delivery")
    assert issue["impact"] == pytest.approx(-250 / 3)
    assert issue["impact_low"] < issue["impact"] < issue["impact_high"]
    assert issue["quotes"][0] == {"item_id": "d", "text": "Delivery took three weeks"}


def test_top_detractor_issues_from_to_and_segment(client: tuple[TestClient, str, str]) -> None:
    test_client, key, _ = client
    whole = get(test_client, key, "/v1/insights/top-detractor-issues", quotes=1)
    assert whole["issues"][0]["impact"] == pytest.approx(-75.0)
    assert len(whole["issues"][0]["quotes"]) == 1
    window = {"from": "2026-09-08", "to": "2026-09-16"}  # items c, d, e
    body = get(test_client, key, "/v1/insights/top-detractor-issues", **window)
    assert body["n_items"] == 3
    enterprise = get(
        test_client, key, "/v1/insights/top-detractor-issues", segment="plan:enterprise"
    )
    assert (enterprise["n_items"], enterprise["issues"]) == (3, [])


def test_top_detractor_issues_leave_general_sentiment_themes_out_unless_asked(
    database_url: str, tmp_path: Path
) -> None:
    store = open_store(database_url)
    try:
        seed_workspace(store, general=["t1"])  # as if the run found t1 names no topic
        key = store.create_api_key("acme")
    finally:
        store.close()
    settings = make_settings(tmp_path, database_url=database_url)
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        themes = test_client.get("/v1/themes", headers=bearer(key)).json()
        assert {t["id"]: t["general"] for t in themes} == {"t1": True, "t2": False}
        ranked = get(test_client, key, "/v1/insights/top-detractor-issues")
        assert "t1" not in [issue["theme_id"] for issue in ranked["issues"]]
        every = get(test_client, key, "/v1/insights/top-detractor-issues", include_general=True)
        assert every["issues"][0]["theme_id"] == "t1"
        assert every["issues"][0]["impact"] == pytest.approx(-75.0)


def test_segments_by_region(client: tuple[TestClient, str, str]) -> None:
    test_client, key, _ = client
    body = get(test_client, key, "/v1/insights/segments", by="region")
    assert body["by"] == ["region"]
    scores = {row["group"]: row for row in body["scores"]}
    assert scores["eu"]["nps"]["value"] == pytest.approx(100 / 3)  # a, b promoters; e detractor
    assert scores["us"]["nps"]["value"] == pytest.approx(-25.0)  # c passive, d f det., h pro
    sentiment = {row["segment"]: row for row in body["sentiment"]}
    assert sentiment["eu"]["sentiment"] == pytest.approx(0.2)
    assert body["over_index"] == []


def test_trends_by_week(client: tuple[TestClient, str, str]) -> None:
    test_client, key, _ = client
    body = get(test_client, key, "/v1/insights/trends", period="week")
    assert body["periods"] == ["2026-08-31", "2026-09-07", "2026-09-14", "2026-09-21", "2026-09-28"]
    assert body["n_items"] == [2, 2, 2, 0, 2]
    t1 = next(row for row in body["series"] if row["theme_id"] == "t1")
    assert t1["mentions"] == [0, 1, 2, 0, 1]
    assert t1["share"][3] is None  # an empty week has no share
    assert body["spikes"] == []
    assert body["emerging"][0]["candidate"] == "(unassigned)"
    month = get(test_client, key, "/v1/insights/trends", period="month", **{"from": "2026-09-01"})
    assert month["periods"] == ["2026-09", "2026-10"]


def test_insights_are_workspace_isolated(client: tuple[TestClient, str, str]) -> None:
    test_client, _, other_key = client
    nps = get(test_client, other_key, "/v1/metrics/nps", by="theme")
    assert nps["overall"]["estimate"]["value"] == pytest.approx(100.0)
    assert nps["overall"]["estimate"]["n"] == 2
    assert nps["groups"] == []  # acme's themes are not visible
    issues = get(test_client, other_key, "/v1/insights/top-detractor-issues")
    assert (issues["n_items"], issues["issues"]) == (2, [])
    # acme's segment attribute 'region' does not exist in 'other'
    response = test_client.get(
        "/v1/insights/segments", params={"by": "region"}, headers=bearer(other_key)
    )
    assert "region" in assert_problem(response, 422)["detail"]


@pytest.mark.parametrize(
    ("path", "params", "fragment"),
    [
        ("/v1/metrics/nps", {"by": "tier"}, "'by' parameter must be"),
        ("/v1/metrics/nps", {"by": "plan,region,plan"}, "'by' parameter must be"),
        ("/v1/metrics/scores", {"segment": "enterprise"}, "'key:value'"),
        ("/v1/metrics/nps", {"segment": "tier:gold"}, "'tier' is not a segment attribute"),
        ("/v1/insights/top-detractor-issues", {"period": "2026-13"}, "'period' filter must be"),
        (
            "/v1/insights/top-detractor-issues",
            {"period": "2026-09", "from": "2026-09-01"},
            "either 'period' or 'from'/'to'",
        ),
        ("/v1/insights/segments", {"by": "theme"}, "segment attributes"),
        ("/v1/insights/trends", {"from": "yesterday"}, "'from' filter must be"),
    ],
)
def test_insights_invalid_parameters_are_422_problems(
    client: tuple[TestClient, str, str], path: str, params: dict[str, str], fragment: str
) -> None:
    test_client, key, _ = client
    body = assert_problem(test_client.get(path, params=params, headers=bearer(key)), 422)
    assert fragment in body["detail"]


def test_insights_bad_period_granularity_is_422(client: tuple[TestClient, str, str]) -> None:
    test_client, key, _ = client
    response = test_client.get(
        "/v1/insights/trends", params={"period": "year"}, headers=bearer(key)
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["query", "period"]


def test_insights_need_a_key(client: tuple[TestClient, str, str]) -> None:
    test_client, _, _ = client
    assert_problem(test_client.get("/v1/metrics/nps"), 401)
    assert_problem(test_client.get("/v1/insights/trends"), 401)


def test_insights_ces_by_theme_json_csv_and_schema(client: tuple[TestClient, str, str]) -> None:
    # t1 (Late delivery): respondents d e f g, CES 6 and 7 -> 6.5; t2: a c e, CES 2 and 7 -> 4.5
    test_client, key, other_key = client
    body = get(test_client, key, "/v1/insights/ces-by-theme")
    assert body["filters"]["segment"] == {}
    assert body["overall"]["value"] == pytest.approx(5.0)
    rows = [(t["theme_id"], t["label"], t["ces"]["value"], t["n_items"]) for t in body["themes"]]
    assert rows == [("t1", "Late delivery", 6.5, 4), ("t2", "price", 4.5, 3)]
    enterprise = get(test_client, key, "/v1/insights/ces-by-theme", segment="plan:enterprise")
    assert enterprise["filters"]["segment"] == {"plan": "enterprise"}
    assert [(t["theme_id"], t["ces"]["value"]) for t in enterprise["themes"]] == [
        ("t2", 7.0),  # only e (CES 7) of the enterprise plan mentions t2: hardest first
        ("t1", 6.5),
    ]
    assert get(test_client, other_key, "/v1/insights/ces-by-theme")["themes"] == []
    response = test_client.get("/v1/insights/ces-by-theme.csv", headers=bearer(key))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "theme_id,label,n_items,ces,ces_low,ces_high,ces_n"
    assert lines[1].startswith("t1,Late delivery,4,6.5,")
    schema = test_client.get("/openapi.json").json()
    route = schema["paths"]["/v1/insights/ces-by-theme"]["get"]
    ref = route["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/CesByThemePublic")
    assert {"filters", "overall", "themes"} <= set(
        schema["components"]["schemas"]["CesByThemePublic"]["properties"]
    )
    assert_problem(test_client.get("/v1/insights/ces-by-theme"), 401)
