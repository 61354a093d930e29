"""New feedback between mines: ingest queues an ``assign`` job that follows the taxonomy.

The hand-mined workspace of :mod:`tests.taxonomy.support`, with a registry whose centroids and
acceptance bars are worked out from the word-hash vectors of each theme's members (as
:meth:`~feedback_nlp.themes.registry.ThemeRegistry.update` does). After the edits (parcel merged
into delivery, greetings ignored, a battery seed), new items are stored and the job assigns them:

* "parcel late again today" is nearest the parcel theme (its words are those of p04 and p05),
  which was merged into delivery: it lands in delivery;
* "battery drains fast again" is as near the seed's members as they are to each other: the seed
  claims it (as mined, it is unassigned: no mined theme is near it);
* "thanks hello" is a greeting (its words are g01's): stored in the ignored theme, hidden;
* "invoice overcharged refund twice" shares no word with any theme: unassigned.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest
from sqlalchemy import select

from feedback_nlp.analytics.state import AnalyticsState
from feedback_nlp.domain import FeedbackFilter, UpsertResult
from feedback_nlp.embed.base import l2_normalise
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.ingest.service import IngestService
from feedback_nlp.jobs.assign import run_assign_job
from feedback_nlp.jobs.context import JobContext
from feedback_nlp.store import Store
from feedback_nlp.store.schema import jobs
from feedback_nlp.taxonomy.draft import ReplayContext
from feedback_nlp.taxonomy.replay import replay
from feedback_nlp.taxonomy.seed import claim_new_units
from feedback_nlp.themes.content import content_texts
from feedback_nlp.themes.registry import RegisteredTheme, ThemeRegistry
from tests.store.factory import item
from tests.taxonomy.support import (
    DELIVERY,
    GREETING,
    LABELS,
    PARCEL,
    WordEmbedder,
    corpus_items,
    hand_mine,
    mined_theme_of,
    remine_replay,
    service,
    sizes,
    themes_of_items,
)

SEED = "s_000003"  # the seed is the third edit
NEW_ITEMS = {
    "n-parcel": "parcel late again today",
    "n-battery": "battery drains fast again",
    "n-hello": "thanks hello",
    "n-far": "invoice overcharged refund twice",
}


def _registry(store: Store, workspace_id: int, embedder: WordEmbedder) -> ThemeRegistry:
    """The registry a mining run would register: centroids and 5% member-quantile bars."""
    registry = ThemeRegistry()
    items = store.mining_items(workspace_id, FeedbackFilter())
    vectors = embedder.encode(content_texts([it.text for it in items]))
    for theme_id, label in LABELS.items():
        rows = [i for i, it in enumerate(items) if mined_theme_of(it.external_id) == theme_id]
        centroid = l2_normalise(vectors[rows].mean(axis=0, keepdims=True))[0]
        sims = vectors[rows] @ centroid
        registry.themes_.append(
            RegisteredTheme(
                id=theme_id,
                label={"en": label},
                size=len(rows),
                accept_similarity=float(np.quantile(sims, registry.accept_quantile)),
                typical_similarity=float(np.median(sims)),
                active=True,
                members=frozenset(f"{items[i].item_id}:0" for i in rows),
                centroid=centroid,
            )
        )
    registry.next_id_ = len(LABELS) + 1
    return registry


@pytest.fixture
def embedder() -> WordEmbedder:
    return WordEmbedder()


@pytest.fixture
def ws(store: Store, embedder: WordEmbedder) -> int:
    """The corpus mined by hand with a registry, then edited: merge, ignore, seed."""
    ws = store.create_workspace("acme").id
    store.upsert_feedback(ws, corpus_items())
    hand_mine(store, ws, registry=_registry(store, ws, embedder))
    edits = service(store, ws, embedder)
    edits.merge([DELIVERY, PARCEL], keep=DELIVERY)
    edits.ignore(GREETING)
    edits.seed("Battery", ["battery drains"])
    return ws


def _store_new(store: Store, ws: int) -> UpsertResult:
    result = store.upsert_feedback(
        ws, [item(key, text, minutes=99) for key, text in NEW_ITEMS.items()]
    )
    store.queue_assignment(ws)  # what ingest does after the batch
    return result


def _assign(store: Store, embedder: WordEmbedder) -> dict[str, object]:
    job = store.claim_next_job("test-worker")
    assert job is not None
    assert job.kind == "assign"
    return run_assign_job(store, job, JobContext(store, job), embedder=embedder, sentiment=False)


def test_between_mines_new_units_follow_the_edited_taxonomy(
    store: Store, ws: int, embedder: WordEmbedder
) -> None:
    before = sizes(store, ws, include_ignored=True)
    assert _store_new(store, ws).created == 4
    assert {k: themes_of_items(store, ws).get(k) for k in NEW_ITEMS} == dict.fromkeys(NEW_ITEMS)
    result = _assign(store, embedder)
    found = themes_of_items(store, ws)
    assert {key: found[key] for key in NEW_ITEMS} == {
        "n-parcel": DELIVERY,
        "n-battery": SEED,
        "n-hello": GREETING,
        "n-far": None,
    }
    assert result["n_units"] == 4
    assert (result["n_assigned"], result["n_unassigned"], result["n_hidden"]) == (3, 1, 1)
    assert result["claimed_by_seeds"] == {SEED: 1}
    after = sizes(store, ws, include_ignored=True)
    assert after[DELIVERY] == before[DELIVERY] + 1
    assert after[SEED] == before[SEED] + 1
    assert after[GREETING] == before[GREETING] + 1
    seed = next(op for op in service(store, ws).operations() if op.kind == "seed")
    assert seed.effect["n_claimed"] == 6  # the 5 battery items and the new one, kept for replays


def test_between_mines_the_insights_count_the_new_units(
    store: Store, ws: int, embedder: WordEmbedder
) -> None:
    state = AnalyticsState()
    first = state.snapshot(store, ws)
    _store_new(store, ws)
    unassigned = state.snapshot(store, ws)  # the new items, without units yet
    assert unassigned.frame.n_items == first.frame.n_items + 4
    _assign(store, embedder)
    assigned = state.snapshot(store, ws)
    theme_ids = assigned.frame.theme_ids
    assert GREETING not in theme_ids  # ignored: its new unit is stored but hidden
    delivery, seeded = theme_ids.index(DELIVERY), theme_ids.index(SEED)
    assert int(assigned.frame.mentions[:, delivery].sum()) == 8 + 6 + 1
    assert int(assigned.frame.mentions[:, seeded].sum()) == 5 + 1
    assert assigned.frame.n_items == unassigned.frame.n_items
    state.close()


def test_between_mines_an_edit_afterwards_keeps_the_assignments(
    store: Store, ws: int, embedder: WordEmbedder
) -> None:
    _store_new(store, ws)
    _assign(store, embedder)
    edits = service(store, ws, embedder)
    edits.rename(DELIVERY, "Late deliveries")  # a replay on the same run, from the mined themes
    found = themes_of_items(store, ws)
    assert (found["n-parcel"], found["n-battery"], found["n-far"]) == (DELIVERY, SEED, None)
    edits.undo()  # the rename
    edits.undo()  # the seed: the battery units go back to the pool, the new one with them
    assert themes_of_items(store, ws)["n-battery"] is None


def test_between_mines_a_remine_afterwards_replays_every_edit(
    store: Store, ws: int, embedder: WordEmbedder
) -> None:
    _store_new(store, ws)
    _assign(store, embedder)
    by_key = {"n-parcel": PARCEL, "n-hello": GREETING}

    def theme_of(it: object) -> str | None:
        external_id = str(getattr(it, "external_id", ""))
        return by_key.get(external_id) if external_id.startswith("n-") else None

    def mined(it: object) -> str | None:
        external_id = str(getattr(it, "external_id", ""))
        return theme_of(it) if external_id.startswith("n-") else mined_theme_of(external_id)

    hand_mine(store, ws, mined, replay=remine_replay(store, ws, embedder))
    found = themes_of_items(store, ws)
    assert {key: found[key] for key in NEW_ITEMS} == {
        "n-parcel": DELIVERY,
        "n-battery": SEED,
        "n-hello": GREETING,
        "n-far": None,
    }
    report = [op.status for op in service(store, ws).operations()]
    assert report == ["applied", "applied", "applied"]
    assert GREETING not in sizes(store, ws)


def test_between_mines_nothing_to_do_without_new_items(
    store: Store, ws: int, embedder: WordEmbedder
) -> None:
    assert store.queue_assignment(ws)
    assert not store.queue_assignment(ws)  # one waits already: the batches coalesce
    result = _assign(store, embedder)
    assert (result["n_items"], result["n_units"]) == (0, 0)


def test_between_mines_never_queued_before_the_first_mine(store: Store) -> None:
    ws = store.create_workspace("fresh").id
    store.upsert_feedback(ws, corpus_items())
    assert not store.queue_assignment(ws)
    with store.engine.connect() as connection:
        assert connection.execute(select(jobs.c.id).where(jobs.c.workspace_id == ws)).all() == []


def test_between_mines_a_job_with_parameters_is_refused(store: Store, ws: int) -> None:
    job = store.create_job(ws, "assign", {"mode": "fast"})
    claimed = store.claim_next_job("test-worker")
    assert claimed is not None
    assert claimed.id == job.id
    with pytest.raises(InvalidInputError, match="takes no parameters"):
        run_assign_job(store, claimed, JobContext(store, claimed), sentiment=False)


def test_between_mines_ingest_queues_one_assignment_per_waiting_batch(
    store: Store, ws: int
) -> None:
    from feedback_nlp.text.langid import LanguageIdentifier
    from feedback_nlp.text.pii import PiiRedactor

    ingest = IngestService(store, PiiRedactor(), LanguageIdentifier(), max_text_chars=200)
    for k in range(3):
        ingest.ingest(ws, [{"id": f"x{k}", "text": "parcel late again", "nps": 3}])
    with store.engine.connect() as connection:
        kinds = connection.execute(
            select(jobs.c.kind, jobs.c.state).where(jobs.c.workspace_id == ws)
        ).all()
    assert [tuple(row) for row in kinds] == [("assign", "queued")]


def test_seed_claim_new_units_by_examples_or_members() -> None:
    examples = np.array([[1.0, 0.0, 0.0]], dtype=np.float32)
    members = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    new = np.array(
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.6, 0.0, 0.8]], dtype=np.float32
    )
    # near the example, near the members, near neither, 0.6 to the example (below 0.7)
    assert claim_new_units(new, examples, members, 0.7).tolist() == [True, True, False, False]
    nobody = np.empty((0, 3), dtype=np.float32)
    assert claim_new_units(new, examples, nobody, 0.7).tolist() == [True, False, False, False]


def _replay_is_a_no_op(store: Store, ws: int) -> None:
    """Replaying no edit on every stored unit would change no unit and no theme column."""
    with store.engine.connect() as connection:
        base = store.read_base(connection, ws)
    result = replay(base, [], ReplayContext(vectors=_no_vectors))
    assert result.assigned == base.units.current
    assert not result.removed
    for theme_id, theme in result.themes.items():
        assert theme.written() == base.themes[theme_id].written(), theme_id


def _no_vectors(keys: Sequence[str], texts: Sequence[str]) -> npt.NDArray[np.float32]:
    raise AssertionError(f"a replay without edits needs no vectors: {len(keys)}, {texts!r}")


def test_between_mines_without_edits_writes_what_a_full_replay_would(
    store: Store, embedder: WordEmbedder
) -> None:
    """With no edit to replay, the pass writes what a replay of every unit would write.

    It leaves the run's other units unread; the themes' sizes and languages grow by the new units.
    """
    ws = store.create_workspace("plain").id
    store.upsert_feedback(ws, corpus_items())
    hand_mine(store, ws, registry=_registry(store, ws, embedder))
    _replay_is_a_no_op(store, ws)  # as mined
    before, marks = sizes(store, ws), store.analytics_marks(ws).units_key()
    _store_new(store, ws)
    result = _assign(store, embedder)
    assert result["n_units"] == 4
    found = themes_of_items(store, ws)
    assert found["n-parcel"] == PARCEL  # as mined: there is no merge to follow
    assert (found["n-battery"], found["n-far"]) == (None, None)
    after = sizes(store, ws)
    assert after[PARCEL] == before[PARCEL] + 1
    assert after[GREETING] == before[GREETING] + 1
    _replay_is_a_no_op(store, ws)  # sizes and languages are those a replay counts
    # no unit changed theme: the analytics state merges the new units, it does not reload
    assert store.analytics_marks(ws).units_key() == marks
