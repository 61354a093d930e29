"""The webhook allow-list: internal targets refused by default, at rule creation and delivery."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.main import create_app
from feedback_nlp.alerts.deliver import Deliverer
from feedback_nlp.alerts.rules import check_rule
from feedback_nlp.alerts.service import AlertService
from feedback_nlp.alerts.targets import WebhookTargets
from feedback_nlp.errors import WebhookTargetError, WebhookUrlError
from feedback_nlp.settings import AlertSettings, load_settings
from feedback_nlp.store import Store
from tests.alerts.frames import spike_frame
from tests.alerts.receiver import LOOPBACK_ALLOWED, Receiver, loopback_targets
from tests.api.api_support import assert_problem, bearer, make_settings

DEFAULT = WebhookTargets()


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://127.1/hook", "loopback"),  # short notation
        ("http://2130706433/hook", "loopback"),  # 127.0.0.1 as one number
        ("http://0x7f.1/hook", "loopback"),
        ("http://localhost:8000/hook", "loopback"),
        ("http://api.localhost/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://10.1.2.3/hook", "private"),
        ("http://192.168.0.10/hook", "private"),
        ("https://172.16.5.4/hook", "private"),
        ("http://[fd00::1]/hook", "private"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://100.64.0.1/hook", "reserved"),  # carrier-grade NAT: not public
    ],
)
def test_webhook_targets_refuse_internal_hosts_by_default(url: str, kind: str) -> None:
    with pytest.raises(WebhookTargetError, match=rf"\[E152\].*a {kind} address") as raised:
        DEFAULT.check_url(url)
    assert isinstance(raised.value, WebhookUrlError)  # callers catching E151's class still do
    assert raised.value.status == 422
    assert "FEEDBACK_NLP_ALERTS__WEBHOOK_ALLOW" in raised.value.detail


@pytest.mark.parametrize(
    "url", ["https://hooks.example.com/fnlp", "http://93.184.216.34/x", "https://[2606:4700::1]/"]
)
def test_webhook_targets_accept_public_hosts_by_default(url: str) -> None:
    assert DEFAULT.check_url(url) == url


def test_webhook_targets_allow_listed_networks_and_names() -> None:
    targets = WebhookTargets.from_entries(["10.0.0.0/8", "127.0.0.1", "*.corp.example", "ci"])
    assert targets.check_url("http://10.9.8.7/x") == "http://10.9.8.7/x"
    assert targets.check_url("http://127.0.0.1:9/x") == "http://127.0.0.1:9/x"
    assert targets.vet("hooks.corp.example", ["192.168.1.1"]) is None  # listed by name
    assert targets.vet("ci", ["127.0.0.2"]) is None
    with pytest.raises(WebhookTargetError, match=r"127\.0\.0\.2 is a loopback"):
        targets.check_url("http://127.0.0.2/x")  # only the one address is listed
    with pytest.raises(WebhookTargetError, match="private"):
        targets.check_url("http://192.168.1.1/x")


def test_webhook_targets_vet_refuses_a_mixed_answer() -> None:
    reason = DEFAULT.vet("rebind.example.com", ["93.184.216.34", "127.0.0.1"])
    assert reason is not None
    assert "127.0.0.1 is a loopback address" in reason
    assert DEFAULT.vet("hooks.example.com", ["93.184.216.34"]) is None


def test_webhook_targets_exclusive_list_refuses_public_hosts() -> None:
    targets = WebhookTargets.from_entries(["hooks.example.com"], public=False)
    assert targets.check_url("https://hooks.example.com/a") == "https://hooks.example.com/a"
    with pytest.raises(WebhookTargetError, match="public targets are off"):
        targets.check_url("https://other.example.com/a")
    assert targets.vet("other.example.com", ["93.184.216.34"]) is not None


def test_alert_settings_webhook_allow_is_checked_and_reads_a_comma_list() -> None:
    settings = AlertSettings(webhook_allow="10.0.0.0/8, hooks.corp.example")  # type: ignore[arg-type]
    assert settings.webhook_allow == ["10.0.0.0/8", "hooks.corp.example"]
    with pytest.raises(ValidationError, match="webhook_allow entries"):
        AlertSettings(webhook_allow=["http://x/"])
    with pytest.raises(ValidationError, match="webhook_allow entries"):
        AlertSettings(webhook_allow=["10.0.0.0/33"])


def test_alert_service_refuses_loopback_by_default(store: Store) -> None:
    alerts = AlertService(store, store.create_workspace("acme").id)
    with pytest.raises(WebhookTargetError):
        alerts.create_rule(name="x", kind="theme_spike", webhook_url="http://127.0.0.1:9/hook")
    rule = alerts.create_rule(name="x", kind="theme_spike")
    with pytest.raises(WebhookTargetError):
        alerts.update_rule(rule.id, webhook_url="http://localhost/hook")
    assert alerts.rule(rule.id).webhook_url is None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver().start()
    yield found
    found.stop()


def _fire_to(store: Store, url: str) -> AlertService:
    """A firing whose delivery goes to ``url``, stored as an older rule would be (no check)."""
    ws = store.create_workspace("acme").id
    params = check_rule("theme_spike", {})
    store.create_alert_rule(
        ws, name="spikes", kind="theme_spike", params=params, webhook_url=url, secret="s" * 20
    )
    alerts = AlertService(store, ws)
    assert len(alerts.evaluate(lambda _ws: spike_frame())) == 1
    return alerts


def test_delivery_refuses_a_host_that_resolves_to_loopback(
    store: Store, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    alerts = _fire_to(store, f"http://localhost:{receiver.port}/hook")
    settings = AlertSettings(retry_base_s=0.05, retry_max_s=0.2, timeout_s=2.0, lease_s=10.0)
    with caplog.at_level("WARNING", logger="feedback_nlp.alerts.deliver"):
        assert Deliverer(store, settings).deliver_due() == 1
    assert receiver.received == []  # never connected
    (delivery,) = alerts.deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert "Refused by the webhook allow-list" in (delivery.last_error or "")
    assert "127.0.0.1 is a loopback address" in (delivery.last_error or "")
    assert any("Refused by the webhook allow-list" in r.getMessage() for r in caplog.records)


def test_delivery_to_an_allowed_name_connects_to_its_vetted_address(
    store: Store, receiver: Receiver
) -> None:
    alerts = _fire_to(store, f"http://localhost:{receiver.port}/hook")
    settings = AlertSettings(timeout_s=2.0, lease_s=10.0, webhook_allow=["127.0.0.1", "::1"])
    assert Deliverer(store, settings).deliver_due() == 1
    (request,) = receiver.received
    assert request.headers["Host"] == f"localhost:{receiver.port}"  # the URL's host is kept
    assert alerts.deliveries()[0].status == "delivered"


def test_alert_routes_refuse_loopback_by_default(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path)), raise_server_exceptions=False) as client:
        key = bearer(client.app.state.store.create_api_key("acme"))  # type: ignore[attr-defined]
        body = {"name": "x", "kind": "theme_spike", "webhook_url": "http://127.0.0.1:9/hook"}
        problem = assert_problem(client.post("/v1/alerts/rules", json=body, headers=key), 422)
        assert problem["code"] == "E152"
        assert "loopback" in problem["detail"]
        made = client.post(
            "/v1/alerts/rules", json={"name": "x", "kind": "theme_spike"}, headers=key
        )
        patched = client.patch(
            f"/v1/alerts/rules/{made.json()['id']}",
            json={"webhook_url": "http://10.0.0.1/"},
            headers=key,
        )
        assert assert_problem(patched, 422)["code"] == "E152"


def test_alert_routes_accept_an_allow_listed_loopback(tmp_path: Path) -> None:
    settings = make_settings(tmp_path).model_copy(
        update={"alerts": AlertSettings(webhook_allow=LOOPBACK_ALLOWED)}
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        key = bearer(client.app.state.store.create_api_key("acme"))  # type: ignore[attr-defined]
        body = {"name": "x", "kind": "theme_spike", "webhook_url": "http://127.0.0.1:9/hook"}
        assert client.post("/v1/alerts/rules", json=body, headers=key).status_code == 201
    assert loopback_targets().check_url(body["webhook_url"]) == body["webhook_url"]


@pytest.mark.parametrize(
    "value", ["127.0.0.1,hooks.corp.example", '["127.0.0.1", "hooks.corp.example"]']
)
def test_alert_settings_webhook_allow_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("FEEDBACK_NLP_ALERTS__WEBHOOK_ALLOW", value)
    assert load_settings().alerts.webhook_allow == ["127.0.0.1", "hooks.corp.example"]


def test_alerts_cli_add_uses_the_configured_allow_list(store: Store, database_url: str) -> None:
    from typer.testing import CliRunner

    from feedback_nlp.cli import app

    store.create_workspace("acme")
    args = ["alerts", "add", "--workspace", "acme", "--name", "x", "--kind", "theme_spike"]
    args += ["--webhook", "http://127.0.0.1:9/hook"]
    env = {"FEEDBACK_NLP_DATABASE__URL": database_url, "COLUMNS": "200"}
    refused = CliRunner().invoke(app, args, env=env)
    assert refused.exit_code == 2, refused.output
    assert "E152" in refused.output
    allowed = CliRunner().invoke(
        app, args, env=env | {"FEEDBACK_NLP_ALERTS__WEBHOOK_ALLOW": "127.0.0.1"}
    )
    assert allowed.exit_code == 0, allowed.output
    assert "signing secret (shown once)" in allowed.output
