"""Dependencies of the alert routes, and the frame source the server evaluates rules over.

The server evaluates over its incremental analytics state (:mod:`api.analytics_deps`), the
same frames the insight routes answer from, so an evaluation after an ingest batch reads only
what changed. A large workspace's snapshot may lag behind while a background refresh catches
up; the workspace is then marked due again, so its rules also see the data the refresh brings.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.deps import SettingsDep, StoreDep, WorkspaceDep
from api.taxonomy_deps import ActorDep
from feedback_nlp.alerts.deliver import targets_of
from feedback_nlp.alerts.service import AlertService, FrameSource
from feedback_nlp.analytics.frame import FeedbackFrame
from feedback_nlp.analytics.state import AnalyticsState
from feedback_nlp.store.store import Store

__all__ = ["AlertServiceDep", "get_alert_service", "state_frame_source"]


def state_frame_source(state: AnalyticsState, store: Store) -> FrameSource:
    """Frames from the analytics state; a snapshot that lags marks the workspace due again."""

    def frame_of(workspace_id: int) -> FeedbackFrame:
        marks = store.analytics_marks(workspace_id)
        snapshot = state.snapshot(store, workspace_id)
        if snapshot.marks != marks:  # a background refresh is bringing newer rows
            store.mark_alerts_due(workspace_id)
        return snapshot.frame

    return frame_of


def get_alert_service(
    workspace: WorkspaceDep, store: StoreDep, actor: ActorDep, settings: SettingsDep
) -> AlertService:
    """The alert service of the key's workspace, acting as the key's name.

    New webhook URLs are checked against the server's allow-list (``alerts.webhook_allow``).
    """
    return AlertService(store, workspace.id, actor=actor, targets=targets_of(settings.alerts))


AlertServiceDep = Annotated[AlertService, Depends(get_alert_service)]
