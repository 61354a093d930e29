"""The demo job behind ``make run``: the bundled demo corpus through the whole pipeline."""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from feedback_nlp.embed.cache import CachedEmbedder, SqliteVectorCache
from feedback_nlp.models import load_model
from feedback_nlp.pipeline import ProcessedBatch, TextPipeline
from feedback_nlp.settings import Settings
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from feedback_nlp.text.units import OpinionUnitSplitter
from feedback_nlp.themes.miner import MiningResult, ThemeMiner

DEMO_CORPUS = Path(__file__).resolve().parent.parent / "corpora" / "demo" / "feedback.csv"


def read_demo_texts(path: Path = DEMO_CORPUS) -> list[str]:
    """Return the ``text`` column of the demo corpus, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


DEMO_SEGMENTS = ("plan", "region", "channel")


def read_demo_items(path: Path = DEMO_CORPUS) -> list[dict[str, object]]:
    """Return the demo corpus as ``POST /v1/feedback`` items (empty scores left out).

    ``plan``, ``region`` and ``channel`` become ``segments``; the ``lang`` column (the
    generator's truth) is dropped, since the service identifies languages itself.
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
            items.append(item)
    return items


def build_pipeline(settings: Settings) -> TextPipeline:
    """Assemble the text pipeline the settings describe, with a persistent embedding cache."""
    embedder = CachedEmbedder(
        load_model(settings.models.embedder),
        SqliteVectorCache(settings.var_dir / "cache" / "embeddings.sqlite3"),
    )
    return TextPipeline(
        redactor=PiiRedactor(),
        identifier=LanguageIdentifier(),
        splitter=OpinionUnitSplitter(),
        embedder=embedder,
        max_text_chars=settings.limits.max_text_chars,
    )


def run_demo(settings: Settings, *, console: Console) -> tuple[ProcessedBatch, MiningResult]:
    """Process and mine the demo corpus; print a summary; write ``var/demo/*.json[l]``."""
    texts = read_demo_texts()
    pipeline = build_pipeline(settings)
    started = time.perf_counter()
    with console.status(f"Processing {len(texts)} demo items..."):
        batch = pipeline.run(texts)
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
    shape = None if batch.embeddings is None else batch.embeddings.shape
    table.add_row("embeddings", str(shape))
    table.add_row("seconds", f"{seconds:.1f}")
    table.add_row("units written to", str(out_dir / "units.jsonl"))
    console.print(table)

    assert batch.embeddings is not None
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
