"""``/v1/alerts`` and ``/ui/alerts`` over a real app: CRUD, 4xx problems, evaluation, a webhook."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from feedback_nlp.alerts.signing import verify_signature
from feedback_nlp.settings import AlertSettings
from tests.alerts.frames import MONDAY, week_label
from tests.alerts.receiver import LOOPBACK_ALLOWED, Receiver
from tests.api.api_support import assert_problem, bearer, make_settings

RULES = "/v1/alerts/rules"


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], dict[str, str]]]:
    settings = make_settings(tmp_path).model_copy(
        update={
            "alerts": AlertSettings(
                poll_s=0.05,
                debounce_s=0.0,
                retry_base_s=0.05,
                retry_max_s=0.2,
                webhook_allow=LOOPBACK_ALLOWED,
            )
        }
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        acme = bearer(store.create_api_key("acme", name="ana"))
        other = bearer(store.create_api_key("other"))
        yield client, acme, other


def _nps_items() -> list[dict[str, Any]]:
    """plan=pro: NPS 25 in the first week (10/5/5 of 20), -20 in the second (6/4/10)."""
    weeks = {0: [10] * 10 + [8] * 5 + [3] * 5, 1: [10] * 6 + [8] * 4 + [3] * 10}
    return [
        {
            "id": f"pro-{week}-{i}",
            "text": f"Answer {i} of week {week}.",
            "created_at": MONDAY.replace(day=MONDAY.day + 7 * week, hour=i % 12).isoformat(),
            "nps": score,
            "segments": {"plan": "pro"},
        }
        for week, scores in weeks.items()
        for i, score in enumerate(scores)
    ]


def test_alert_routes_crud(app_client: Any) -> None:
    client, acme, other = app_client
    made = client.post(
        RULES,
        json={
            "name": "Crash spikes",
            "kind": "theme_spike",
            "params": {"z": 4},
            "webhook_url": "https://hooks.example.com/fnlp",
        },
        headers=acme,
    )
    assert made.status_code == 201, made.text
    rule = made.json()
    assert rule["params"]["z"] == 4.0
    assert rule["params"]["period"] == "week"
    assert rule["created_by"] == "ana"
    assert rule["has_secret"]
    assert len(rule["secret"]) >= 32
    listed = client.get(RULES, headers=acme).json()
    assert [r["id"] for r in listed] == [rule["id"]]
    assert "secret" not in listed[0]
    assert client.get(RULES, headers=other).json() == []
    assert_problem(client.get(f"{RULES}/{rule['id']}", headers=other), 404)
    patched = client.patch(f"{RULES}/{rule['id']}", json={"enabled": False}, headers=acme).json()
    assert patched["enabled"] is False
    assert patched["secret"] is None
    rotated = client.patch(f"{RULES}/{rule['id']}", json={"rotate_secret": True}, headers=acme)
    assert rotated.json()["secret"] not in (None, rule["secret"])
    assert client.delete(f"{RULES}/{rule['id']}", headers=other).status_code == 404
    assert client.delete(f"{RULES}/{rule['id']}", headers=acme).status_code == 204
    assert_problem(client.get(f"{RULES}/{rule['id']}", headers=acme), 404)


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        (
            {"name": "x", "kind": "theme_spike", "webhook_url": "ftp://h.example.com/"},
            "E151",
            "http or https",
        ),
        (
            {"name": "x", "kind": "theme_spike", "webhook_url": "gopher://h/"},
            "E151",
            "http or https",
        ),
        ({"name": "x", "kind": "volume"}, "E150", "rule kind must be one of"),
        ({"name": "x", "kind": "theme_spike", "params": {"z": -1}}, "E150", "(0, 50]"),
        ({"name": "x", "kind": "segment_nps_drop"}, "E150", "needs the parameter 'segment'"),
        ({"name": " ", "kind": "theme_spike"}, "E150", "rule name"),
        ({"name": "x", "kind": "theme_spike", "secret": "s" * 20}, "E150", "give a webhook_url"),
        (
            {
                "name": "x",
                "kind": "theme_spike",
                "webhook_url": "https://h.example.com/",
                "secret": "short",
            },
            "E150",
            "16-128",
        ),
    ],
)
def test_alert_routes_refuse_bad_rules(app_client: Any, body: dict, code: str, text: str) -> None:
    client, acme, _ = app_client
    problem = assert_problem(client.post(RULES, json=body, headers=acme), 422)
    assert problem["code"] == code
    assert text in problem["detail"]


def test_alert_routes_need_a_key(app_client: Any) -> None:
    client, _, _ = app_client
    assert_problem(client.get(RULES), 401)
    assert_problem(client.post(RULES, json={"name": "x", "kind": "theme_spike"}), 401)
    assert_problem(client.get("/v1/alerts/firings"), 401)


def test_alert_routes_evaluate_fire_once_and_deliver_signed(app_client: Any) -> None:
    client, acme, _ = app_client
    receiver = Receiver().start()
    try:
        stored = client.post("/v1/feedback", json={"items": _nps_items()}, headers=acme)
        assert stored.status_code == 200, stored.text
        made = client.post(
            RULES,
            json={
                "name": "Pro NPS",
                "kind": "segment_nps_drop",
                "params": {"segment": "plan:pro", "drop": 40},
                "webhook_url": receiver.url,
            },
            headers=acme,
        ).json()
        deadline = time.monotonic() + 20
        while len(receiver.received) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)  # the alert worker evaluates the new rule and sends its firing
        assert client.post("/v1/alerts/evaluate", headers=acme).json() == []  # fired once only
        (request,) = receiver.received
        assert verify_signature(
            made["secret"], request.body, request.headers["X-FeedbackNLP-Signature"]
        )
        firing = json.loads(request.body)["firing"]
        assert (firing["subject"], firing["period"]) == ("plan:pro", week_label(1))
        assert firing["details"]["drop"] == pytest.approx(45.0)
        (listed,) = client.get("/v1/alerts/firings", headers=acme).json()
        assert listed["id"] == firing["id"]
        (delivery,) = client.get("/v1/alerts/deliveries", headers=acme).json()
        assert delivery["status"] == "delivered"
        assert delivery["log"][0]["status_code"] == 200
        client.post("/ui/login", data={"api_key": acme["Authorization"][7:], "next": "/ui"})
        page = client.get("/ui/alerts")
        assert page.status_code == 200
        assert "Pro NPS" in page.text
        assert "fell 45.0 points" in page.text
        assert "delivered" in page.text
    finally:
        receiver.stop()


def test_alert_routes_ui_page_needs_a_session(app_client: Any) -> None:
    client, _, _ = app_client
    response = client.get("/ui/alerts", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login")
