"""Two real ``feedback-nlp serve`` processes on one SQLite database fire and deliver an alert once.

Both servers run their alert worker (polling every 50 ms, no debounce), so after every ingest
batch both see the workspace due and both try to evaluate it, and both try to send its webhook
outbox. The rule (a segment's NPS drop, which needs no mining) is made through one server and
the feedback arrives through both, in batches, while the workers poll. The receiver, a real
HTTP server on 127.0.0.1 (allowed explicitly: loopback targets are refused by default), answers
the first try with a 503, so the delivery also has to be retried by whichever server claims it
next. In the end the rule has fired once, the firing has one delivery, and the receiver got
exactly two requests with the same delivery id and bytes -- the 503 and the 200 -- and nothing
more while both servers keep polling.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from feedback_nlp.alerts.signing import verify_signature
from feedback_nlp.store.engine import make_engine
from feedback_nlp.store.schema import alert_attempts, alert_deliveries, alert_firings
from tests.alerts.frames import MONDAY, week_label
from tests.alerts.receiver import Receiver
from tests.api.api_support import Server, bearer, start_server
from tests.reliability.backends import create_key, fresh_database, reliability_env

pytestmark = pytest.mark.slow

ALERTS = {
    "FEEDBACK_NLP_ALERTS__POLL_S": "0.05",
    "FEEDBACK_NLP_ALERTS__DEBOUNCE_S": "0",
    "FEEDBACK_NLP_ALERTS__RETRY_BASE_S": "0.3",
    "FEEDBACK_NLP_ALERTS__RETRY_MAX_S": "0.3",
    "FEEDBACK_NLP_ALERTS__TIMEOUT_S": "5",
    "FEEDBACK_NLP_ALERTS__LEASE_S": "30",
    "FEEDBACK_NLP_ALERTS__WEBHOOK_ALLOW": "127.0.0.1",
    "FEEDBACK_NLP_API__EMBEDDED_WORKER": "false",  # no mining here
}


def _nps_batches() -> list[list[dict[str, Any]]]:
    """plan=pro: NPS 25 in week 0 (10/5/5 of 20), -20 in week 1 (6/4/10): a 45-point drop.

    Eight batches of five items, in time order, so the drop is complete only after the last.
    """
    weeks = {0: [10] * 10 + [8] * 5 + [3] * 5, 1: [10] * 6 + [8] * 4 + [3] * 10}
    items = [
        {
            "id": f"pro-{week}-{i}",
            "text": f"Answer {i} of week {week} about the pro plan.",
            "created_at": MONDAY.replace(day=MONDAY.day + 7 * week, hour=i % 12).isoformat(),
            "nps": score,
            "segments": {"plan": "pro"},
        }
        for week, scores in weeks.items()
        for i, score in enumerate(scores)
    ]
    return [items[n : n + 5] for n in range(0, len(items), 5)]


def _rows(url: str) -> tuple[list[Any], list[Any], list[Any]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            firings = connection.execute(select(alert_firings)).all()
            deliveries = connection.execute(select(alert_deliveries)).all()
            attempts = connection.execute(
                select(alert_attempts).order_by(alert_attempts.c.attempt)
            ).all()
    finally:
        engine.dispose()
    return firings, deliveries, attempts


def test_two_servers_fire_and_deliver_an_alert_once(tmp_path: Path) -> None:
    receiver = Receiver(answers=[503]).start()
    with fresh_database("sqlite", tmp_path) as url:
        key = create_key(url, "acme")

        def start(name: str) -> Server:
            (tmp_path / name).mkdir()
            env = reliability_env(url, tmp_path / name, **ALERTS)
            return start_server(env, tmp_path / f"{name}.log")

        with ThreadPoolExecutor(2) as pool:
            servers = [future.result() for future in [pool.submit(start, n) for n in "ab"]]
        try:
            with httpx.Client(base_url=servers[0].url, headers=bearer(key), timeout=60) as a:
                made = a.post(
                    "/v1/alerts/rules",
                    json={
                        "name": "Pro NPS",
                        "kind": "segment_nps_drop",
                        "params": {"segment": "plan:pro", "drop": 40},
                        "webhook_url": receiver.url,
                    },
                )
                assert made.status_code == 201, made.text
                secret = made.json()["secret"]
            for n, batch in enumerate(_nps_batches()):  # alternately through both servers
                server = servers[n % 2]
                with httpx.Client(base_url=server.url, headers=bearer(key), timeout=60) as c:
                    c.post("/v1/feedback", json={"items": batch}).raise_for_status()
                time.sleep(0.1)  # both workers poll between the batches

            deadline = time.monotonic() + 60
            while len(receiver.received) < 2:
                assert time.monotonic() < deadline, f"received {len(receiver.received)}"
                time.sleep(0.05)
            time.sleep(3.0)  # both servers keep polling: nothing is evaluated or sent again
            firings, deliveries, attempts = _rows(url)
            assert len(firings) == 1
            assert (firings[0].subject, firings[0].period) == ("plan:pro", week_label(1))
            (delivery,) = deliveries
            assert (delivery.status, delivery.attempts) == ("delivered", 2)
            assert [(a.attempt, a.status_code) for a in attempts] == [(1, 503), (2, 200)]
            first, second = receiver.received
            assert len(receiver.received) == 2
            assert first.body == second.body
            ids = {r.headers["X-FeedbackNLP-Delivery"] for r in receiver.received}
            assert ids == {delivery.id}
            document = json.loads(second.body)
            assert document["firing"]["id"] == firings[0].id
            assert verify_signature(secret, second.body, second.headers["X-FeedbackNLP-Signature"])
            logs = [server.log_tail(200_000) for server in servers]
            assert not any("alert worker step failed" in log for log in logs), logs
        finally:
            for server in servers:
                server.stop()
            receiver.stop()
