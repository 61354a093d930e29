"""A small hand-mined workspace and a word-hash embedder for the taxonomy tests (no model).

The corpus has four themes and an unassigned pool, one unit per item:

* ``t_000001`` delivery (8 items) and ``t_000002`` parcel (6): fragments of one complaint;
* ``t_000003`` account (12): 6 about password-reset e-mails, 6 about the login page crashing;
* ``t_000004`` greetings (5): courtesy, to be ignored;
* unassigned: 5 about the battery draining (a seed finds them).

:class:`WordEmbedder` hashes each content word to a signed coordinate: texts that share words are
similar, texts that share none are orthogonal, which is all a split or a seed needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import select

from feedback_nlp.domain import (
    FeedbackFilter,
    MinedTheme,
    MinedUnit,
    MiningItem,
    MiningOutcome,
    PreparedFeedback,
)
from feedback_nlp.embed.base import FloatMatrix, l2_normalise
from feedback_nlp.store import Store
from feedback_nlp.store.base import utcnow
from feedback_nlp.store.schema import feedback_items, opinion_units
from feedback_nlp.taxonomy.remine import RemineReplay
from feedback_nlp.taxonomy.service import TaxonomyService
from feedback_nlp.taxonomy.vectors import KeyedVectors, phrase_embedder
from feedback_nlp.themes.content import content_texts
from feedback_nlp.themes.registry import ThemeRegistry
from tests.store.factory import item

DELIVERY, PARCEL, ACCOUNT, GREETING = "t_000001", "t_000002", "t_000003", "t_000004"
_STOP = frozenset(
    {"the", "a", "my", "is", "was", "and", "again", "today", "very", "too", "of", "it", "no"}
)

CORPUS: dict[str | None, list[str]] = {
    DELIVERY: [
        "delivery late",
        "delivery came late",
        "late delivery",
        "delivery was very late",
        "delivery late again",
        "my delivery is late",
        "delivery late today",
        "delivery too late",
    ],
    PARCEL: [
        "parcel arrived late",
        "parcel came late",
        "late parcel",
        "parcel was late",
        "parcel late again",
        "parcel late today",
    ],
    ACCOUNT: [
        "password reset email missing",
        "password reset email never came",
        "no password reset email",
        "password reset email lost",
        "password reset email delayed",
        "password email reset missing",
        "login page crashes",
        "login page crashes app",
        "login crashes page",
        "the login page crashes",
        "login page crashes again",
        "login page crashes today",
    ],
    GREETING: ["hello thanks", "thanks hello", "hello thanks again", "thanks hello today", "hello"],
    None: [
        "battery drains fast",
        "battery drains overnight",
        "battery drains quickly",
        "my battery drains",
        "battery drains again",
    ],
}
PREFIX = {DELIVERY: "d", PARCEL: "p", ACCOUNT: "a", GREETING: "g", None: "b"}
NPS = {DELIVERY: 1, PARCEL: 2, ACCOUNT: 5, GREETING: 10, None: 3}
LABELS = {DELIVERY: "delivery", PARCEL: "parcel", ACCOUNT: "account", GREETING: "hello"}


class WordEmbedder:
    """A deterministic embedder: each content word adds a signed unit to a hashed coordinate."""

    name = "word-hash"
    dim = 64

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> FloatMatrix:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                if word in _STOP:
                    continue
                digest = hashlib.sha256(word.encode()).digest()
                out[row, digest[0] % self.dim] += 1.0 if digest[1] % 2 else -1.0
        return l2_normalise(out)


def external_ids() -> dict[str | None, list[str]]:
    """The external ids of each theme's items."""
    return {
        theme: [f"{PREFIX[theme]}{i:02d}" for i in range(len(texts))]
        for theme, texts in CORPUS.items()
    }


def corpus_items() -> list[PreparedFeedback]:
    """The corpus as prepared items."""
    return [
        item(f"{PREFIX[theme]}{i:02d}", text, minutes=i, nps=NPS[theme])
        for theme, texts in CORPUS.items()
        for i, text in enumerate(texts)
    ]


def mined_theme_of(external_id: str) -> str | None:
    """The theme the hand-made run gives an item (by its id's prefix)."""
    return next(theme for theme, prefix in PREFIX.items() if external_id.startswith(prefix))


def hand_mine(
    store: Store,
    workspace_id: int,
    theme_of: Callable[[MiningItem], str | None] | None = None,
    *,
    replay: RemineReplay | None = None,
    registry: ThemeRegistry | None = None,
) -> int:
    """Save a hand-made mining run (one unit per item), replaying the edits when given.

    ``registry``: the run's theme registry (default: an empty one, no centroids to assign with).
    """
    items = store.mining_items(workspace_id, FeedbackFilter())
    pick = theme_of or (lambda it: mined_theme_of(it.external_id))
    units = [
        MinedUnit(
            item_id=it.item_id,
            unit_index=0,
            start=0,
            end=len(it.text),
            text=it.text,
            lang="en",
            text_hash=it.text_hash,
            theme_id=pick(it),
        )
        for it in items
    ]
    rows = []
    for theme_id, label in LABELS.items():
        members = [(u, it) for u, it in zip(units, items, strict=True) if u.theme_id == theme_id]
        if not members:
            continue
        quotes = [
            {"text": u.text, "lang": "en", "external_id": it.external_id} for u, it in members
        ]
        rows.append(
            MinedTheme(
                theme_id=theme_id,
                level=0,
                label={"en": label},
                keyphrases={"en": [label]},
                quotes=quotes[:3],
                languages={"en": len(members)},
                parent_id=None,
                size=len(members),
                confidence=None,
            )
        )
    outcome = MiningOutcome(
        job_id=None,
        embedder=WordEmbedder.name,
        started_at=utcnow(),
        item_ids=[it.item_id for it in items],
        units=units,
        themes=rows,
        registry=registry if registry is not None else ThemeRegistry(),
        n_unassigned=sum(u.theme_id is None for u in units),
        config={},
    )
    if replay is None:
        return store.save_mining(workspace_id, outcome)
    return store.save_mining(workspace_id, outcome, guard=replay.lock, then=replay)


def remine_replay(store: Store, workspace_id: int, embedder: WordEmbedder) -> RemineReplay:
    """The replay a mining job would run, with every unit's vector held (as a job holds them)."""
    items = store.mining_items(workspace_id, FeedbackFilter())
    keys = [f"{it.item_id}:0" for it in items]
    vectors = embedder.encode(content_texts([it.text for it in items]))
    return RemineReplay(
        store,
        workspace_id,
        vectors=KeyedVectors(keys, vectors),
        embed_phrases=phrase_embedder(embedder),
    )


def mined_workspace(store: Store, name: str = "acme") -> int:
    """A workspace with the corpus ingested and mined by hand; returns its id."""
    ws = store.create_workspace(name).id
    store.upsert_feedback(ws, corpus_items())
    hand_mine(store, ws)
    return ws


def service(
    store: Store, workspace_id: int, embedder: WordEmbedder | None = None, actor: str = "ana"
) -> TaxonomyService:
    """The taxonomy service of a workspace, with the word-hash embedder."""
    model = embedder or WordEmbedder()
    return TaxonomyService(store, workspace_id, actor=actor, embedder=lambda: model)


def themes_of_items(store: Store, workspace_id: int) -> dict[str, str | None]:
    """Each item's (single) unit's theme now, read from the units themselves."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(feedback_items.c.external_id, opinion_units.c.theme_id)
            .join(opinion_units, opinion_units.c.item_id == feedback_items.c.id)
            .where(feedback_items.c.workspace_id == workspace_id)
        ).all()
    return {row[0]: row[1] for row in rows}


def sizes(store: Store, workspace_id: int, **listing: Any) -> dict[str, int]:
    """The listed level-0 themes and their sizes."""
    return {t.theme_id: t.size for t in store.list_themes(workspace_id, **listing) if t.level == 0}
