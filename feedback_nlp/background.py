"""A background loop: a daemon thread that runs one step at a time until asked to stop.

The job worker (:mod:`feedback_nlp.jobs.worker`) and the alert worker
(:mod:`feedback_nlp.alerts.worker`) are both such a loop around their own step. A step returns
whether it found work (then the next one runs at once) or not (then the loop waits ``poll_s``
seconds, or until :meth:`BackgroundLoop.notify`). An exception in a step is logged and the loop
goes on: a database that is briefly away must not end a server's workers. :meth:`stop` asks the
thread to stop after its current step and waits for it; the thread is a daemon, so a step that
outlasts the wait never keeps the process from exiting.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["BackgroundLoop"]


class BackgroundLoop:
    """Runs ``step`` in a daemon thread until :meth:`stop`.

    Args:
        name: The thread's name.
        step: One round of work; returns whether it found work (run again without waiting).
        poll_s: Seconds to wait after a step that found nothing.
        logger: Where a failed step is logged (the worker's own logger).
        failure: What the log says when a step raises.
        wait_first: Wait ``poll_s`` before the first step too (the alert worker: at start
            nothing is due yet).
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], bool],
        *,
        poll_s: float,
        logger: logging.Logger,
        failure: str,
        wait_first: bool = False,
    ) -> None:
        self.name = name
        self.step = step
        self.poll_s = poll_s
        self.logger = logger
        self.failure = failure
        self.wait_first = wait_first
        self.stop_event = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def stopping(self) -> bool:
        """Whether :meth:`stop` was called (a long step may check it between stages)."""
        return self.stop_event.is_set()

    def start(self) -> None:
        """Start the thread (a no-op while it runs)."""
        if self.running:
            return
        self.stop_event.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Run the next step now instead of at the end of the current wait."""
        self._wake.set()

    def stop(self, timeout: float) -> bool:
        """Ask the thread to stop after its current step; returns whether it ended in time."""
        self.stop_event.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        busy = not self.wait_first
        while not self.stop_event.is_set():
            if not busy:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                if self.stop_event.is_set():
                    break
            try:
                busy = self.step()
            except Exception:  # the loop must survive a database hiccup
                self.logger.exception(self.failure)
                busy = False
