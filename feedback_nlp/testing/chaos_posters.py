"""The clients of a chaos run: posters of new items and new versions, and their ledger.

Every version of every item a poster sends is recorded, with whether the server acknowledged
it, so that :mod:`feedback_nlp.testing.chaos` can check the store after each kill.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

import httpx

from feedback_nlp.testing.chaos_records import ChaosConfig
from feedback_nlp.testing.servers import bearer
from feedback_nlp.testing.texts import stable_texts, versioned

__all__ = ["Ledger", "Poster"]


@dataclass(slots=True)
class _Version:
    text: str
    acked: bool = False


class Ledger:
    """Every version of every item sent, in order, and whether it was acknowledged."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.versions: dict[str, list[_Version]] = {}
        self.segments: dict[str, dict[str, str]] = {}
        self.by_round: dict[int, list[str]] = {}

    def attempt(self, items: list[dict[str, Any]], round_: int) -> None:
        """Record ``items`` as sent in round ``round_`` (not acknowledged yet)."""
        with self.lock:
            for item in items:
                if item["id"] not in self.versions:
                    self.versions[item["id"]] = []
                    self.segments[item["id"]] = item["segments"]
                    self.by_round.setdefault(round_, []).append(item["id"])
                self.versions[item["id"]].append(_Version(item["text"]))

    def ack(self, items: list[dict[str, Any]]) -> None:
        """Mark the latest version of each of ``items`` acknowledged."""
        with self.lock:
            for item in items:
                self.versions[item["id"]][-1].acked = True

    def acked_rounds(self) -> list[int]:
        """The rounds with at least one acknowledged version."""
        with self.lock:
            return [
                r
                for r, ids in self.by_round.items()
                if any(v.acked for i in ids for v in self.versions[i])
            ]

    def latest_items(self) -> list[dict[str, Any]]:
        """The latest version sent of every item, as a posted item."""
        with self.lock:
            return [
                {"id": i, "text": versions[-1].text, "segments": self.segments[i]}
                for i, versions in self.versions.items()
            ]


class Poster(threading.Thread):
    """Posts batches until the server dies or ``max_batches`` are sent."""

    def __init__(
        self,
        url: str,
        key: str,
        number: int,
        round_: int,
        ledger: Ledger,
        config: ChaosConfig,
        rng: random.Random,
        own: list[str],
    ) -> None:
        super().__init__(name=f"chaos-poster-{number}", daemon=True)
        self.url, self.key, self.number, self.round = url, key, number, round_
        self.ledger, self.config, self.rng, self.own = ledger, config, rng, own
        self.acked = 0
        self.inflight: list[dict[str, Any]] | None = None
        self.failure: str | None = None

    def _batch(self, n: int, texts: tuple[str, ...]) -> tuple[list[dict[str, Any]], int]:
        """Batch ``n``: new items first, then new versions of earlier ones; and how many new."""
        fresh = self.config.batch - min(self.config.updates, len(self.own))
        items = []
        for k in range(fresh):
            item_id = f"r{self.round:02d}-p{self.number}-{n * self.config.batch + k:05d}"
            base = texts[self.rng.randrange(len(texts))]
            segments = {"round": str(self.round), "poster": str(self.number)}
            items.append({"id": item_id, "text": versioned(base, 1), "segments": segments})
        for item_id in self.rng.sample(self.own, self.config.batch - fresh):
            with self.ledger.lock:
                version = len(self.ledger.versions[item_id]) + 1
                segments = self.ledger.segments[item_id]
            base = texts[self.rng.randrange(len(texts))]
            items.append({"id": item_id, "text": versioned(base, version), "segments": segments})
        return items, fresh

    def run(self) -> None:
        """Post batches until the server stops answering or ``max_batches`` are sent."""
        texts = stable_texts()
        with httpx.Client(base_url=self.url, headers=bearer(self.key), timeout=120) as client:
            for n in range(self.config.max_batches):
                items, fresh = self._batch(n, texts)
                self.ledger.attempt(items, self.round)
                try:
                    response = client.post("/v1/feedback", json={"items": items})
                except httpx.HTTPError:
                    self.inflight = items
                    return
                body = response.json() if response.status_code == 200 else None
                counted = body and body["created"] + body["updated"] + body["unchanged"]
                if body is None or body["rejected"] or counted != len(items):
                    self.failure = f"batch {n}: {response.status_code} {response.text[:500]}"
                    self.inflight = items  # not acknowledged: either outcome is allowed
                    return
                self.ledger.ack(items)
                self.acked += 1
                self.own.extend(item["id"] for item in items[:fresh])
