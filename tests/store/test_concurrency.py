from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from feedback_nlp.domain import UpsertResult
from feedback_nlp.store import Store, open_store
from feedback_nlp.store.schema import feedback_items, feedback_segments
from tests.store.factory import item

CLIENTS = 8
BATCHES = 6
BATCH = 50
IDS = 300


def _batch(client: int, round_: int) -> list:  # type: ignore[type-arg]
    # Overlapping windows over 300 ids: each id is posted by several clients, in different orders.
    start = (client * 37 + round_ * 53) % IDS
    ids = [(start + k * 7) % IDS for k in range(BATCH)]
    if client % 2:
        ids.reverse()
    return [
        item(f"id-{n:03d}", f"text {n}", minutes=n, segments={"client": "any", "n": str(n)})
        for n in ids
    ]


def test_concurrent_upserts_lose_and_duplicate_nothing(store: Store, database_url: str) -> None:
    ws = store.create_workspace("acme").id
    results: list[UpsertResult] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)

    def client(number: int) -> None:
        own = open_store(database_url, migrate=False)  # one engine (pool) per client
        try:
            barrier.wait()
            for round_ in range(BATCHES):
                result = own.upsert_feedback(ws, _batch(number, round_))
                with lock:
                    results.append(result)
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    posted = {
        it.item.external_id for c in range(CLIENTS) for r in range(BATCHES) for it in _batch(c, r)
    }
    with store.engine.connect() as connection:
        per_id = Counter(
            connection.execute(
                select(feedback_items.c.external_id).where(feedback_items.c.workspace_id == ws)
            ).scalars()
        )
        n_segments = connection.execute(
            select(func.count()).select_from(feedback_segments)
        ).scalar()
    assert set(per_id) == posted  # nothing lost
    assert max(per_id.values()) == 1  # nothing duplicated
    assert sum(r.created for r in results) == len(posted)  # each id created exactly once
    assert sum(r.updated for r in results) == 0  # every re-post carried the same content
    assert sum(r.created + r.updated + r.unchanged for r in results) == CLIENTS * BATCHES * BATCH
    assert n_segments == 2 * len(posted)
