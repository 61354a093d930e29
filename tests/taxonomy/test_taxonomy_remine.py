"""Re-mining keeps the analysts' edits: hand-made runs, and real mining jobs (word-hash vectors)."""

from __future__ import annotations

from collections import Counter

import pytest

from feedback_nlp.domain import FeedbackFilter, MiningItem
from feedback_nlp.jobs import run_mine_job
from feedback_nlp.settings import Settings
from feedback_nlp.store import Store
from tests.store.factory import item
from tests.taxonomy.support import (
    ACCOUNT,
    DELIVERY,
    GREETING,
    PARCEL,
    WordEmbedder,
    hand_mine,
    mined_theme_of,
    mined_workspace,
    remine_replay,
    service,
    sizes,
    themes_of_items,
)

NEW_ITEMS = [
    ("p50", "parcel arrived late today"),
    ("d50", "delivery late once more"),
    ("a50", "password reset email missing again"),
    ("a51", "login page crashes every time"),
    ("g50", "hello thanks"),
    ("b50", "battery drains overnight again"),
]


def _remine(store: Store, ws: int, theme_of=None) -> dict:  # type: ignore[no-untyped-def]
    replay = remine_replay(store, ws, WordEmbedder())
    hand_mine(store, ws, theme_of, replay=replay)
    return replay.report


def test_remine_replays_every_edit_on_the_new_run(store: Store) -> None:
    ws = mined_workspace(store)
    edits = service(store, ws)
    edits.merge([DELIVERY, PARCEL], label="Late deliveries")
    edits.split(ACCOUNT, 2, labels=["Password e-mails", "Login crashes"])
    edits.ignore(GREETING)
    edits.seed("Battery", ["battery drains"])
    edits.move(to=None, items=["d03"])
    store.upsert_feedback(ws, [item(i, text, minutes=99) for i, text in NEW_ITEMS])

    report = _remine(store, ws)

    assert report == {"operations": 5, "applied": 5, "partial": 0, "skipped": 0, "not_applied": []}
    items = themes_of_items(store, ws)
    assert items["p50"] == items["d50"] == DELIVERY  # merged stays merged, new items too
    assert items["d03"] is None  # moved stays moved
    assert (items["a50"], items["a51"]) == ("c_000002_1", "c_000002_2")  # nearest child
    assert items["b50"] == "s_000004"  # the seed claims new matching units
    assert items["g50"] == GREETING
    listed = {t.theme_id: t for t in store.list_themes(ws)}
    assert GREETING not in listed  # ignored stays ignored
    assert listed[DELIVERY].display_label == "Late deliveries"
    assert listed["c_000002_1"].display_label == "Password e-mails"
    assert (listed["s_000004"].display_label, listed["s_000004"].size) == ("Battery", 6)
    assert listed[DELIVERY].size == 8 + 6 + 2 - 1
    assert PARCEL not in listed
    assert store.get_theme(ws, PARCEL).theme.retired_by_op == 1
    runs = {op.run_id for op in edits.operations()}
    assert len(runs) == 1  # every operation was applied to the second run
    assert GREETING not in store.analytics_records(ws).theme_ids


def test_remine_reports_edits_whose_themes_vanished(store: Store) -> None:
    ws = mined_workspace(store)
    edits = service(store, ws)
    edits.merge([DELIVERY, PARCEL], keep=DELIVERY)
    edits.ignore(GREETING)
    edits.rename(ACCOUNT, "Account")

    def without_parcel_and_greetings(it: MiningItem) -> str | None:
        theme = mined_theme_of(it.external_id)
        return None if theme in (PARCEL, GREETING) else theme

    report = _remine(store, ws, without_parcel_and_greetings)

    assert (report["applied"], report["skipped"]) == (1, 2)
    notes = {entry["seq"]: (entry["status"], entry["note"]) for entry in report["not_applied"]}
    run = store.list_operations(ws)[0].run_id
    assert notes == {
        1: ("skipped", f"nothing to merge: {PARCEL} is not in mining run {run}"),
        2: ("skipped", f"the ignored theme {GREETING} is not in mining run {run}"),
    }
    statuses = {op.seq: (op.status, op.note) for op in store.list_operations(ws)}
    assert statuses[1] == notes[1]
    assert statuses[3] == ("applied", None)
    assert store.get_theme(ws, ACCOUNT).theme.display_label == "Account"
    # the themes come back in a later run: the edits apply again
    assert _remine(store, ws)["applied"] == 3
    assert GREETING not in sizes(store, ws)
    assert sizes(store, ws)[DELIVERY] == 14


def test_remine_moved_unit_goes_back_when_its_text_changed(store: Store) -> None:
    ws = mined_workspace(store)
    service(store, ws).move(to=PARCEL, items=["d01", "d02"])
    store.upsert_feedback(ws, [item("d01", "delivery came late, twice", minutes=1)])
    report = _remine(store, ws)
    items = themes_of_items(store, ws)
    assert (items["d01"], items["d02"]) == (DELIVERY, PARCEL)
    [entry] = report["not_applied"]
    assert entry["status"] == "partial"
    assert "1 unit(s) whose text changed" in entry["note"]


def test_remine_undo_after_a_remine_replays_on_the_new_run(store: Store) -> None:
    ws = mined_workspace(store)
    edits = service(store, ws)
    edits.seed("Battery", ["battery drains"])
    edits.merge([DELIVERY, PARCEL])
    store.upsert_feedback(ws, [item(i, text, minutes=99) for i, text in NEW_ITEMS])
    _remine(store, ws)
    edits.undo(2)
    items = themes_of_items(store, ws)
    assert (items["p50"], items["d50"], items["b50"]) == (PARCEL, DELIVERY, "s_000001")
    assert sizes(store, ws)[PARCEL] == 7


@pytest.mark.slow
def test_remine_with_real_mining_jobs_keeps_the_edits(store: Store) -> None:
    embedder = WordEmbedder()
    settings = Settings(models={"embedder": embedder.name})  # type: ignore[arg-type]
    ws = mined_workspace(store)

    def mine() -> dict:  # type: ignore[type-arg]
        job = store.create_job(ws, "mine", {"n_resamples": 0, "min_theme_size": 4})
        claimed = store.claim_next_job()
        assert claimed is not None
        result = run_mine_job(store, claimed, settings, embedder=embedder, sentiment=False)
        store.finish_job(job.id, "succeeded", result=result)
        return result

    first = mine()
    assert first["taxonomy"]["operations"] == 0
    found = [t for t in store.list_themes(ws) if t.level == 0]
    by_size = sorted(found, key=lambda t: -t.size)
    keep, merged = by_size[0].theme_id, by_size[1].theme_id
    edits = service(store, ws, embedder)
    edits.merge([keep, merged], label="Biggest two")
    edits.seed("Battery", ["battery drains"], threshold=0.5)
    moved = next(iter(store.list_feedback(ws, FeedbackFilter(theme_id=keep), limit=1).items))
    edits.move(to=None, items=[moved.external_id])
    store.upsert_feedback(ws, [item(i, text, minutes=99) for i, text in NEW_ITEMS])

    second = mine()

    assert second["taxonomy"]["applied"] == 3, second["taxonomy"]
    themes = {t.theme_id: t for t in store.list_themes(ws, include_inactive=True)}
    assert themes[keep].display_label == "Biggest two"
    assert not themes[merged].active
    battery = Counter(
        theme for item_id, theme in themes_of_items(store, ws).items() if item_id[0] == "b"
    )
    assert battery == Counter({"s_000002": 6})
    assert themes_of_items(store, ws)[moved.external_id] is None
