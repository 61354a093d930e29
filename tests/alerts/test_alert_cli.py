"""``feedback-nlp alerts`` over a real store: rules, firings and deliveries as tables and JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from feedback_nlp.alerts.service import AlertService
from feedback_nlp.cli import app
from feedback_nlp.store import Store
from tests.alerts.frames import spike_frame, week_label
from tests.alerts.receiver import loopback_targets

runner = CliRunner()


def _fired(store: Store) -> None:
    ws = store.create_workspace("acme").id
    alerts = AlertService(store, ws, actor="ana", targets=loopback_targets())
    alerts.create_rule(name="spikes", kind="theme_spike", webhook_url="http://127.0.0.1:9/hook")
    assert len(alerts.evaluate(lambda _ws: spike_frame())) == 1


def test_alerts_cli_lists_firings_and_deliveries(store: Store, database_url: str) -> None:
    _fired(store)
    env = {"FEEDBACK_NLP_DATABASE__URL": database_url, "COLUMNS": "200"}
    shown = runner.invoke(app, ["alerts", "firings", "--workspace", "acme", "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    (firing,) = json.loads(shown.stdout)
    assert (firing["subject"], firing["period"], firing["rule_id"]) == ("A", week_label(5), 1)
    table = runner.invoke(app, ["alerts", "firings", "--workspace", "acme"], env=env)
    assert table.exit_code == 0, table.output
    assert "Firings" in table.output
    assert week_label(5) in table.output
    sent = runner.invoke(app, ["alerts", "deliveries", "--workspace", "acme", "--json"], env=env)
    assert sent.exit_code == 0, sent.output
    (delivery,) = json.loads(sent.stdout)
    assert (delivery["status"], delivery["attempts"], delivery["log"]) == ("pending", 0, [])
    assert delivery["firing_id"] == firing["id"]
    listed = runner.invoke(app, ["alerts", "deliveries", "--workspace", "acme"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "Deliveries" in listed.output
    assert "pending" in listed.output


def test_alerts_cli_unknown_workspace_exits_2(database_url: str) -> None:
    env = {"FEEDBACK_NLP_DATABASE__URL": database_url}
    for command in ("list", "firings", "deliveries"):
        done = runner.invoke(app, ["alerts", command, "--workspace", "nobody"], env=env)
        assert done.exit_code == 2, done.output
        assert "No workspace is called 'nobody'" in done.output
