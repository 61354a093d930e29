"""How well seeded themes find what they were seeded for: a labelled CSV and seeds in, P/R/F1 out.

The evaluation runs the product end to end on a throw-away SQLite store: the CSV's rows are
ingested as feedback items (validation, PII redaction, language identification), a real mining
job mines them (opinion units, the embedder through the store's cache, the theme miner), then
every seed is applied in order through :meth:`~feedback_nlp.taxonomy.service.TaxonomyService.seed`
(the threshold left to each seed's default unless one is given), as an analyst would. Seeds
of one group are applied one after the other, so a later seed may take units from an earlier
one, as in the product.

Each seed names the gold label it stands for; an item counts as claimed by the seeded theme when
one of its units is in it (nearly every row of an intent data set is one unit). Per seed:
precision (claimed items carrying the label), recall (labelled items claimed), F1; then their
macro means. Unit-level figures (each unit carries its item's label) are kept too.

Several seed groups, each at several thresholds, can be measured on one mined store (a
development set): the mined database is copied for every group and threshold, so each starts
from the same mining run.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from feedback_nlp.embed.base import Embedder
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.eval.themes import load_labelled_csv
from feedback_nlp.ingest.prepare import prepare_items
from feedback_nlp.ingest.validate import validate_rows
from feedback_nlp.settings import ModelSettings, Settings
from feedback_nlp.store import Store, open_store
from feedback_nlp.store.schema import feedback_items, opinion_units
from feedback_nlp.taxonomy.service import TaxonomyService
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor

__all__ = [
    "IntentScore",
    "Seed",
    "SeedEvalResult",
    "format_seed_eval",
    "load_seeds",
    "mine_labelled_csv",
    "run_seed_eval",
    "score_seeds",
]

MAX_TEXT_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Seed:
    """A seed to apply: the theme's name, its example phrases, and the gold label it stands for."""

    label: str
    name: str
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IntentScore:
    """How one seeded theme matched its gold label (items; ``unit_*``: the same over units)."""

    label: str
    theme_id: str
    threshold: float
    n_true: int
    n_claimed: int
    n_correct: int
    precision: float
    recall: float
    f1: float
    unit_precision: float
    unit_recall: float
    unit_f1: float
    n_from_examples: int


@dataclass(frozen=True, slots=True)
class SeedEvalResult:
    """The scores of one seed group on one mined file."""

    path: str
    embedder: str
    group: int
    threshold_asked: float | None
    n_items: int
    n_units: int
    n_themes: int
    mean_threshold: float
    """The mean of the seeds' thresholds (each seed's own default when none was asked)."""
    intents: tuple[IntentScore, ...]
    macro_precision: float
    macro_recall: float
    macro_f1: float
    mine_seconds: float
    seed_seconds: float

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        out = asdict(self)
        out["intents"] = [asdict(score) for score in self.intents]
        return out


def load_seeds(path: Path) -> list[Seed]:
    """Read a seeds file: ``{"seeds": [{"label", "name", "examples": [...]}, ...]}``."""
    document = json.loads(path.read_text(encoding="utf-8"))
    seeds = [
        Seed(str(s["label"]), str(s["name"]), tuple(str(e) for e in s["examples"]))
        for s in document["seeds"]
    ]
    if not seeds:
        raise InvalidInputError(f"The seeds file '{path}' lists no seeds.")
    return seeds


@dataclass(frozen=True, slots=True)
class _Mined:
    """A mined store on disk and what the scoring needs of it."""

    database: Path
    workspace_id: int
    labels: dict[str, str]  # item external id -> gold label
    n_units: int
    n_themes: int
    seconds: float


def mine_labelled_csv(path: Path, embedder: Embedder, database: Path) -> _Mined:
    """Ingest the CSV's rows into a new SQLite store at ``database`` and mine them (a real job)."""
    units = load_labelled_csv(path)
    if len(units.texts) < 2:
        raise InvalidInputError(f"The evaluation file '{path}' needs at least 2 rows with text.")
    ids = [f"row-{i:05d}" for i in range(len(units.texts))]
    started = time.perf_counter()
    store = open_store(f"sqlite:///{database}")
    try:
        workspace_id = store.create_workspace("seed-eval").id
        raw = [{"id": i, "text": t} for i, t in zip(ids, units.texts, strict=True)]
        good, errors = validate_rows(raw, max_text_chars=MAX_TEXT_CHARS)
        if errors:
            raise InvalidInputError(f"{len(errors)} rows of '{path}' were rejected: {errors[0]}")
        prepared = prepare_items([row for _, row in good], PiiRedactor(), LanguageIdentifier())
        store.upsert_feedback(workspace_id, prepared)
        result = _mine(store, workspace_id, embedder)
    finally:
        store.close()
    return _Mined(
        database=database,
        workspace_id=workspace_id,
        labels=dict(zip(ids, units.labels, strict=True)),
        n_units=int(result["n_units"]),
        n_themes=int(result["n_themes"]),
        seconds=time.perf_counter() - started,
    )


def _mine(store: Store, workspace_id: int, embedder: Embedder) -> dict[str, Any]:
    from feedback_nlp.jobs import run_mine_job  # the job stack, only when mining

    job = store.create_job(workspace_id, "mine", {"n_resamples": 0})
    claimed = store.claim_next_job()
    if claimed is None or claimed.id != job.id:
        raise RuntimeError("the evaluation's mining job could not be claimed")
    settings = Settings(models=ModelSettings(embedder=embedder.name))
    result = run_mine_job(store, claimed, settings, embedder=embedder, sentiment=False)
    store.finish_job(job.id, "succeeded", result=result)
    return result


def _unit_themes(store: Store, workspace_id: int) -> list[tuple[str, str | None]]:
    """``(item external id, theme id)`` of every unit of the workspace."""
    u = opinion_units.c
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(feedback_items.c.external_id, u.theme_id)
            .join(feedback_items, feedback_items.c.id == u.item_id)
            .where(u.workspace_id == workspace_id)
        ).all()
    return [(str(r[0]), r[1]) for r in rows]


def _prf(correct: int, claimed: int, true: int) -> tuple[float, float, float]:
    precision = correct / claimed if claimed else 0.0
    recall = correct / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score_seeds(
    units: Sequence[tuple[str, str | None]],
    labels: dict[str, str],
    seeded: Sequence[tuple[Seed, str, float, int]],
) -> list[IntentScore]:
    """Precision, recall and F1 of each seeded theme against its gold label.

    Args:
        units: ``(item external id, theme id)`` of every unit.
        labels: Each item's gold label.
        seeded: ``(seed, theme id, threshold, units claimed by the examples)`` per seed.
    """
    scores = []
    for seed, theme_id, threshold, n_core in seeded:
        claimed_items = {item for item, theme in units if theme == theme_id}
        true_items = {item for item, label in labels.items() if label == seed.label}
        p, r, f = _prf(len(claimed_items & true_items), len(claimed_items), len(true_items))
        unit_claimed = [item for item, theme in units if theme == theme_id]
        unit_true = sum(labels[item] == seed.label for item, _ in units)
        unit_correct = sum(labels[item] == seed.label for item in unit_claimed)
        up, ur, uf = _prf(unit_correct, len(unit_claimed), unit_true)
        scores.append(
            IntentScore(
                label=seed.label,
                theme_id=theme_id,
                threshold=threshold,
                n_true=len(true_items),
                n_claimed=len(claimed_items),
                n_correct=len(claimed_items & true_items),
                precision=p,
                recall=r,
                f1=f,
                unit_precision=up,
                unit_recall=ur,
                unit_f1=uf,
                n_from_examples=n_core,
            )
        )
    return scores


def _seed_group(
    mined: _Mined,
    database: Path,
    seeds: Sequence[Seed],
    embedder: Embedder,
    threshold: float | None,
) -> tuple[list[IntentScore], float]:
    """Apply one group of seeds on a copy of the mined store; scores and seconds."""
    shutil.copyfile(mined.database, database)
    started = time.perf_counter()
    store = open_store(f"sqlite:///{database}")
    try:
        service = TaxonomyService(
            store, mined.workspace_id, actor="seed-eval", embedder=lambda: embedder
        )
        seeded = []
        for seed in seeds:
            outcome = service.seed(seed.name, list(seed.examples), threshold=threshold)
            op = outcome.operation
            seeded.append(
                (
                    seed,
                    str(op.params["theme_id"]),
                    float(op.params["threshold"]),
                    int(op.effect.get("n_from_examples", 0)),
                )
            )
        units = _unit_themes(store, mined.workspace_id)
    finally:
        store.close()
    return score_seeds(units, mined.labels, seeded), time.perf_counter() - started


def run_seed_eval(
    path: Path,
    groups: Sequence[Sequence[Seed]],
    embedder: Embedder,
    *,
    thresholds: Sequence[float | None] = (None,),
    workdir: Path | None = None,
) -> list[SeedEvalResult]:
    """Mine ``path`` once, then apply each seed group at each threshold (same run) and score it.

    Args:
        path: CSV with columns ``text,label[,lang]``; the seeds' labels must occur in it.
        groups: Seed groups; each is applied on its own copy of the mined store.
        embedder: The workspace's embedder (mining and seeds).
        thresholds: Every seed's threshold, one evaluation per value (``None``: each seed's
            own default, as in the product).
        workdir: Where the SQLite files go (default: a temporary folder, removed afterwards).

    Returns:
        One result per (group, threshold), groups in order, thresholds inside each group.
    """
    with tempfile.TemporaryDirectory(prefix="seed-eval-") as scratch:
        folder = workdir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        mined = mine_labelled_csv(path, embedder, folder / "mined.sqlite3")
        known = set(mined.labels.values())
        results = []
        for g, seeds in enumerate(groups):
            missing = sorted({s.label for s in seeds} - known)
            if missing or not seeds:
                raise InvalidInputError(
                    f"Seed group {g} names labels not in '{path}': {missing}. "
                    "Seed labels must be gold labels of the file."
                )
            for threshold in thresholds:
                scores, seconds = _seed_group(
                    mined, folder / f"group{g}.sqlite3", seeds, embedder, threshold
                )
                n = len(scores)
                results.append(
                    SeedEvalResult(
                        path=str(path),
                        embedder=embedder.name,
                        group=g,
                        threshold_asked=threshold,
                        n_items=len(mined.labels),
                        n_units=mined.n_units,
                        n_themes=mined.n_themes,
                        mean_threshold=sum(s.threshold for s in scores) / n,
                        intents=tuple(scores),
                        macro_precision=sum(s.precision for s in scores) / n,
                        macro_recall=sum(s.recall for s in scores) / n,
                        macro_f1=sum(s.f1 for s in scores) / n,
                        mine_seconds=mined.seconds,
                        seed_seconds=seconds,
                    )
                )
    return results


def format_seed_eval(result: SeedEvalResult) -> list[str]:
    """A Markdown table of the per-seed scores and the macro means."""
    asked = (
        "each seed's default"
        if result.threshold_asked is None
        else f"{result.threshold_asked:.2f} (asked)"
    )
    lines = [
        f"{result.n_items} items, {result.n_units} units, {result.n_themes} mined themes; "
        f"threshold: {asked} (mean {result.mean_threshold:.2f}); "
        "embed + mine "
        f"{result.mine_seconds:.0f} s, seeding {result.seed_seconds:.0f} s",
        "",
        "| intent | threshold | gold | claimed | correct | precision | recall | F1 | "
        "unit P / R / F1 | claimed by examples |",
        "|" + "---|" * 10,
    ]
    for s in result.intents:
        lines.append(
            f"| {s.label} | {s.threshold:.2f} | {s.n_true} | {s.n_claimed} | {s.n_correct} | "
            f"{s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | "
            f"{s.unit_precision:.3f} / {s.unit_recall:.3f} / {s.unit_f1:.3f} | "
            f"{s.n_from_examples} |"
        )
    lines.append(
        f"| **macro** | | | | | **{result.macro_precision:.3f}** | "
        f"**{result.macro_recall:.3f}** | **{result.macro_f1:.3f}** | | |"
    )
    return lines
