"""Memoised answers: stale-while-revalidate entries inherited from the snapshot before."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

import pytest

from feedback_nlp.analytics.state.memo import Memo, Recipe, Served


def _asked_twice(memo: Memo, key: str, value: int, recipe: Recipe) -> None:
    memo.get(key, lambda: value, recipe)
    memo.get(key, lambda: -1, recipe)


def test_an_inherited_answer_is_served_stale_once_and_revalidated() -> None:
    older, newer = Memo(), Memo()
    _asked_twice(older, "nps", 8, lambda _snapshot: 10)
    scheduled: list[Hashable] = []
    taken = newer.inherit(
        older,
        since=0.0,
        built_at=1_000.0,
        revalidate=lambda key, _recipe, _cost: scheduled.append(key),
    )
    assert taken == 1
    assert newer.answer("nps", lambda: -1) == (8, Served(stale_as_of=1_000.0))
    assert scheduled == ["nps"]
    assert newer.peek("nps") is None
    assert not newer.is_fresh("nps")
    newer.put("nps", 10, None)  # what the revalidation stores
    assert newer.answer("nps", lambda: -1) == (10, Served())
    assert scheduled == ["nps"]


def test_one_off_and_old_questions_and_fresh_answers_are_not_inherited() -> None:
    now = [100.0]
    older = Memo(clock=lambda: now[0])
    older.get("once", lambda: 1, lambda _snapshot: 2)  # asked once: computed on use
    older.get("no-recipe", lambda: 1)
    older.get("no-recipe", lambda: 1)
    now[0] = 10.0
    _asked_twice(older, "long-ago", 1, lambda _snapshot: 2)
    now[0] = 100.0
    _asked_twice(older, "kept", 1, lambda _snapshot: 2)
    newer = Memo()
    newer.put("kept", 5, None)  # already computed over the newer snapshot (warmed)
    taken = newer.inherit(older, since=50.0, built_at=0.0, revalidate=lambda *_: None)
    assert taken == 0
    assert newer.answer("kept", lambda: -1) == (5, Served())
    assert newer.get("once", lambda: 7) == 7


def test_inside_a_computation_a_stale_part_is_computed_over_its_own_snapshot() -> None:
    older, newer = Memo(), Memo()
    _asked_twice(older, "metrics", 8, lambda _snapshot: 10)
    scheduled: list[Hashable] = []
    newer.inherit(
        older, since=0.0, built_at=5.0, revalidate=lambda key, _recipe, _cost: scheduled.append(key)
    )

    def scores() -> dict[str, Any]:
        return {"metrics": newer.get("metrics", lambda: 10)}

    assert newer.get("scores", scores) == {"metrics": 10}
    assert scheduled == []
    assert newer.answer("metrics", lambda: -1) == (10, Served())


def test_a_stale_answer_is_kept_with_its_own_time_along_a_chain_of_snapshots() -> None:
    first, second, third = Memo(), Memo(), Memo()
    _asked_twice(first, "trends", 1, lambda _snapshot: 3)
    second.inherit(first, since=0.0, built_at=10.0, revalidate=lambda *_: None)
    third.inherit(second, since=0.0, built_at=20.0, revalidate=lambda *_: None)
    assert third.answer("trends", lambda: -1) == (1, Served(stale_as_of=10.0))


def test_a_failed_revalidation_drops_the_stale_answer() -> None:
    older, newer = Memo(), Memo()
    _asked_twice(older, "outcomes", 1, lambda _snapshot: 2)
    newer.inherit(older, since=0.0, built_at=1.0, revalidate=lambda *_: None)
    newer.drop_stale("outcomes")
    assert newer.answer("outcomes", lambda: 4) == (4, Served())
    newer.drop_stale("outcomes")  # a fresh answer stays
    assert newer.get("outcomes", lambda: -1) == 4


def test_recent_answers_come_cheapest_first_with_their_cost() -> None:
    memo = Memo()
    memo.put("outcomes", 1, lambda _snapshot: 1, cost=2.0)
    memo.put("nps", 2, lambda _snapshot: 2, cost=0.01)
    memo.put("trends", 3, lambda _snapshot: 3, cost=0.5)
    for key in ("outcomes", "nps", "trends"):
        memo.get(key, lambda: -1)
    assert [(key, cost) for key, _, cost in memo.recent(0.0)] == [
        ("nps", 0.01),
        ("trends", 0.5),
        ("outcomes", 2.0),
    ]


def test_concurrent_questions_for_one_key_compute_it_once() -> None:
    memo = Memo()
    gate, calls = threading.Event(), list[int]()

    def slow() -> int:
        calls.append(1)
        gate.wait(5)
        return 42

    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda: answers.append(memo.get("outcomes", slow)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for _ in range(100):
        if calls:
            break
        threading.Event().wait(0.02)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert answers == [42] * 4
    assert calls == [1]


def test_a_failed_computation_lets_the_next_question_compute_again() -> None:
    memo = Memo()

    def failing() -> int:
        raise ValueError("no data")

    with pytest.raises(ValueError, match="no data"):
        memo.get("nps", failing)
    assert memo.get("nps", lambda: 3) == 3


def test_an_answer_finished_after_the_next_snapshot_is_offered_to_it_stale() -> None:
    older, newer, newest = Memo(), Memo(), Memo()
    scheduled: list[Hashable] = []
    newer.inherit(older, since=0.0, built_at=10.0, revalidate=lambda *_: None)
    newest.inherit(
        newer, since=0.0, built_at=20.0, revalidate=lambda key, _r, _c: scheduled.append(key)
    )
    older.get("outcomes", lambda: 7, lambda _snapshot: 8)  # a request over the oldest snapshot
    assert newest.answer("outcomes", lambda: -1) == (7, Served(stale_as_of=10.0))
    assert scheduled == ["outcomes"]
    newer.put("outcomes", 9, lambda _snapshot: 8)  # a newer stale answer replaces it
    assert newest.answer("outcomes", lambda: -1) == (9, Served(stale_as_of=20.0))
    older.put("outcomes", 7, lambda _snapshot: 8)  # but an older one never does
    assert newest.answer("outcomes", lambda: -1) == (9, Served(stale_as_of=20.0))
    newest.put("outcomes", 11, None)
    older.put("outcomes", 7, lambda _snapshot: 8)
    assert newest.answer("outcomes", lambda: -1) == (11, Served())


def test_refresh_replaces_a_stale_answer_and_leaves_fresh_or_running_keys_alone() -> None:
    older, newer = Memo(), Memo()
    _asked_twice(older, "nps", 8, lambda _snapshot: 10)
    newer.inherit(older, since=0.0, built_at=1_000.0, revalidate=lambda *_: None)
    assert newer.refresh("nps", lambda: 10, None)  # stale: computed here
    assert newer.answer("nps", lambda: -1) == (10, Served())
    assert not newer.refresh("nps", lambda: -1, None)  # fresh: left alone
    assert newer.get("nps", lambda: -1) == 10

    started, release = threading.Event(), threading.Event()

    def slow() -> int:
        started.set()
        release.wait(10)
        return 3

    asker = threading.Thread(target=lambda: newer.get("slow", slow))
    asker.start()
    assert started.wait(10)
    assert not newer.refresh("slow", lambda: -1, None)  # being computed: no wait, no second run
    release.set()
    asker.join(10)
    assert newer.get("slow", lambda: -1) == 3
