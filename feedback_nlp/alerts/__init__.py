"""Alerts: per-workspace rules, evaluated after ingest and mining, shown and sent to webhooks.

* :mod:`~feedback_nlp.alerts.rules` -- the rule kinds and their parameter constraints.
* :mod:`~feedback_nlp.alerts.evaluate` -- rules over an analytics frame -> signals (pure).
* :mod:`feedback_nlp.alert_records` (below the store, outside this package) -- rules, signals,
  firings, deliveries, attempts.
* :mod:`~feedback_nlp.alerts.signing` -- the HMAC-SHA256 signature header and its check.
* :mod:`~feedback_nlp.alerts.targets` -- which webhook hosts may be reached (the allow-list).
* :mod:`~feedback_nlp.alerts.http` and :mod:`~feedback_nlp.alerts.deliver` -- the outbox sender.
* :mod:`~feedback_nlp.alerts.service` -- what the API and the CLI call.
* :mod:`~feedback_nlp.alerts.worker` -- the background thread of the server.

Where evaluation runs: ingest (:mod:`feedback_nlp.ingest.service`) and mining
(:mod:`feedback_nlp.jobs.runner`) only mark the workspace due (one ``UPDATE``); the alert worker
evaluates due workspaces, debounced, over the server's incremental analytics state, and sends the
webhook outbox stored in the database (:mod:`feedback_nlp.store.alerts`).
"""
