"""Alerts in the store (SQLite and PostgreSQL): firings once, outbox, schedule, the ingest hook."""

from __future__ import annotations

from datetime import timedelta

import pytest

from feedback_nlp.alerts.service import AlertService
from feedback_nlp.domain import FeedbackIn
from feedback_nlp.errors import NotFoundError
from feedback_nlp.ingest.service import IngestService
from feedback_nlp.store import Store
from feedback_nlp.store.base import utcnow
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from tests.alerts.frames import spike_frame, week_label
from tests.alerts.receiver import loopback_targets

HOOK = "http://127.0.0.1:9/hook"  # allowed explicitly: loopback_targets()


def _spikes(_workspace_id: int):  # type: ignore[no-untyped-def]
    return spike_frame()


def test_alert_store_fires_once_per_rule_and_key(store: Store) -> None:
    ws = store.create_workspace("acme").id
    alerts = AlertService(store, ws, actor="ana", targets=loopback_targets())
    rule = alerts.create_rule(name="spikes", kind="theme_spike", webhook_url=HOOK)
    first = alerts.evaluate(_spikes)
    again = alerts.evaluate(_spikes)  # a later batch sees the same spike
    assert [(f.rule_id, f.subject, f.period) for f in first] == [(rule.id, "A", week_label(5))]
    assert again == []
    assert len(alerts.firings()) == 1
    (delivery,) = alerts.deliveries()
    assert (delivery.firing_id, delivery.status, delivery.attempts) == (first[0].id, "pending", 0)
    assert delivery.url == HOOK


def test_alert_store_keeps_workspaces_apart(store: Store) -> None:
    acme = store.create_workspace("acme").id
    other = store.create_workspace("other").id
    rule = AlertService(store, acme).create_rule(name="spikes", kind="theme_spike")
    with pytest.raises(NotFoundError):
        AlertService(store, other).rule(rule.id)
    with pytest.raises(NotFoundError):
        AlertService(store, other).delete_rule(rule.id)
    assert AlertService(store, other).rules() == []


def test_alert_store_delete_rule_removes_its_firings_and_deliveries(store: Store) -> None:
    ws = store.create_workspace("acme").id
    alerts = AlertService(store, ws, targets=loopback_targets())
    rule = alerts.create_rule(name="spikes", kind="theme_spike", webhook_url=HOOK)
    alerts.evaluate(_spikes)
    alerts.delete_rule(rule.id)
    assert (alerts.rules(), alerts.firings(), alerts.deliveries()) == ([], [], [])
    assert store.alerts_due(0.0) == []  # no rules left: off the schedule


def test_alert_store_schedule_is_debounced_and_misses_no_mark(store: Store) -> None:
    ws = store.create_workspace("acme").id
    t0 = utcnow()
    store.mark_alerts_due(ws)  # no rules yet: a no-op
    assert store.alerts_due(10.0, now=t0) == []
    AlertService(store, ws).create_rule(name="spikes", kind="theme_spike")
    assert store.alerts_due(10.0, now=t0 + timedelta(seconds=1)) == [ws]  # a new rule: due
    assert store.claim_alert_evaluation(ws, now=t0)  # began before the mark below
    store.mark_alerts_due(ws)  # an ingest batch, while the evaluation runs
    assert store.alerts_due(10.0, now=t0 + timedelta(seconds=5)) == []  # debounced
    assert store.alerts_due(10.0, now=t0 + timedelta(seconds=60)) == [ws]  # not missed
    assert store.claim_alert_evaluation(ws, now=utcnow())
    assert store.alerts_due(10.0, now=t0 + timedelta(seconds=60)) == []  # nothing new


def test_alert_store_workspace_without_rules_is_never_evaluated(store: Store) -> None:
    ws = store.create_workspace("acme").id
    store.mark_alerts_due(ws)
    assert store.alerts_due(0.0) == []
    assert AlertService(store, ws).evaluate_if_due(_spikes) is None


@pytest.fixture(scope="module")
def stages() -> tuple[PiiRedactor, LanguageIdentifier]:
    return PiiRedactor(), LanguageIdentifier()


def test_ingest_marks_alerts_due_after_a_batch_that_changed_items(
    store: Store, stages: tuple[PiiRedactor, LanguageIdentifier]
) -> None:
    ws = store.create_workspace("acme").id
    AlertService(store, ws).create_rule(name="spikes", kind="theme_spike")
    assert store.claim_alert_evaluation(ws)
    later = utcnow() + timedelta(hours=1)
    assert store.alerts_due(0.0, now=later) == []
    ingest = IngestService(store, *stages, max_text_chars=1000)
    item = FeedbackIn(external_id="r1", text="The app crashes on start.")
    ingest.store_items(ws, [item])
    assert store.alerts_due(0.0, now=later) == [ws]
    assert store.claim_alert_evaluation(ws)
    ingest.store_items(ws, [item])  # unchanged: nothing new for the rules
    assert store.alerts_due(0.0, now=later) == []
