"""Send the webhook outbox: claim a due delivery, POST it signed, log the attempt, retry later.

Delivery is **at least once, and once in practice**: a delivery is sent until a receiver answers
2xx, then never again
(:meth:`~feedback_nlp.store.alert_outbox.AlertOutboxStore.finish_attempt` marks it delivered and
a delivered row is never claimed). Only a deliverer that dies between the 2xx and
that write sends it twice, after its lease ends; the ``X-FeedbackNLP-Delivery`` id, the same at
every try, lets a receiver drop such a repeat. A failure (no answer, or not 2xx) is retried after
:func:`retry_delay`: ``retry_base_s`` doubling per attempt up to ``retry_max_s``; after
``max_attempts`` tries the delivery is ``failed`` (its log says why).

A target the allow-list refuses at delivery time (its host now resolves to a loopback or private
address: :mod:`~feedback_nlp.alerts.targets`) is never connected to; the attempt is logged as a
warning and recorded like any failure ("Refused by the webhook allow-list: ..."), so a fixed
allow-list or DNS record lets a later retry through.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from feedback_nlp import __version__
from feedback_nlp.alert_records import ClaimedDelivery
from feedback_nlp.alerts.http import PostAnswer, post
from feedback_nlp.alerts.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign
from feedback_nlp.alerts.targets import WebhookTargets
from feedback_nlp.settings import AlertSettings
from feedback_nlp.store.alerts import AlertStore
from feedback_nlp.store.base import utcnow

__all__ = ["EVENT", "Deliverer", "retry_delay", "targets_of"]

logger = logging.getLogger(__name__)

EVENT = "alert.fired"


def retry_delay(attempt: int, *, base_s: float, max_s: float) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1, 2, ...).

    ``base_s * 2^(attempt - 1)``, at most ``max_s``.
    """
    return float(min(max_s, base_s * 2.0 ** min(attempt - 1, 60)))


def targets_of(settings: AlertSettings) -> WebhookTargets:
    """The webhook target policy of ``settings`` (``webhook_allow``, ``webhook_public``)."""
    return WebhookTargets.from_entries(settings.webhook_allow, public=settings.webhook_public)


class Deliverer:
    """Sends due deliveries of every workspace, one at a time.

    Args:
        store: The store holding the outbox.
        settings: Timeouts, leases, the retry schedule and the webhook allow-list.
    """

    def __init__(self, store: AlertStore, settings: AlertSettings) -> None:
        self.store = store
        self.settings = settings
        self.targets = targets_of(settings)

    def deliver_due(self, limit: int = 100) -> int:
        """Send up to ``limit`` due deliveries; returns how many were tried."""
        tried = 0
        while tried < limit:
            claimed = self.store.claim_delivery(self.settings.lease_s)
            if claimed is None:
                break
            self.send(claimed)
            tried += 1
        return tried

    def send(self, claimed: ClaimedDelivery) -> PostAnswer:
        """POST one claimed delivery, signed, and settle it in the store."""
        body = claimed.body.encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"feedback-nlp/{__version__}",
            SIGNATURE_HEADER: sign(claimed.secret, body),
            DELIVERY_HEADER: claimed.id,
            EVENT_HEADER: EVENT,
        }
        at = utcnow()
        answer = post(
            claimed.url, body, headers, timeout_s=self.settings.timeout_s, targets=self.targets
        )
        attempt = claimed.attempts + 1
        retry_at = None
        if not answer.ok and attempt < self.settings.max_attempts:
            wait = retry_delay(
                attempt, base_s=self.settings.retry_base_s, max_s=self.settings.retry_max_s
            )
            retry_at = utcnow() + timedelta(seconds=wait)
        held = self.store.finish_attempt(
            claimed,
            at=at,
            status_code=answer.status_code,
            error=answer.error,
            duration_ms=answer.duration_ms,
            retry_at=retry_at,
        )
        if answer.refused:
            logger.warning("webhook delivery %s attempt %d: %s", claimed.id, attempt, answer.error)
        elif not answer.ok:
            logger.info(
                "webhook delivery %s attempt %d failed: %s", claimed.id, attempt, answer.error
            )
        if not held:
            logger.warning(
                "webhook delivery %s outlived its lease (another deliverer has it)", claimed.id
            )
        return answer
