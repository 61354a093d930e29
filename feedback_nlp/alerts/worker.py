"""The alert worker: a background thread that evaluates due workspaces and sends the outbox.

Every ``poll_s`` seconds it asks the store which workspaces' data changed since their rules were
last evaluated (:meth:`~feedback_nlp.store.alert_schedule.AlertScheduleStore.alerts_due`, at
most once per ``debounce_s`` each), evaluates those over the frame source (the server's
incremental analytics state), then sends the due webhook deliveries
(:class:`~feedback_nlp.alerts.deliver.Deliverer`). Ingest and mining never evaluate inline: they
only mark the workspace due, one cheap ``UPDATE``. Several servers may run workers over one
database: an evaluation is claimed per workspace and a delivery per lease, so none is done twice
at once. The thread is a :class:`~feedback_nlp.background.BackgroundLoop`, like the job
worker's.
"""

from __future__ import annotations

import logging

from feedback_nlp.alerts.deliver import Deliverer
from feedback_nlp.alerts.service import AlertService, FrameSource
from feedback_nlp.background import BackgroundLoop
from feedback_nlp.settings import AlertSettings
from feedback_nlp.store.store import Store

__all__ = ["AlertWorker", "run_alerts_once"]

logger = logging.getLogger(__name__)


def run_alerts_once(
    store: Store, settings: AlertSettings, frame_of: FrameSource
) -> tuple[int, int]:
    """Evaluate every due workspace, then send the due deliveries.

    Returns:
        ``(new firings, deliveries tried)``.
    """
    fired = 0
    for workspace_id in store.alerts_due(settings.debounce_s):
        try:
            made = AlertService(store, workspace_id).evaluate_if_due(frame_of)
        except Exception:  # one workspace's failure must not stop the others' alerts
            logger.exception("alert evaluation of workspace %d failed", workspace_id)
            continue
        fired += len(made or [])
    return fired, Deliverer(store, settings).deliver_due()


class AlertWorker:
    """Runs :func:`run_alerts_once` every ``settings.poll_s`` seconds in a daemon thread.

    Args:
        store: The store.
        settings: Polling, debounce, retry schedule.
        frame_of: Where the frames come from.
    """

    def __init__(self, store: Store, settings: AlertSettings, frame_of: FrameSource) -> None:
        self.store = store
        self.settings = settings
        self.frame_of = frame_of
        self._loop = BackgroundLoop(
            "feedback-nlp-alerts",
            self._step,
            poll_s=settings.poll_s,
            logger=logger,
            failure="alert worker step failed",
            wait_first=True,
        )

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._loop.running

    def start(self) -> None:
        """Start the thread (no-op when running)."""
        self._loop.start()

    def notify(self) -> None:
        """Run the next step now rather than at the next tick (new firings to send)."""
        self._loop.notify()

    def stop(self, timeout: float = 15.0) -> bool:
        """Ask the thread to stop after its current step; returns whether it did in time."""
        return self._loop.stop(timeout)

    def _step(self) -> bool:
        run_alerts_once(self.store, self.settings, self.frame_of)
        return False  # wait poll_s before the next look
