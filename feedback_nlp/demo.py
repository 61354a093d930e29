"""The demo job behind ``feedback-nlp demo``: the bundled demo corpus through the whole pipeline.

The corpus takes the ingest path (:func:`~feedback_nlp.ingest.validate.validate_rows`, then
:func:`~feedback_nlp.ingest.prepare.prepare_items`: PII redaction, then language
identification), then the mining path's unit splitting and embedding, in memory: no database.
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from feedback_nlp.domain import PreparedFeedback
from feedback_nlp.embed.base import FloatMatrix
from feedback_nlp.embed.cache import CachedEmbedder, SqliteVectorCache
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.ingest.prepare import prepare_items
from feedback_nlp.ingest.validate import validate_rows
from feedback_nlp.models import load_model
from feedback_nlp.settings import Settings
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from feedback_nlp.text.units import OpinionUnit, OpinionUnitSplitter
from feedback_nlp.themes.miner import MiningResult, ThemeMiner

DEMO_CORPUS = Path(__file__).resolve().parent.parent / "corpora" / "demo" / "feedback.csv"


def read_demo_texts(path: Path = DEMO_CORPUS) -> list[str]:
    """Return the ``text`` column of the demo corpus, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


DEMO_SEGMENTS = ("plan", "region", "channel")
_DEMO_INSTANTS = ("first_response_at", "resolved_at", "churned_at")


def read_demo_items(path: Path = DEMO_CORPUS) -> list[dict[str, object]]:
    """Return the demo corpus as ``POST /v1/feedback`` items (empty scores left out).

    ``plan``, ``region`` and ``channel`` become ``segments``; the ``lang`` column (the
    generator's truth) is dropped, since the service identifies languages itself. The outcome
    columns (``customer_id``, ``first_response_at``, ``resolved_at``, ``churned``, ``churned_at``,
    ``revenue``) become fields of the same names when the row has them.
    """
    items: list[dict[str, object]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            item: dict[str, object] = {
                "id": row["id"],
                "text": row["text"],
                "source": row["source"],
                "created_at": row["created_at"],
                "segments": {key: row[key] for key in DEMO_SEGMENTS if row.get(key)},
            }
            item |= {key: int(row[key]) for key in ("nps", "csat") if row.get(key)}
            item |= {key: row[key] for key in _DEMO_INSTANTS if row.get(key)}
            if row.get("customer_id"):
                item["customer_id"] = row["customer_id"]
            if row.get("churned"):
                item["churned"] = row["churned"] == "true"
            if row.get("revenue"):
                item["revenue"] = float(row["revenue"])
            items.append(item)
    return items


@dataclass(frozen=True, slots=True)
class DemoBatch:
    """The demo corpus prepared as ingest prepares it, split into opinion units and embedded.

    Attributes:
        items: One prepared item per corpus row, in file order (redacted text, language).
        units: The opinion units of every item; ``unit.item_index`` points into ``items``.
        embeddings: One L2-normalised row per unit.
    """

    items: tuple[PreparedFeedback, ...]
    units: tuple[OpinionUnit, ...]
    embeddings: FloatMatrix

    def unit_langs(self) -> list[str]:
        """The language of each unit (its item's language)."""
        return [self.items[unit.item_index].lang for unit in self.units]


def prepare_demo(settings: Settings, path: Path = DEMO_CORPUS) -> DemoBatch:
    """Validate and prepare the corpus's texts as ingest does; split and embed the units.

    The embeddings go through the persistent cache under ``settings.var_dir``.

    Raises:
        InvalidInputError: If a row of the corpus does not validate.
    """
    rows = [{"id": item["id"], "text": item["text"]} for item in read_demo_items(path)]
    good, errors = validate_rows(rows, max_text_chars=settings.limits.max_text_chars)
    if errors:
        raise InvalidInputError(f"The demo corpus '{path}' has a bad row: {errors[0].reason}")
    items = prepare_items([item for _, item in good], PiiRedactor(), LanguageIdentifier())
    units = OpinionUnitSplitter().split_many([p.item.text for p in items], [p.lang for p in items])
    embedder = CachedEmbedder(
        load_model(settings.models.embedder),
        SqliteVectorCache(settings.var_dir / "cache" / "embeddings.sqlite3"),
    )
    embeddings = (
        embedder.encode([unit.text for unit in units])
        if units
        else np.empty((0, embedder.dim), dtype=np.float32)
    )
    return DemoBatch(items=tuple(items), units=tuple(units), embeddings=embeddings)


def run_demo(settings: Settings, *, console: Console) -> tuple[DemoBatch, MiningResult]:
    """Process and mine the demo corpus; print a summary; write ``var/demo/*.json[l]``."""
    texts = read_demo_texts()
    started = time.perf_counter()
    with console.status(f"Processing {len(texts)} demo items..."):
        batch = prepare_demo(settings)
    seconds = time.perf_counter() - started

    out_dir = settings.var_dir / "demo"
    out_dir.mkdir(parents=True, exist_ok=True)
    langs = batch.unit_langs()
    with (out_dir / "units.jsonl").open("w", encoding="utf-8") as handle:
        for unit, lang in zip(batch.units, langs, strict=True):
            record = {"item": unit.item_index, "unit": unit.unit_index, "lang": lang}
            record |= {"start": unit.start, "end": unit.end, "text": unit.text}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    table = Table("measure", "value", title="Demo corpus through the text pipeline")
    table.add_row("items", str(len(batch.items)))
    table.add_row("opinion units", str(len(batch.units)))
    table.add_row(
        "languages (items)",
        ", ".join(f"{k} {v}" for k, v in Counter(i.lang for i in batch.items).most_common()),
    )
    pii = Counter(kind for item in batch.items for kind in item.pii_kinds)
    table.add_row("PII redacted", ", ".join(f"{k} {v}" for k, v in pii.most_common()) or "none")
    table.add_row("embeddings", str(batch.embeddings.shape))
    table.add_row("seconds", f"{seconds:.1f}")
    table.add_row("units written to", str(out_dir / "units.jsonl"))
    console.print(table)

    started = time.perf_counter()
    with console.status(f"Mining themes from {len(batch.units)} opinion units..."):
        result = ThemeMiner(seed=0).fit(batch.embeddings, [u.text for u in batch.units], langs)
    seconds = time.perf_counter() - started
    (out_dir / "themes.json").write_text(
        json.dumps(result.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    console.print(_themes_table(result, seconds))
    console.print(f"Themes written to {out_dir / 'themes.json'}")
    return batch, result


def _themes_table(result: MiningResult, seconds: float, top: int = 15) -> Table:
    table = Table(
        "#",
        "size",
        "conf.",
        "label (per language)",
        title=(
            f"{len(result.themes)} themes, {len(result.parents)} parents, "
            f"{result.outlier_share:.1%} unassigned, mined in {seconds:.1f} s"
        ),
    )
    for theme in result.themes[:top]:
        labels = "; ".join(f"{lang}: {label}" for lang, label in sorted(theme.label.items()))
        table.add_row(str(theme.index), str(theme.size), f"{theme.confidence:.2f}", labels)
    return table
