"""Redo of undone taxonomy edits through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from feedback_nlp.errors import ConflictError, NotFoundError
from feedback_nlp.store import Store
from feedback_nlp.taxonomy.redo import redo_stack
from feedback_nlp.taxonomy.service import TaxonomyService
from tests.taxonomy.support import (
    ACCOUNT,
    DELIVERY,
    GREETING,
    PARCEL,
    mined_workspace,
    service,
    sizes,
    themes_of_items,
)


@pytest.fixture
def ws(store: Store) -> int:
    return mined_workspace(store)


def test_redo_brings_back_the_latest_undone_edit_as_a_new_operation(store: Store, ws: int) -> None:
    edits = service(store, ws)
    edits.merge([DELIVERY, PARCEL], label="Late")
    edits.undo()
    assert sizes(store, ws)[PARCEL] == 6
    redone = service(store, ws, actor="bo").redo()
    op = redone.operation
    assert (op.seq, op.kind, op.actor, op.params["redo_of"], op.status) == (
        2,
        "merge",
        "bo",
        1,
        "applied",
    )
    assert redone.units_moved == 6
    assert sizes(store, ws) == {DELIVERY: 14, ACCOUNT: 12, GREETING: 5}
    assert store.get_theme(ws, DELIVERY).theme.display_label == "Late"
    listed = [(o.seq, o.status, o.undone_by) for o in edits.operations()]
    assert listed == [(1, "undone", "ana"), (2, "applied", None)]  # the undo stays recorded


def test_redo_of_a_seed_keeps_its_theme_id_and_needs_no_embedder(store: Store, ws: int) -> None:
    edits = service(store, ws)
    seeded = edits.seed("Battery", ["battery drains"]).operation
    claimed = {i for i, t in themes_of_items(store, ws).items() if t == "s_000001"}
    assert claimed
    edits.undo()
    assert "s_000001" not in sizes(store, ws, include_inactive=True)
    no_model = TaxonomyService(store, ws, actor="cli:ana")  # same run: the recorded effect is used
    redone = no_model.redo().operation
    assert (redone.seq, redone.params["theme_id"]) == (2, seeded.params["theme_id"])
    assert {i for i, t in themes_of_items(store, ws).items() if t == "s_000001"} == claimed
    assert store.get_theme(ws, "s_000001").theme.created_by_op == 2


def test_redo_takes_the_most_recently_undone_first(store: Store, ws: int) -> None:
    edits = service(store, ws)
    edits.rename(ACCOUNT, "Accounts")
    edits.rename(ACCOUNT, "Logins")
    edits.undo()  # "Logins"
    edits.undo()  # "Accounts"
    assert [op.seq for op in redo_stack(edits.operations())] == [1, 2]
    assert edits.redo().operation.params["redo_of"] == 1
    assert store.get_theme(ws, ACCOUNT).theme.custom_label == "Accounts"
    assert edits.redo().operation.params["redo_of"] == 2
    assert store.get_theme(ws, ACCOUNT).theme.custom_label == "Logins"
    with pytest.raises(NotFoundError, match="no undone taxonomy operation to redo"):
        edits.redo()


def test_redo_stack_is_cleared_by_a_new_edit(store: Store, ws: int) -> None:
    edits = service(store, ws)
    edits.merge([DELIVERY, PARCEL])
    edits.undo()
    edits.ignore(GREETING)  # a new edit after the undo
    assert redo_stack(edits.operations()) == []
    with pytest.raises(NotFoundError, match="clears what can be redone"):
        edits.redo()
    with pytest.raises(ConflictError, match="a new edit was made after it was undone"):
        edits.redo(1)
    assert sizes(store, ws)[PARCEL] == 6


def test_redo_refuses_what_is_in_force_redone_or_unknown(store: Store, ws: int) -> None:
    edits = service(store, ws)
    edits.merge([DELIVERY, PARCEL])
    edits.ignore(GREETING)
    with pytest.raises(ConflictError, match="is in force"):
        edits.redo(2)
    edits.undo(1)
    edits.redo(1)
    with pytest.raises(ConflictError, match=r"redone already \(operation 3\)"):
        edits.redo(1)
    with pytest.raises(NotFoundError, match="No taxonomy operation 9"):
        edits.redo(9)


def test_redo_with_a_stale_expected_seq_is_a_conflict(store: Store, ws: int) -> None:
    edits = service(store, ws)
    edits.merge([DELIVERY, PARCEL])
    edits.undo()
    with pytest.raises(ConflictError, match="changed since operation 0"):
        edits.redo(expected_seq=0)
    assert edits.redo(expected_seq=1).operation.seq == 2


def test_a_redone_edit_can_be_undone_and_redone_again(store: Store, ws: int) -> None:
    edits = service(store, ws)
    edits.ignore(GREETING)
    edits.undo()
    edits.redo()  # 2 redoes 1
    edits.undo()  # undoes 2
    again = edits.redo().operation
    assert (again.seq, again.params["redo_of"]) == (3, 2)
    assert store.get_theme(ws, GREETING).theme.ignored
