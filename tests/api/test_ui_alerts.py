"""The dashboard's alert rule forms under TestClient: make, disable, enable, delete; CSRF.

Each test submits the forms ``/ui/alerts`` offers (parsed from its HTML, as a browser would send
them) and checks the rules through ``/v1/alerts`` with the same key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_support import bearer, make_settings
from fastapi.testclient import TestClient
from test_ui_taxonomy import form_of, forms_of

from api.main import create_app
from api.ui.auth import csrf_token
from feedback_nlp.alerts.deliver import Deliverer
from feedback_nlp.alerts.rules import check_rule
from feedback_nlp.alerts.service import AlertService
from feedback_nlp.settings import AlertSettings
from tests.alerts.frames import spike_frame

PAGE = "/ui/alerts"
CREATE = "/ui/alerts/rules"


@dataclass
class Ui:
    """A signed-in browser session of workspace ``acme``, and its key."""

    client: TestClient
    key: str

    @property
    def store(self) -> Any:
        return self.client.app.state.store  # type: ignore[attr-defined]

    def page(self) -> str:
        response = self.client.get(PAGE)
        assert response.status_code == 200, response.text
        return response.text

    def form(self, kind: str) -> dict[str, Any]:
        found = [f for f in forms_of(self.page(), CREATE) if f.attrs.get("id") == f"new-{kind}"]
        assert len(found) == 1
        return found[0].data()

    def rules(self) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = self.client.get(
            "/v1/alerts/rules", headers=bearer(self.key)
        ).json()
        return listed


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[Ui]:
    settings = make_settings(tmp_path).model_copy(
        update={"alerts": AlertSettings(embedded_worker=False)}
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        store: Any = client.app.state.store  # type: ignore[attr-defined]
        key = store.create_api_key("acme", name="ana-laptop")
        signed_in = client.post("/ui/login", data={"api_key": key, "next": "/ui"})
        assert signed_in.status_code == 303
        yield Ui(client, key)


def _alert(html: str) -> str:
    found = re.search(r'role="alert">(.*?)</p>', html, re.S)
    assert found, "no problem shown"
    return found.group(1)


def test_ui_alerts_page_offers_one_form_per_kind_with_its_fields(ui: Ui) -> None:
    html = ui.page()
    forms = {f.attrs["id"]: f for f in forms_of(html, CREATE)}
    assert set(forms) == {"new-theme_spike", "new-emerging_group", "new-segment_nps_drop"}
    names = {key: {n for n, _ in f.fields} | set(f.options) for key, f in forms.items()}
    common = {"csrf_token", "kind", "name", "webhook_url", "param_period"}
    assert names["new-theme_spike"] == common | {
        "param_z",
        "param_min_count",
        "param_window",
        "param_fdr",
        "param_theme_id",
    }
    assert names["new-emerging_group"] == common | {"param_min_items", "param_recent"}
    assert names["new-segment_nps_drop"] == common | {
        "param_segment",
        "param_drop",
        "param_min_responses",
    }
    assert forms["new-theme_spike"].options["param_period"] == ["day", "week", "month"]
    assert 'name="param_segment" required' in html
    assert "No alert rules yet" in html


def test_ui_alerts_make_a_rule_with_defaults_for_blank_fields(ui: Ui) -> None:
    sent = ui.form("theme_spike") | {"name": "Crash spikes", "param_z": "4", "param_fdr": "0,1"}
    made = ui.client.post(CREATE, data=sent)
    assert made.status_code == 303, made.text
    (rule,) = ui.rules()
    assert made.headers["location"] == f"/ui/alerts?created={rule['id']}#rule-{rule['id']}"
    assert (rule["name"], rule["kind"], rule["enabled"], rule["webhook_url"]) == (
        "Crash spikes",
        "theme_spike",
        True,
        None,
    )
    assert rule["params"] == {"z": 4.0, "fdr": 0.1, "period": "week", "min_count": 5, "window": 4}
    assert rule["created_by"] == "ana-laptop"
    html = ui.page()
    assert f'id="rule-{rule["id"]}"' in html
    assert "Crash spikes" in html
    assert "Not fired yet." in html


def test_ui_alerts_make_a_segment_rule_with_a_webhook_shows_its_secret_once(ui: Ui) -> None:
    sent = ui.form("segment_nps_drop") | {
        "name": "Pro NPS",
        "param_segment": "plan:pro",
        "param_drop": "12.5",
        "webhook_url": "https://hooks.example.com/fnlp",
    }
    made = ui.client.post(CREATE, data=sent)
    assert made.status_code == 201, made.text
    shown = re.search(r'<code id="rule-secret">([^<]+)</code>', made.text)
    assert shown
    (rule,) = AlertService(ui.store, ui.store.get_workspace_by_name("acme").id).rules()
    assert rule.secret == shown.group(1)
    assert rule.params["segment"] == "plan:pro"
    assert rule.params["drop"] == pytest.approx(12.5)
    assert shown.group(1) not in ui.page()  # shown once only


@pytest.mark.parametrize(
    ("kind", "fields", "status", "text"),
    [
        ("theme_spike", {"name": " "}, 422, "rule name must be"),
        ("theme_spike", {"param_z": "-1"}, 422, "must be a number in (0, 50]"),
        ("theme_spike", {"param_window": "three"}, 422, "must be an int in [2, 52]"),
        ("segment_nps_drop", {"param_segment": ""}, 422, "needs the parameter &#39;segment&#39;"),
        ("segment_nps_drop", {"param_segment": "plan"}, 422, "key:value"),
        ("emerging_group", {"webhook_url": "ftp://h.example.com/"}, 422, "[E151]"),
        ("emerging_group", {"webhook_url": "http://127.0.0.1:9/hook"}, 422, "[E152]"),
        ("emerging_group", {"webhook_url": "http://169.254.169.254/"}, 422, "link-local"),
        ("no_such_kind", {}, 422, "rule kind must be one of"),
    ],
)
def test_ui_alerts_refused_rules_are_readable_pages(
    ui: Ui, kind: str, fields: dict[str, str], status: int, text: str
) -> None:
    sent = ui.form(kind if kind != "no_such_kind" else "theme_spike")
    sent = sent | {"name": "x", "kind": kind} | fields
    refused = ui.client.post(CREATE, data=sent)
    assert refused.status_code == status
    assert text in _alert(refused.text)
    assert 'id="problem-heading">That alert rule cannot be made as asked' in refused.text
    assert 'href="/ui/alerts" id="problem-back"' in refused.text
    assert ui.rules() == []


def test_ui_alerts_disable_enable_and_delete(ui: Ui) -> None:
    ui.client.post(CREATE, data=ui.form("emerging_group") | {"name": "New groups"})
    (rule,) = ui.rules()
    toggle_url = f"/ui/alerts/rules/{rule['id']}/enabled"
    toggle = form_of(ui.page(), toggle_url)
    assert toggle.data()["enabled"] == "false"
    off = ui.client.post(toggle_url, data=toggle.data())
    assert (off.status_code, off.headers["location"]) == (303, f"/ui/alerts#rule-{rule['id']}")
    assert ui.rules()[0]["enabled"] is False
    html = ui.page()
    assert 'data-enabled="false"' in html
    assert "· disabled" in html
    on = form_of(html, toggle_url)
    assert on.data()["enabled"] == "true"
    ui.client.post(toggle_url, data=on.data())
    assert ui.rules()[0]["enabled"] is True
    delete_url = f"/ui/alerts/rules/{rule['id']}/delete"
    gone = ui.client.post(delete_url, data=form_of(ui.page(), delete_url).data())
    assert (gone.status_code, gone.headers["location"]) == (303, "/ui/alerts")
    assert ui.rules() == []
    again = ui.client.post(delete_url, data={"csrf_token": csrf_token(ui.key)})
    assert again.status_code == 404
    assert 'id="problem-heading">No such alert rule' in again.text


def test_ui_alerts_forms_cannot_touch_another_workspaces_rule(ui: Ui) -> None:
    other = ui.store.create_workspace("globex").id
    theirs = AlertService(ui.store, other).create_rule(name="theirs", kind="theme_spike")
    token = {"csrf_token": csrf_token(ui.key)}
    for path in (f"/ui/alerts/rules/{theirs.id}/enabled", f"/ui/alerts/rules/{theirs.id}/delete"):
        assert ui.client.post(path, data=token | {"enabled": "false"}).status_code == 404
    assert AlertService(ui.store, other).rule(theirs.id).enabled is True


@pytest.mark.parametrize("action", ["create", "enabled", "delete"])
def test_ui_alerts_forms_refuse_a_missing_or_wrong_csrf_token(ui: Ui, action: str) -> None:
    ui.client.post(CREATE, data=ui.form("theme_spike") | {"name": "Kept"})
    (rule,) = ui.rules()
    path = {
        "create": CREATE,
        "enabled": f"/ui/alerts/rules/{rule['id']}/enabled",
        "delete": f"/ui/alerts/rules/{rule['id']}/delete",
    }[action]
    fields = {"kind": "theme_spike", "name": "Made", "enabled": "false"}
    for token in (None, "0" * 64, csrf_token(ui.key + "x")):
        sent = fields | ({} if token is None else {"csrf_token": token})
        refused = ui.client.post(path, data=sent)
        assert refused.status_code == 403, (path, token)
        assert "security token is missing or wrong" in refused.text
    assert [(r["name"], r["enabled"]) for r in ui.rules()] == [("Kept", True)]
    right = ui.client.post(path, data=fields | {"csrf_token": csrf_token(ui.key)})
    assert right.status_code == 303  # the refusal was the token's


def test_ui_alerts_forms_need_a_session(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path)), follow_redirects=False) as client:
        sent = client.post(CREATE, data={"kind": "theme_spike", "name": "x"})
        assert (sent.status_code, sent.headers["location"]) == (303, "/ui/login")


def test_ui_alerts_page_shows_a_refused_delivery(ui: Ui) -> None:
    ws = ui.store.get_workspace_by_name("acme").id
    hook = "http://localhost:9/hook"  # resolves to loopback: refused at delivery
    params = check_rule("theme_spike", {})
    ui.store.create_alert_rule(
        ws, name="spikes", kind="theme_spike", params=params, webhook_url=hook, secret="s" * 20
    )
    assert len(AlertService(ui.store, ws).evaluate(lambda _ws: spike_frame())) == 1
    Deliverer(ui.store, AlertSettings(timeout_s=2.0, lease_s=10.0)).deliver_due()
    delivery = re.search(r'<td class="delivery">(.*?)</td>', ui.page(), re.S)
    assert delivery
    assert "pending (1 attempt)" in delivery.group(1)
    assert "Refused by the webhook allow-list" in delivery.group(1)
