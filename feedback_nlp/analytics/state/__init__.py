"""Per-workspace analytics state that is updated, not rebuilt: immutable snapshots, swapped.

:class:`AnalyticsState` keeps one :class:`Snapshot` per workspace: a
:class:`~feedback_nlp.analytics.frame.FeedbackFrame` with the watermarks it was read up to, and a
memo of answers computed over it. How a snapshot follows the database:

* **Writes** (the API, ``feedback-nlp ingest`` in another process, anything): every item insert
  and update sets ``updated_at``; the cheap marks (:class:`~feedback_nlp.store.analytics.
  AnalyticsMarks`) show that something changed, and only the items with a larger id or a newer
  ``updated_at`` than the snapshot's watermarks are read, with their units, and merged in
  (:func:`~feedback_nlp.analytics.merge.merge_frame`).
* **Mining runs and theme edits** change the latest run id or the themes' ``updated_at``: every
  unit's theme may have changed, so the snapshot is rebuilt from all rows.
* **Repair**: every ``repair_interval`` seconds a refresh re-reads the items updated within
  ``repair_overlap`` before the watermark (a transaction that committed after a later one) and
  compares the item count with the database's; a missing item is fetched, a deleted one causes a
  rebuild.

Readers never wait for a writer: a request refreshes the snapshot only if no other request is
refreshing it; otherwise it answers from the current snapshot. Only the very first request of a
workspace (no snapshot yet) waits for the load. A snapshot is never changed once published, so a
reader sees one consistent state (never half of a mining run).

Restarts: with a ``directory``, each workspace's state is saved (:mod:`~feedback_nlp.analytics.
persist`) after a rebuild and at most every ``persist_interval`` seconds after merges, in a
background thread, and the first request after a start loads it and catches up from its
watermarks instead of reading every row. A snapshot that is damaged, half written or of another
database is ignored (rebuilt); a SIGKILL at any point loses nothing, since the database is the
source of truth and the watermarks say what to re-read.

The parts, one module each: :mod:`~feedback_nlp.analytics.state.analytics_state` (the
:class:`AnalyticsState` readers ask), :mod:`~feedback_nlp.analytics.state.building` (rebuild,
merge, repair), :mod:`~feedback_nlp.analytics.state.saving` (publish, save, load),
:mod:`~feedback_nlp.analytics.state.snapshot` (the :class:`Snapshot` and its workspace's entry),
:mod:`~feedback_nlp.analytics.state.memo` (answers memoised over a snapshot) and
:mod:`~feedback_nlp.analytics.state.source` (the :class:`StateSource` rows come from).
"""

from feedback_nlp.analytics.state.analytics_state import AnalyticsState
from feedback_nlp.analytics.state.snapshot import Snapshot
from feedback_nlp.analytics.state.source import StateSource

__all__ = ["AnalyticsState", "Snapshot", "StateSource"]
