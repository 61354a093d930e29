"""The replay on hand-made bases (no database): each applier, labels, quotes, vanished themes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from feedback_nlp.embed.base import FloatMatrix
from feedback_nlp.taxonomy.draft import ReplayContext
from feedback_nlp.taxonomy.operations import child_ids
from feedback_nlp.taxonomy.replay import replay
from feedback_nlp.taxonomy.split import encode_centres
from feedback_nlp.taxonomy.vectors import KeyedVectors, MissingVectors
from feedback_nlp.taxonomy_records import Operation, TaxonomyBase, ThemeState, UnitTable

T0 = datetime(2026, 1, 1, tzinfo=UTC)
RUN = 2


def _units(mined: Sequence[str | None], *, hashes: Sequence[str] | None = None) -> UnitTable:
    n = len(mined)
    return UnitTable(
        row_ids=np.arange(n, dtype=np.int64),
        keys=tuple(f"{i}:0" for i in range(n)),
        external_ids=tuple(f"x{i}" for i in range(n)),
        text_hashes=tuple(hashes or [f"h{i}" for i in range(n)]),
        texts=tuple(f"text {i}" for i in range(n)),
        langs=("en",) * n,
        mined=tuple(mined),
        current=tuple(mined),
    )


def _theme(
    theme_id: str, *, seen: int = RUN, quotes: list[dict[str, str]] | None = None
) -> ThemeState:
    return ThemeState(
        theme_id=theme_id,
        level=0,
        label={"en": theme_id},
        keyphrases={},
        quotes=quotes or [],
        mined_quotes=quotes or [],
        languages={},
        parent_id=None,
        size=0,
        confidence=None,
        active=seen == RUN,
        custom_label=None,
        last_seen_run=seen,
    )


def _base(mined: Sequence[str | None], themes: list[ThemeState], **units: Any) -> TaxonomyBase:
    return TaxonomyBase(RUN, _units(mined, **units), {t.theme_id: t for t in themes}, 2)


def _op(
    seq: int, kind: str, undone: bool = False, effect: dict[str, Any] | None = None, **params: Any
) -> Operation:
    return Operation(
        seq=seq,
        kind=kind,
        params=params,
        actor="ana",
        created_at=T0,
        effect=effect or {},
        undone_at=T0 if undone else None,
    )


def _no_vectors(keys: Sequence[str], texts: Sequence[str]) -> FloatMatrix:
    raise MissingVectors(keys, texts)


NO_VECTORS = ReplayContext(vectors=_no_vectors)


def test_replay_merge_moves_units_and_retires_the_others() -> None:
    base = _base(["a", "a", "b", "c", None], [_theme("a"), _theme("b"), _theme("c")])
    merge = _op(1, "merge", theme_ids=["a", "b", "c"], keep="a", label=None)
    result = replay(base, [merge], NO_VECTORS)
    assert result.assigned == ("a", "a", "a", "a", None)
    assert result.applications[1].status == "applied"
    assert result.applications[1].effect["units_moved"] == 2
    assert (result.themes["a"].size, result.themes["a"].active) == (4, True)
    assert result.themes["b"].retired_by_op == 1
    assert not result.themes["c"].active


def test_replay_merge_reports_a_vanished_theme() -> None:
    base = _base(["a", "b"], [_theme("a"), _theme("b"), _theme("old", seen=1)])
    partial = replay(base, [_op(1, "merge", theme_ids=["a", "b", "old"], keep="a")], NO_VECTORS)
    done = partial.applications[1]
    assert (done.status, done.note) == ("partial", "not merged: old is not in mining run 2")
    assert partial.assigned == ("a", "a")
    skipped = replay(base, [_op(1, "merge", theme_ids=["a", "old"], keep="a")], NO_VECTORS)
    assert skipped.applications[1].status == "skipped"
    assert "old is not in mining run 2" in str(skipped.applications[1].note)
    assert skipped.report([_op(1, "merge")])["not_applied"][0]["seq"] == 1


def test_replay_merge_revives_a_kept_theme_the_run_lost() -> None:
    base = _base(["b", "b"], [_theme("a", seen=1), _theme("b")])
    result = replay(base, [_op(1, "merge", theme_ids=["a", "b"], keep="a")], NO_VECTORS)
    assert result.assigned == ("a", "a")
    assert result.themes["a"].live
    assert not result.themes["b"].live


def test_replay_move_keeps_units_whose_text_changed_where_they_are() -> None:
    base = _base(["a", "a", "b"], [_theme("a"), _theme("b")], hashes=["h0", "new", "h2"])
    units = [
        {"key": "0:0", "text_hash": "h0"},
        {"key": "1:0", "text_hash": "h1"},  # the item's text changed since the move
        {"key": "9:0", "text_hash": "h9"},  # not in this run
    ]
    result = replay(base, [_op(1, "move", units=units, to="b")], NO_VECTORS)
    assert result.assigned == ("b", "a", "b")
    done = result.applications[1]
    assert done.status == "partial"
    assert done.effect == {"run_id": RUN, "moved": 1, "text_changed": 1, "not_found": 1}
    to_pool = replay(base, [_op(1, "move", units=units[:1], to=None)], NO_VECTORS)
    assert to_pool.assigned == (None, "a", "b")


def test_replay_move_to_a_vanished_theme_is_skipped() -> None:
    base = _base(["a"], [_theme("a"), _theme("gone", seen=1)])
    result = replay(
        base, [_op(1, "move", units=[{"key": "0:0", "text_hash": "h0"}], to="gone")], NO_VECTORS
    )
    assert result.assigned == ("a",)
    assert result.applications[1].status == "skipped"


def test_replay_ignore_flags_the_theme_and_keeps_its_units() -> None:
    base = _base(["a", "b"], [_theme("a"), _theme("b"), _theme("gone", seen=1)])
    result = replay(
        base, [_op(1, "ignore", theme_id="a"), _op(2, "ignore", theme_id="gone")], NO_VECTORS
    )
    assert result.themes["a"].ignored
    assert result.assigned == ("a", "b")
    assert result.applications[2].status == "skipped"


def test_replay_labels_follow_the_latest_edit_in_force() -> None:
    base = _base(["a"], [replace(_theme("a"), custom_label="Before")])
    first = _op(1, "rename", theme_id="a", label="First", previous_label="Before")
    second = _op(2, "rename", theme_id="a", label="Second", previous_label="First")
    assert replay(base, [first, second], NO_VECTORS).themes["a"].custom_label == "Second"
    undone_second = replace(second, undone_at=T0)
    assert replay(base, [first, undone_second], NO_VECTORS).themes["a"].custom_label == "First"
    undone_first = replace(first, undone_at=T0)
    assert replay(base, [undone_first, second], NO_VECTORS).themes["a"].custom_label == "Second"
    # both undone: what it had before its first rename (even though the row says "Second")
    stored = _base(["a"], [replace(_theme("a"), custom_label="Second")])
    both = replay(stored, [undone_first, undone_second], NO_VECTORS)
    assert both.themes["a"].custom_label == "Before"


def test_replay_quotes_are_the_members_of_now() -> None:
    q = [{"text": f"text {i}", "lang": "en", "external_id": f"x{i}"} for i in range(4)]
    base = _base(["a", "a", "b", "b"], [_theme("a", quotes=q[:2]), _theme("b", quotes=q[2:])])
    moved = _op(2, "move", units=[{"key": "1:0", "text_hash": "h1"}], to=None)
    result = replay(base, [_op(1, "merge", theme_ids=["a", "b"], keep="a"), moved], NO_VECTORS)
    assert result.themes["a"].quotes == [q[0], q[2], q[3]]  # the moved quote is gone


def test_replay_removes_themes_of_undone_edits() -> None:
    seeded = replace(_theme("s_000001"), origin="seeded", created_by_op=1)
    base = _base(["s_000001", "a"], [_theme("a"), seeded])
    undone = _op(
        1, "seed", undone=True, theme_id="s_000001", name="S", examples=["x"], threshold=0.5
    )
    result = replay(replace(base, units=_units(["a", "a"])), [undone], NO_VECTORS)
    assert result.removed == frozenset({"s_000001"})
    assert "s_000001" not in result.themes


def _seed_context(vectors: np.ndarray, n: int) -> ReplayContext:
    keys = [f"{i}:0" for i in range(n)]
    return ReplayContext(
        vectors=KeyedVectors(keys, vectors.astype(np.float32)),
        embed_phrases=lambda phrases: np.array([[1.0, 0.0]] * len(phrases), dtype=np.float32),
    )


def test_replay_seed_recomputes_on_a_new_run_and_reuses_its_claims_on_the_same() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.995, 0.0998]])
    base = _base(["a", "a", None], [_theme("a")])
    seed = _op(1, "seed", theme_id="s_000001", name="Refunds", examples=["refund"], threshold=0.9)
    fresh = replay(base, [seed], _seed_context(vectors, 3))
    assert fresh.assigned == ("s_000001", "a", "s_000001")
    effect = fresh.applications[1].effect
    assert (effect["claimed"], effect["run_id"]) == (["0:0", "2:0"], RUN)
    assert fresh.themes["s_000001"].custom_label == "Refunds"
    assert fresh.themes["s_000001"].size == 2
    # same run, effect recorded: no vectors are asked for (NO_VECTORS would raise)
    again = replay(base, [replace(seed, effect=effect)], NO_VECTORS)
    assert again.assigned == fresh.assigned
    # a later run: recomputed, so the recorded claims are not reused
    later = replace(base, run_id=RUN + 1)
    embeds_only = replace(_seed_context(vectors, 3), vectors=_no_vectors)
    with pytest.raises(MissingVectors):
        replay(later, [replace(seed, effect=effect)], embeds_only)


def test_replay_split_keeps_its_children_on_a_new_run() -> None:
    vectors = np.array([[1.0, 0.0], [0.9, 0.436], [0.0, 1.0], [0.2, 0.98], [1.0, 0.0]])
    centres = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    children = child_ids(1, 2)
    recorded = {
        "run_id": RUN - 1,
        "centroids": encode_centres(centres),
        "children": [
            {
                "theme_id": children[0],
                "label": {"en": "refund"},
                "keyphrases": {},
                "members": [],
                "quotes": [],
            },
            {
                "theme_id": children[1],
                "label": {"en": "login"},
                "keyphrases": {},
                "members": [],
                "quotes": [],
            },
        ],
    }
    split = _op(
        1,
        "split",
        effect=recorded,
        theme_id="a",
        k=2,
        seed=0,
        children=children,
        labels=["Refund", None],
    )
    base = _base(["a", "a", "a", "a", None], [_theme("a")])
    result = replay(base, [split], _seed_context(vectors, 5))
    assert result.assigned == (children[0], children[0], children[1], children[1], None)
    assert result.themes["a"].retired_by_op == 1
    assert result.themes[children[0]].custom_label == "Refund"
    assert result.themes[children[1]].label == {"en": "login"}
    assert result.applications[1].effect["run_id"] == RUN
