"""Prometheus metrics of one app: its own registry, a timing middleware, a jobs collector.

Every app gets a fresh :class:`~prometheus_client.CollectorRegistry`, so two apps in one process
(tests) never share or double-register metrics. Routes are labelled by their path template
(``/v1/themes/{theme_id}``), never the raw path, so label cardinality stays bounded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled")


class ApiMetrics:
    """The metrics one app exposes at ``GET /metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "feedback_nlp_http_requests",
            "HTTP requests handled, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "feedback_nlp_http_request_duration_seconds",
            "Time from request start to the end of the response, by method and route template.",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.items = Counter(
            "feedback_nlp_items_ingested",
            "Feedback items received by POST /v1/feedback, by result.",
            ["result"],
            registry=self.registry,
        )
        for result in ("created", "updated", "unchanged", "rejected"):
            self.items.labels(result=result)

    def watch_jobs(self, count_by_state: Callable[[], Mapping[str, int]]) -> None:
        """Expose ``feedback_nlp_jobs{state}``, read from ``count_by_state`` at each scrape."""
        self.registry.register(_JobsCollector(count_by_state))


class _JobsCollector(Collector):
    def __init__(self, count_by_state: Callable[[], Mapping[str, int]]) -> None:
        self._count_by_state = count_by_state

    def collect(self) -> Iterator[Metric]:
        counts = self._count_by_state()
        family = GaugeMetricFamily(
            "feedback_nlp_jobs", "Jobs in the store, by state (all workspaces).", labels=["state"]
        )
        for state in sorted(set(JOB_STATES) | set(counts)):
            family.add_metric([state], float(counts.get(state, 0)))
        yield family

    def describe(self) -> Iterator[Metric]:
        # Describing without collecting keeps registration free of database queries.
        yield GaugeMetricFamily("feedback_nlp_jobs", "", labels=["state"])


class MetricsMiddleware:
    """Count and time every HTTP request by route template and status."""

    def __init__(self, app: ASGIApp, *, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; record the status it answered and the time it took."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = _route_template(scope)
            method = str(scope.get("method", ""))
            self.metrics.requests.labels(method=method, route=route, status=str(status)).inc()
            self.metrics.latency.labels(method=method, route=route).observe(
                time.perf_counter() - started
            )


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
