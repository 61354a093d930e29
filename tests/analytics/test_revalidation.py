"""The revalidator: stale answers computed over the newest snapshot, one at a time."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from feedback_nlp.analytics.state.memo import Memo
from feedback_nlp.analytics.state.revalidation import Revalidator


@dataclass
class _Snapshot:
    name: str
    memo: Memo = field(default_factory=Memo)


def _wait(condition: Any) -> None:
    for _ in range(200):
        if condition():
            return
        threading.Event().wait(0.02)
    raise AssertionError("timed out")


def test_a_key_scheduled_twice_is_computed_once_over_the_newest_snapshot() -> None:
    newest = [_Snapshot("v2")]
    gate, calls = threading.Event(), list[str]()

    def recipe(snapshot: Any) -> str:
        calls.append(snapshot.name)
        gate.wait(5)
        return f"answer over {snapshot.name}"

    def newest_of(_workspace_id: int) -> Any:
        return newest[0]

    revalidator = Revalidator(newest_of)
    revalidator.schedule(1, "nps", recipe)
    _wait(lambda: calls)
    newest[0] = _Snapshot("v3")  # published while v2's answer is computed
    revalidator.schedule(1, "nps", recipe)  # still due: not queued twice
    gate.set()
    _wait(lambda: not revalidator._pending)
    assert calls == ["v2"]
    revalidator.schedule(1, "nps", recipe)  # over v3 now
    _wait(lambda: newest[0].memo.is_fresh("nps"))
    assert calls == ["v2", "v3"]
    assert newest[0].memo.get("nps", lambda: "") == "answer over v3"
    revalidator.close(timeout=5)


def test_waiting_computations_go_cheapest_first_and_a_fresh_one_is_skipped() -> None:
    snapshot = _Snapshot("v1")
    gate, order = threading.Event(), list[str]()

    def blocker(_snapshot: Any) -> str:
        order.append("blocker")
        gate.wait(5)
        return "b"

    def named(name: str) -> Any:
        def recipe(_snapshot: Any) -> str:
            order.append(name)
            return name

        return recipe

    def newest_of(_workspace_id: int) -> Any:
        return snapshot

    revalidator = Revalidator(newest_of)
    revalidator.schedule(1, "blocker", blocker)
    _wait(lambda: order)
    snapshot.memo.put("fresh", "already", None)
    revalidator.schedule(1, "outcomes", named("outcomes"), cost=2.0)
    revalidator.schedule(1, "fresh", named("fresh"), cost=0.0)
    revalidator.schedule(1, "nps", named("nps"), cost=0.01)
    gate.set()
    _wait(lambda: not revalidator._pending)
    assert order == ["blocker", "nps", "outcomes"]
    revalidator.close(timeout=5)
    revalidator.schedule(1, "after", named("after"))  # closed: nothing more runs
    assert "after" not in order


def test_the_thread_rests_after_each_answer_so_it_computes_at_most_its_share() -> None:
    snapshot = _Snapshot("v1")
    finished: dict[str, float] = {}

    def slow(name: str) -> Any:
        def recipe(_snapshot: Any) -> str:
            threading.Event().wait(0.2)
            finished[name] = time.monotonic()
            return name

        return recipe

    revalidator = Revalidator(lambda _workspace_id: snapshot, share=0.25)
    started = time.monotonic()
    revalidator.schedule(1, "first", slow("first"))
    revalidator.schedule(1, "second", slow("second"))
    _wait(lambda: "second" in finished)
    # 0.2 s computing, then 0.6 s of rest (0.2 * 0.75 / 0.25) before the second starts
    assert finished["second"] - finished["first"] >= 0.2 + 0.6 - 0.05
    assert finished["second"] - started >= 1.0 - 0.05
    revalidator.close(timeout=5)


def test_closing_ends_the_rest_at_once() -> None:
    snapshot = _Snapshot("v1")
    done = threading.Event()

    def recipe(_snapshot: Any) -> str:
        threading.Event().wait(0.3)
        done.set()
        return "x"

    revalidator = Revalidator(lambda _workspace_id: snapshot, share=0.01)  # ~30 s of rest
    revalidator.schedule(1, "nps", recipe)
    _wait(done.is_set)
    started = time.monotonic()
    revalidator.close(timeout=5)
    assert time.monotonic() - started < 2.0


def test_a_share_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="share"):
        Revalidator(lambda _workspace_id: None, share=0.0)
