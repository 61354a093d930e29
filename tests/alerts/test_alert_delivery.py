"""Webhook delivery to a real receiver on 127.0.0.1: signed, retried with back-off, once."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest

from feedback_nlp.alerts.deliver import Deliverer, retry_delay
from feedback_nlp.alerts.service import AlertService
from feedback_nlp.alerts.signing import verify_signature
from feedback_nlp.alerts.worker import AlertWorker
from feedback_nlp.settings import AlertSettings
from feedback_nlp.store import Store
from tests.alerts.frames import spike_frame, week_label
from tests.alerts.receiver import LOOPBACK_ALLOWED, Receiver, loopback_targets

SECRET = "a-test-secret-of-some-length"


def fast(**overrides: float) -> AlertSettings:
    """Settings with short waits (the schedule's shape is the production one), 127.0.0.1 allowed."""
    values = {"poll_s": 0.05, "debounce_s": 0.0, "retry_base_s": 0.05, "retry_max_s": 0.2}
    values.update(timeout_s=2.0, lease_s=10.0, **overrides)
    return AlertSettings(webhook_allow=LOOPBACK_ALLOWED, **values)  # type: ignore[arg-type]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.stop()


def _fire(store: Store, url: str) -> AlertService:
    ws = store.create_workspace("acme").id
    alerts = AlertService(store, ws, actor="ana", targets=loopback_targets())
    alerts.create_rule(name="spikes", kind="theme_spike", webhook_url=url, secret=SECRET)
    assert len(alerts.evaluate(lambda _ws: spike_frame())) == 1
    return alerts


def _until(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_retry_delay_doubles_up_to_the_cap() -> None:
    assert [retry_delay(n, base_s=5, max_s=60) for n in range(1, 7)] == [5, 10, 20, 40, 60, 60]


def test_delivery_reaches_the_receiver_signed(store: Store, receiver: Receiver) -> None:
    receiver.start()
    alerts = _fire(store, receiver.url)
    assert Deliverer(store, fast()).deliver_due() == 1
    (request,) = receiver.received
    assert request.path == "/hook"
    assert verify_signature(SECRET, request.body, request.headers["X-FeedbackNLP-Signature"])
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-FeedbackNLP-Event"] == "alert.fired"
    document = json.loads(request.body)
    assert document["delivery_id"] == request.headers["X-FeedbackNLP-Delivery"]
    assert document["workspace"] == "acme"
    assert (document["firing"]["subject"], document["firing"]["period"]) == ("A", week_label(5))
    assert document["rule"]["kind"] == "theme_spike"
    (delivery,) = alerts.deliveries()
    assert (delivery.id, delivery.status, delivery.attempts) == (
        document["delivery_id"],
        "delivered",
        1,
    )
    assert [(a.attempt, a.status_code, a.error) for a in delivery.log] == [(1, 200, None)]
    assert delivery.delivered_at is not None
    assert Deliverer(store, fast()).deliver_due() == 0  # answered 2xx: never sent again
    assert len(receiver.received) == 1


def test_delivery_retries_after_a_5xx_with_the_same_id_and_bytes(
    store: Store, receiver: Receiver
) -> None:
    receiver.answers = [503]
    receiver.start()
    alerts = _fire(store, receiver.url)
    deliverer = Deliverer(store, fast(retry_base_s=1.0, retry_max_s=1.0))
    assert deliverer.deliver_due() == 1
    (pending,) = alerts.deliveries()
    assert (pending.status, pending.last_status_code) == ("pending", 503)
    assert pending.last_error == "HTTP 503 Service Unavailable"
    assert deliverer.deliver_due() == 0  # not due before its back-off
    time.sleep(1.1)
    assert deliverer.deliver_due() == 1
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["X-FeedbackNLP-Delivery"] == second.headers["X-FeedbackNLP-Delivery"]
    (done,) = alerts.deliveries()
    assert done.status == "delivered"
    assert [a.status_code for a in done.log] == [503, 200]


def test_delivery_fails_after_max_attempts(store: Store, receiver: Receiver) -> None:
    alerts = _fire(store, receiver.url)  # the receiver never starts: connections are refused
    deliverer = Deliverer(store, fast(max_attempts=2))
    deliverer.deliver_due()
    time.sleep(0.1)
    deliverer.deliver_due()
    (delivery,) = alerts.deliveries()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert all(a.status_code is None and "Refused" in (a.error or "") for a in delivery.log)
    time.sleep(0.3)
    assert deliverer.deliver_due() == 0


def _survives_downtime(
    store: Store, receiver: Receiver, down_s: float, settings: AlertSettings
) -> None:
    alerts = _fire(store, receiver.url)
    worker = AlertWorker(store, settings, lambda _ws: spike_frame())
    worker.start()
    try:
        time.sleep(down_s)
        (delivery,) = alerts.deliveries()
        assert delivery.status == "pending"
        assert delivery.attempts >= 2
        assert receiver.received == []
        receiver.start()
        _until(lambda: alerts.deliveries()[0].status == "delivered", 5 * settings.retry_max_s + 5)
        time.sleep(3 * settings.retry_max_s + 1)  # the worker keeps polling: nothing is resent
    finally:
        assert worker.stop()
    assert len(receiver.received) == 1
    (delivery,) = alerts.deliveries()
    assert delivery.log[-1].status_code == 200
    assert all(a.status_code is None for a in delivery.log[:-1])


def test_delivery_survives_a_receiver_that_is_down_for_a_while(
    store: Store, receiver: Receiver
) -> None:
    _survives_downtime(store, receiver, 1.5, fast())


@pytest.mark.slow
def test_delivery_survives_a_receiver_that_is_down_for_a_minute(
    store: Store, receiver: Receiver
) -> None:
    settings = AlertSettings(
        poll_s=0.2,
        debounce_s=0.0,
        retry_base_s=1.0,
        retry_max_s=8.0,
        timeout_s=2.0,
        lease_s=10.0,
        webhook_allow=LOOPBACK_ALLOWED,
    )
    _survives_downtime(store, receiver, 60.0, settings)
