"""Each taxonomy edit through the service, on SQLite and PostgreSQL: effects, errors, undo."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from feedback_nlp.analytics.state import AnalyticsState
from feedback_nlp.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    TaxonomyEditError,
)
from feedback_nlp.store import Store
from feedback_nlp.taxonomy.service import TaxonomyService
from tests.taxonomy.support import (
    ACCOUNT,
    DELIVERY,
    GREETING,
    PARCEL,
    WordEmbedder,
    external_ids,
    mined_workspace,
    service,
    sizes,
    themes_of_items,
)


@pytest.fixture
def ws(store: Store) -> int:
    return mined_workspace(store)


def test_service_merge_keeps_the_chosen_id_and_label(store: Store, ws: int) -> None:
    done = service(store, ws).merge([PARCEL, DELIVERY], keep=DELIVERY, label="Late deliveries")
    assert (done.operation.seq, done.operation.status, done.units_moved) == (1, "applied", 6)
    assert sizes(store, ws) == {DELIVERY: 14, ACCOUNT: 12, GREETING: 5}
    kept = store.get_theme(ws, DELIVERY)
    assert (kept.theme.display_label, kept.n_units) == ("Late deliveries", 14)
    assert {q["external_id"][0] for q in kept.theme.quotes} == {"d", "p"}  # both themes' quotes
    gone = store.get_theme(ws, PARCEL).theme
    assert (gone.active, gone.retired_by_op, gone.size) == (False, 1, 6)
    assert all(
        theme == DELIVERY for item, theme in themes_of_items(store, ws).items() if item[0] in "dp"
    )
    [op] = service(store, ws).operations()
    assert (op.kind, op.actor, op.params["keep"], op.params["previous_label"]) == (
        "merge",
        "ana",
        DELIVERY,
        None,
    )
    assert [e.event for e in store.theme_history(ws, PARCEL)][-1] == "merged"


@pytest.mark.parametrize(
    ("theme_ids", "error", "message"),
    [
        ([DELIVERY, DELIVERY], TaxonomyEditError, "cannot be merged with itself"),
        ([DELIVERY], TaxonomyEditError, "at least two different themes"),
        ([DELIVERY, "t_999999"], NotFoundError, "No theme has the id 't_999999'"),
    ],
)
def test_service_merge_rejects_bad_input(
    store: Store, ws: int, theme_ids: list[str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        service(store, ws).merge(theme_ids)
    assert service(store, ws).operations() == []


def test_service_merge_across_workspaces_finds_no_theme(store: Store, ws: int) -> None:
    other = store.create_workspace("globex").id
    with pytest.raises(NotFoundError, match="in this workspace"):
        service(store, other).merge([DELIVERY, PARCEL])
    assert sizes(store, ws)[PARCEL] == 6


def test_service_merge_of_a_merged_theme_is_a_conflict(store: Store, ws: int) -> None:
    service(store, ws).merge([DELIVERY, PARCEL])
    with pytest.raises(ConflictError, match="emptied by taxonomy operation 1"):
        service(store, ws, actor="bo").merge([ACCOUNT, PARCEL])


def test_service_concurrent_merges_of_one_theme_are_serialised(store: Store, ws: int) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def merge(keep: str) -> None:
        barrier.wait()
        try:
            outcomes.append(service(store, ws).merge([keep, PARCEL], keep=keep))
        except ConflictError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=merge, args=(keep,)) for keep in (DELIVERY, ACCOUNT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(type(o).__name__ for o in outcomes) == ["ConflictError", "EditOutcome"]
    [won] = [o for o in outcomes if not isinstance(o, ConflictError)]
    assert [op.seq for op in service(store, ws).operations()] == [1]
    assert sizes(store, ws)[won.operation.params["keep"]] in (14, 18)


def test_service_expected_seq_must_be_the_latest(store: Store, ws: int) -> None:
    service(store, ws).ignore(GREETING, expected_seq=0)
    with pytest.raises(ConflictError, match="changed since operation 0: the latest is 1"):
        service(store, ws).merge([DELIVERY, PARCEL], expected_seq=0)
    assert service(store, ws).merge([DELIVERY, PARCEL], expected_seq=1).operation.seq == 2


def test_service_checks_seq_bounds_as_the_api_declares_them(store: Store, ws: int) -> None:
    edits = service(store, ws)
    with pytest.raises(InvalidInputError, match="'expected_seq' parameter of TaxonomyService"):
        edits.ignore(GREETING, expected_seq=-1)
    with pytest.raises(InvalidInputError, match=r"'seq' parameter of TaxonomyService\.undo"):
        edits.undo(0)
    with pytest.raises(InvalidInputError, match=r"'seq' parameter of TaxonomyService\.redo"):
        edits.redo(-2)
    with pytest.raises(InvalidInputError, match=r"'unit index' parameter of TaxonomyService\.move"):
        edits.move(to=PARCEL, units=[("d01", -1)])
    assert edits.operations() == []


def test_service_split_applies_what_the_preview_showed(store: Store, ws: int) -> None:
    embedder = WordEmbedder()
    edits = service(store, ws, embedder)
    preview = edits.preview_split(ACCOUNT, 2)
    assert service(store, ws).operations() == []  # a preview writes nothing
    shown = [(c["theme_id"], c["size"], c["label"]) for c in preview.children]
    assert shown == [
        ("c_000001_1", 6, {"en": "password reset email"}),
        ("c_000001_2", 6, {"en": "login page crashes"}),
    ]
    done = edits.split(ACCOUNT, 2, labels=["Password e-mails"])
    assert done.operation.params["children"] == ["c_000001_1", "c_000001_2"]
    children = {t.theme_id: t for t in store.list_themes(ws) if t.origin == "split"}
    assert {tid: (t.size, t.display_label) for tid, t in children.items()} == {
        "c_000001_1": (6, "Password e-mails"),
        "c_000001_2": (6, "login page crashes"),
    }
    assert all("password" in q["text"] for q in children["c_000001_1"].quotes)
    items = themes_of_items(store, ws)
    assert {items[i] for i in external_ids()[ACCOUNT][:6]} == {"c_000001_1"}
    assert store.get_theme(ws, ACCOUNT).theme.retired_by_op == 1
    # the units' vectors came from the workspace's cache the second time
    assert sum(len(call) for call in embedder.calls) == 12


def test_service_split_below_twice_the_smallest_theme_is_refused(store: Store, ws: int) -> None:
    with pytest.raises(TaxonomyEditError, match=r"has 6 units; splitting it into 2 needs .* 10"):
        service(store, ws).preview_split(PARCEL, 2)
    with pytest.raises(TaxonomyEditError, match="needs at least 3 x 5 = 15"):
        service(store, ws).split(ACCOUNT, 3)
    with pytest.raises(TaxonomyEditError, match=r"'k' parameter of a split must be an int"):
        service(store, ws).split(ACCOUNT, 1)


def test_service_move_a_quote_and_an_item(store: Store, ws: int) -> None:
    edits = service(store, ws)
    quote = store.get_theme(ws, DELIVERY).theme.quotes[0]["external_id"]
    done = edits.move(to=PARCEL, units=[(quote, 0)])
    assert (done.operation.status, done.units_moved) == ("applied", 1)
    assert themes_of_items(store, ws)[quote] == PARCEL
    assert quote not in {q["external_id"] for q in store.get_theme(ws, DELIVERY).theme.quotes}
    edits.move(to=None, items=["b00"])  # already unassigned: recorded, nothing changes
    edits.move(to=None, items=["g01"])
    assert themes_of_items(store, ws)["g01"] is None
    assert sizes(store, ws) == {ACCOUNT: 12, DELIVERY: 7, PARCEL: 7, GREETING: 4}
    with pytest.raises(NotFoundError, match="'nope' has no units"):
        edits.move(to=PARCEL, items=["nope"])
    with pytest.raises(NotFoundError, match="no unit 3"):
        edits.move(to=PARCEL, units=[("d01", 3)])
    with pytest.raises(TaxonomyEditError, match="at least one unit"):
        edits.move(to=PARCEL)


def test_service_ignore_hides_a_theme_from_the_insights(store: Store, ws: int) -> None:
    before = store.analytics_records(ws)
    assert GREETING in before.theme_ids
    service(store, ws).ignore(GREETING)
    assert GREETING not in sizes(store, ws)
    assert sizes(store, ws, include_ignored=True)[GREETING] == 5
    after = store.analytics_records(ws)
    assert GREETING not in after.theme_ids
    assert GREETING not in set(after.units["theme_id"])
    assert len(after.units["theme_id"]) == len(before.units["theme_id"]) - 5
    assert store.get_theme(ws, GREETING).n_units == 5  # its units stay stored, in it
    with pytest.raises(ConflictError, match="ignored already"):
        service(store, ws).ignore(GREETING)
    service(store, ws).undo()
    assert GREETING in store.analytics_records(ws).theme_ids


def test_service_edits_make_the_analytics_state_reload(store: Store, ws: int) -> None:
    state = AnalyticsState()
    first = state.snapshot(store, ws)
    assert "t_000004" in first.frame.theme_ids
    service(store, ws).ignore(GREETING)
    second = state.snapshot(store, ws)
    assert second is not first
    assert "t_000004" not in second.frame.theme_ids
    service(store, ws).merge([DELIVERY, PARCEL])
    third = state.snapshot(store, ws)
    column = third.frame.theme_ids.index(DELIVERY)
    assert int(third.frame.mentions[:, column].sum()) == 14
    state.close()


def test_service_seed_claims_similar_units(store: Store, ws: int) -> None:
    edits = service(store, ws)
    preview = edits.preview_seed("Battery", ["battery drains"])
    assert preview.theme_id == "s_000001"
    assert 0.05 <= preview.threshold == preview.default_threshold <= 0.95
    assert (preview.n_claimed, preview.taken_from) == (5, {"unassigned": 5})
    assert len(preview.quotes) == 5
    assert service(store, ws).operations() == []
    strict = edits.preview_seed("Battery", ["battery drains overnight"], threshold=0.95)
    assert strict.n_claimed == 1
    done = edits.seed("Battery", ["battery drains"])
    assert done.operation.params["threshold"] == preview.default_threshold
    assert done.operation.params["name_is_phrase"] is True  # "Battery" is matched as a phrase
    seeded = store.get_theme(ws, "s_000001")
    assert (seeded.theme.display_label, seeded.theme.origin, seeded.n_units) == (
        "Battery",
        "seeded",
        5,
    )
    assert {themes_of_items(store, ws)[i] for i in external_ids()[None]} == {"s_000001"}


def test_service_embeds_each_seed_phrase_once_across_threshold_and_replays(
    store: Store, ws: int
) -> None:
    model = WordEmbedder()
    edits = service(store, ws, model)
    edits.seed("Battery", ["battery drains", "battery drains"])
    edits.preview_seed("Parcel", ["parcel lost"])  # replays the first seed, then its own
    texts = [text for call in model.calls for text in call]
    assert (texts.count("Battery"), texts.count("battery drains")) == (1, 1)  # name, example
    assert texts.count("parcel lost") == 1


@pytest.mark.parametrize(
    ("examples", "threshold", "message"),
    [
        ([], None, "at least one example"),
        (["ok"], 0.0, r"range \(0, 1\]"),
        ([" "], None, "Example 0"),
    ],
)
def test_service_seed_rejects_bad_input(
    store: Store, ws: int, examples: list[str], threshold: float | None, message: str
) -> None:
    with pytest.raises(TaxonomyEditError, match=message):
        service(store, ws).seed("Battery", examples, threshold=threshold)


def test_service_undo_the_latest_or_a_given_operation(store: Store, ws: int) -> None:
    edits = service(store, ws)
    edits.merge([DELIVERY, PARCEL], label="Late")
    edits.seed("Battery", ["battery drains"])
    edits.rename(DELIVERY, "Late deliveries")
    undone = service(store, ws, actor="bo").undo(1)  # the merge, not the latest
    assert (undone.operation.seq, undone.operation.undone_by, undone.units_moved) == (1, "bo", 6)
    assert sizes(store, ws) == {ACCOUNT: 12, DELIVERY: 8, PARCEL: 6, GREETING: 5, "s_000002": 5}
    assert store.get_theme(ws, DELIVERY).theme.display_label == "Late deliveries"
    edits.undo()  # the rename (latest in force)
    assert store.get_theme(ws, DELIVERY).theme.display_label == "delivery"
    edits.undo()  # the seed: its theme goes, its units go back
    assert "s_000002" not in sizes(store, ws, include_inactive=True)
    assert themes_of_items(store, ws)["b00"] is None
    statuses = [(op.seq, op.status) for op in edits.operations()]
    assert statuses == [(1, "undone"), (2, "undone"), (3, "undone")]
    with pytest.raises(NotFoundError, match="no taxonomy operation to undo"):
        edits.undo()
    with pytest.raises(ConflictError, match="undone already by bo"):
        edits.undo(1)
    with pytest.raises(NotFoundError, match="No taxonomy operation 9"):
        edits.undo(9)


def test_service_rename_is_recorded_and_undoable(store: Store, ws: int) -> None:
    store.rename_theme(ws, PARCEL, "Parcels")  # a label given before any recorded edit
    edits = service(store, ws)
    edits.rename(PARCEL, "Late parcels")
    assert store.get_theme(ws, PARCEL).theme.custom_label == "Late parcels"
    edits.rename(PARCEL, None)
    assert store.get_theme(ws, PARCEL).theme.custom_label is None
    edits.undo()
    edits.undo()
    assert store.get_theme(ws, PARCEL).theme.custom_label == "Parcels"


def test_service_without_an_embedder_still_merges(store: Store, ws: int) -> None:
    edits = TaxonomyService(store, ws, actor="cli:ana")
    edits.merge([DELIVERY, PARCEL])
    with pytest.raises(Exception, match="without an embedder"):
        edits.split(ACCOUNT, 2)
