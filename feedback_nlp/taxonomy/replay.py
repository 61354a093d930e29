"""Replaying the recorded edits: from the mined assignment to the taxonomy the analysts shaped.

The same replay runs after every edit, after an undo and after every mining run: it starts from
what the run found (:class:`~feedback_nlp.taxonomy.draft.Draft`), applies every operation in
force in ``seq`` order (:data:`~feedback_nlp.taxonomy.appliers.APPLIERS`), then finishes the
themes:

* **sizes and languages** of the shown themes are counted from their units now;
* **labels**: a theme's custom label is the one set by its latest applied edit (rename, merge
  with a label, seed name, split child label), else what it had before its first such edit;
* **quotes**: a mined theme shows the run's quotes of itself and of the themes merged into it
  that are still its units; a seeded or split theme shows its most central members;
* themes made by an edit that was undone are removed.

Pure computation over the rows read by the store; the result is written back by
:meth:`~feedback_nlp.store.taxonomy.TaxonomyStore.write_replay`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from feedback_nlp.taxonomy.appliers import APPLIERS
from feedback_nlp.taxonomy.draft import Draft, ReplayContext
from feedback_nlp.taxonomy_records import (
    Application,
    Operation,
    ReplayResult,
    TaxonomyBase,
)

__all__ = ["Replay", "replay"]

N_QUOTES = 5


class Replay:
    """Apply operations one by one to a base, then :meth:`finish`.

    Args:
        base: The latest run's units and the theme rows.
        context: Vectors and the phrase embedder.
    """

    def __init__(self, base: TaxonomyBase, context: ReplayContext) -> None:
        self.base = base
        self.context = context
        self.draft = Draft(base)
        self.applications: dict[int, Application] = {}

    def apply(self, op: Operation) -> Application:
        """Apply one operation in force (in ``seq`` order); returns what it did."""
        done = APPLIERS[op.kind](self.draft, op, self.context)
        self.applications[op.seq] = done
        return done

    def finish(self, operations: Sequence[Operation]) -> ReplayResult:
        """Sizes, languages, labels and quotes of the themes; the result."""
        draft = self.draft
        _count_members(draft)
        labels = _custom_labels(draft, operations, self.applications)
        in_force = {op.seq for op in operations if op.in_force}
        removed = frozenset(
            t.theme_id
            for t in draft.themes.values()
            if t.origin != "mined" and t.created_by_op not in in_force
        )
        quotes = _quotes(draft)
        themes = {}
        for theme_id, theme in draft.themes.items():
            if theme_id in removed:
                continue
            changes: dict[str, Any] = {"custom_label": labels.get(theme_id, theme.custom_label)}
            if theme_id in quotes:
                changes["quotes"] = quotes[theme_id]
            themes[theme_id] = replace(theme, **changes)
        return ReplayResult(
            assigned=tuple(draft.assigned.tolist()),
            themes=themes,
            removed=removed,
            applications=dict(self.applications),
        )


def replay(
    base: TaxonomyBase, operations: Sequence[Operation], context: ReplayContext
) -> ReplayResult:
    """Apply every operation in force, in ``seq`` order, to ``base``."""
    run = Replay(base, context)
    for op in sorted(operations, key=lambda o: o.seq):
        if op.in_force:
            run.apply(op)
    return run.finish(operations)


def _count_members(draft: Draft) -> None:
    """Size and languages of every shown level-0 theme, and of every theme made by an edit."""
    sizes: Counter[str] = Counter()
    languages: dict[str, Counter[str]] = {}
    for theme_id, lang in zip(draft.assigned.tolist(), draft.units.langs, strict=True):
        if theme_id is not None:
            sizes[theme_id] += 1
            languages.setdefault(theme_id, Counter())[lang] += 1
    for theme_id, theme in draft.themes.items():
        if theme.level != 0 or not (theme.live or theme.origin != "mined"):
            continue
        counts = languages.get(theme_id, Counter())
        ordered = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        draft.update(theme_id, size=sizes[theme_id], languages=ordered)


def _custom_labels(
    draft: Draft, operations: Sequence[Operation], applications: dict[int, Application]
) -> dict[str, str | None]:
    """Each labelled theme's custom label: its latest applied label edit, else its label before."""
    entries: dict[str, list[tuple[int, str | None, str | None, bool]]] = {}
    for op in sorted(operations, key=lambda o: o.seq):
        applied = op.in_force and applications.get(op.seq, Application("skipped", None)).status
        took = applied in ("applied", "partial")
        for theme_id, label, previous in _label_edits(op):
            entries.setdefault(theme_id, []).append((op.seq, label, previous, took))
    labels: dict[str, str | None] = {}
    for theme_id, edits in entries.items():
        if theme_id not in draft.themes:
            continue
        taken = [label for _, label, _, took in edits if took]
        labels[theme_id] = taken[-1] if taken else edits[0][2]
    return labels


def _label_edits(op: Operation) -> list[tuple[str, str | None, str | None]]:
    """``(theme, label, label before)`` of each label an operation sets."""
    p = op.params
    if op.kind == "rename":
        return [(str(p["theme_id"]), p.get("label"), p.get("previous_label"))]
    if op.kind == "merge" and p.get("label") is not None:
        return [(str(p["keep"]), p["label"], p.get("previous_label"))]
    if op.kind == "seed":
        return [(str(p["theme_id"]), p["name"], None)]
    if op.kind == "split":
        names = p.get("labels") or []
        return [(str(c), n, None) for c, n in zip(p["children"], names, strict=False) if n]
    return []


def _quotes(draft: Draft) -> dict[str, list[dict[str, str]]]:
    """The quotes of every shown theme that are still its units."""
    units = draft.units
    located: dict[tuple[str, str], list[int]] = {}
    for row, (external_id, text) in enumerate(zip(units.external_ids, units.texts, strict=True)):
        located.setdefault((external_id, text), []).append(row)
    assigned = draft.assigned
    found: dict[str, list[dict[str, str]]] = {}
    for theme_id, theme in draft.themes.items():
        if not theme.live:
            continue
        if theme.origin != "mined":
            rows = [units.positions[k] for k in draft.quote_keys.get(theme_id, [])]
            found[theme_id] = [
                {
                    "text": units.texts[r],
                    "lang": units.langs[r],
                    "external_id": units.external_ids[r],
                }
                for r in rows
                if assigned[r] == theme_id
            ][:N_QUOTES]
            continue
        candidates = list(theme.mined_quotes)
        for merged in draft.absorbed.get(theme_id, []):
            candidates += draft.themes[merged].mined_quotes
        kept = []
        for quote in candidates:
            rows = located.get((str(quote.get("external_id")), str(quote.get("text"))), [])
            if any(assigned[r] == theme_id for r in rows) and quote not in kept:
                kept.append(quote)
        found[theme_id] = kept[:N_QUOTES]
    return found
