"""How each kind of edit changes a :class:`~feedback_nlp.taxonomy.draft.Draft`.

One function per kind, all with the same contract: ``(draft, operation, context) ->``
:class:`~feedback_nlp.taxonomy.draft.Application`. An edit whose themes are gone (a later run did
not find them) is ``skipped`` with a note, one that lost some of them is ``partial``; nothing is
dropped silently. Edits are replayed on every mining run, so each works from its ``params`` (what
was asked) and the current draft; splits and seeds reuse what they computed on the same run
(``effect``) so that an undo needs no vectors, and recompute on a new run.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from feedback_nlp.errors import ConfigurationError
from feedback_nlp.taxonomy.draft import Draft, ReplayContext
from feedback_nlp.taxonomy.operations import seed_phrases
from feedback_nlp.taxonomy.seed import SeedSpace, match_seed
from feedback_nlp.taxonomy.split import (
    child_quotes,
    decode_centres,
    encode_centres,
    label_children,
    nearest_child,
    split_vectors,
)
from feedback_nlp.taxonomy_records import Application, Operation
from feedback_nlp.themes.arrays import FloatMatrix, IntArray
from feedback_nlp.themes.quotes import representative_quotes

__all__ = ["APPLIERS", "Applier"]

Applier = Callable[[Draft, Operation, ReplayContext], Application]


def _gone(draft: Draft, theme_ids: list[str]) -> str:
    listed = ", ".join(theme_ids)
    return f"{listed} {'is' if len(theme_ids) == 1 else 'are'} not in {draft.run_note()}"


def _same_run(draft: Draft, op: Operation) -> bool:
    return draft.run_id is not None and op.effect.get("run_id") == draft.run_id


def apply_merge(draft: Draft, op: Operation, _context: ReplayContext) -> Application:
    """Move every unit of the merged themes into ``keep``; they are retired."""
    keep = str(op.params["keep"])
    sources = [str(t) for t in op.params["theme_ids"] if t != keep]
    kept = draft.themes.get(keep)
    if kept is None or kept.level != 0:
        return Application("skipped", f"the kept theme {keep} no longer exists")
    live = [t for t in sources if draft.live(t)]
    gone = [t for t in sources if t not in live]
    if not live:
        return Application("skipped", f"nothing to merge: {_gone(draft, gone)}")
    moved = 0
    for theme_id in live:
        rows = draft.members(theme_id)
        draft.assign(rows, keep)
        moved += len(rows)
        draft.update(theme_id, active=False, retired_by_op=op.seq)
        draft.absorbed.setdefault(keep, []).extend([theme_id, *draft.absorbed.pop(theme_id, [])])
    draft.update(keep, active=True, retired_by_op=None)
    effect = {"run_id": draft.run_id, "merged": live, "units_moved": moved}
    if gone:
        return Application("partial", f"not merged: {_gone(draft, gone)}", effect)
    return Application("applied", None, effect)


def apply_move(draft: Draft, op: Operation, _context: ReplayContext) -> Application:
    """Put the named units into the target theme (or the unassigned pool)."""
    target = op.params.get("to")
    if target is not None and not draft.live(str(target)):
        return Application("skipped", f"the target theme {_gone(draft, [str(target)])}")
    rows: list[int] = []
    changed = missing = 0
    for unit in op.params["units"]:
        row = draft.units.positions.get(str(unit["key"]))
        if row is None:
            missing += 1
        elif draft.units.text_hashes[row] != unit["text_hash"]:
            changed += 1
        else:
            rows.append(row)
    draft.assign(rows, None if target is None else str(target))
    effect = {
        "run_id": draft.run_id,
        "moved": len(rows),
        "text_changed": changed,
        "not_found": missing,
    }
    if changed or missing:
        why = f"{changed} unit(s) whose text changed and {missing} not in {draft.run_note()} stay"
        return Application("partial" if rows else "skipped", why, effect)
    return Application("applied", None, effect)


def apply_ignore(draft: Draft, op: Operation, _context: ReplayContext) -> Application:
    """Hide a theme from the insights; its units stay in it."""
    theme_id = str(op.params["theme_id"])
    if not draft.live(theme_id):
        return Application("skipped", f"the ignored theme {_gone(draft, [theme_id])}")
    draft.update(theme_id, ignored=True)
    return Application("applied", None, {"run_id": draft.run_id})


def apply_rename(draft: Draft, op: Operation, _context: ReplayContext) -> Application:
    """A custom label (the label itself is set when the replay finishes)."""
    theme_id = str(op.params["theme_id"])
    if theme_id not in draft.themes:
        return Application("skipped", f"the renamed theme {theme_id} no longer exists")
    return Application("applied", None, {"run_id": draft.run_id})


def apply_split(draft: Draft, op: Operation, context: ReplayContext) -> Application:
    """Spread a theme's units over its children; the theme is retired."""
    theme_id = str(op.params["theme_id"])
    children = [str(c) for c in op.params["children"]]
    k = len(children)
    if not draft.live(theme_id):
        return Application("skipped", f"the split theme {_gone(draft, [theme_id])}")
    rows = draft.members(theme_id)
    recorded = op.effect.get("children") or []
    if op.effect.get("centroids"):
        centres = decode_centres(str(op.effect["centroids"]), k)
        labels = _recorded_children(draft, op, rows, centres, context)
        names = [dict(child.get("label", {})) for child in recorded]
        phrases = [dict(child.get("keyphrases", {})) for child in recorded]
    else:
        vectors = draft.vectors_of(context, rows)
        langs = [draft.units.langs[i] for i in rows]
        fitted = split_vectors(vectors, langs, k, seed=int(op.params.get("seed", 0)))
        labels, centres = fitted.labels, fitted.centres
        found = label_children(draft.units.subset_texts(rows.tolist()), langs, labels, k)
        names = [dict(found[c].label) for c in range(k)]
        phrases = [{lang: list(p) for lang, p in found[c].keyphrases.items()} for c in range(k)]
    parent = draft.themes[theme_id].parent_id
    described = []
    for c, child in enumerate(children):
        members = rows[labels == c]
        draft.assign(members, child)
        quotes = _child_quote_keys(draft, op, c, members, centres[c], context)
        draft.create(
            child,
            origin="split",
            created_by_op=op.seq,
            parent_id=parent,
            label=names[c] if c < len(names) else {},
            keyphrases=phrases[c] if c < len(phrases) else {},
        )
        draft.quote_keys[child] = quotes
        described.append(
            {
                "theme_id": child,
                "size": len(members),
                "label": names[c] if c < len(names) else {},
                "keyphrases": phrases[c] if c < len(phrases) else {},
                "members": [draft.units.keys[i] for i in members],
                "quotes": quotes,
            }
        )
    draft.update(theme_id, active=False, retired_by_op=op.seq)
    effect = {"run_id": draft.run_id, "centroids": encode_centres(centres), "children": described}
    return Application("applied", None, effect)


def _recorded_children(
    draft: Draft, op: Operation, rows: IntArray, centres: FloatMatrix, context: ReplayContext
) -> IntArray:
    """Each member's child: as recorded on this run, else the nearest child centre."""
    labels = np.full(len(rows), -1, dtype=np.int64)
    if _same_run(draft, op):
        child_of = {
            key: c for c, child in enumerate(op.effect["children"]) for key in child["members"]
        }
        for j, row in enumerate(rows.tolist()):
            labels[j] = child_of.get(draft.units.keys[row], -1)
    unknown = np.flatnonzero(labels < 0)
    if unknown.size:
        labels[unknown] = nearest_child(draft.vectors_of(context, rows[unknown]), centres)
    return labels


def _child_quote_keys(
    draft: Draft,
    op: Operation,
    child: int,
    members: IntArray,
    centre: FloatMatrix,
    context: ReplayContext,
) -> list[str]:
    """Quote units of one child: recorded on this run, else the most central members."""
    keys = [draft.units.keys[i] for i in members]
    if _same_run(draft, op):
        recorded = op.effect["children"][child].get("quotes", [])
        held = set(keys)
        kept = [key for key in recorded if key in held]
        if kept or not keys:
            return kept
    picked = child_quotes(
        draft.vectors_of(context, members), draft.units.subset_texts(members.tolist()), centre
    )
    return [keys[j] for j in picked]


def apply_seed(draft: Draft, op: Operation, context: ReplayContext) -> Application:
    """Claim the units most similar to the examples (and to the claimed members)."""
    theme_id = str(op.params["theme_id"])
    threshold = float(op.params["threshold"])
    everyone = np.arange(len(draft.units), dtype=np.int64)
    if _same_run(draft, op) and "claimed" in op.effect:
        rows = [
            draft.units.positions[k] for k in op.effect["claimed"] if k in draft.units.positions
        ]
        quotes = [k for k in op.effect.get("quotes", []) if k in draft.units.positions]
        effect = dict(op.effect)
    else:
        if context.embed_phrases is None:
            raise ConfigurationError(
                f"Taxonomy operation {op.seq} (a seed) must be matched again on {draft.run_note()}"
                ", which needs the workspace's embedder for its examples. Pass one."
            )
        space = SeedSpace.of(draft.vectors_of(context, everyone), draft.units.langs)
        examples = space.phrases(context.embed_phrases(seed_phrases(op.params)))
        match = match_seed(space.units, examples, threshold)
        rows = match.claimed.tolist()
        picked = (
            representative_quotes(space.units[match.claimed], match.centre, n_quotes=5)
            if rows
            else np.empty(0, dtype=np.int64)
        )
        quotes = [draft.units.keys[rows[j]] for j in picked.tolist()]
        effect = {
            "run_id": draft.run_id,
            "claimed": [draft.units.keys[i] for i in rows],
            "quotes": quotes,
            "n_claimed": len(rows),
            "n_from_examples": match.n_core,
            "threshold": threshold,
            "scores": match.score_quantiles(),
        }
    draft.assign(rows, theme_id)
    draft.create(theme_id, origin="seeded", created_by_op=op.seq)
    draft.quote_keys[theme_id] = quotes
    return Application("applied", None, effect)


APPLIERS: dict[str, Applier] = {
    "merge": apply_merge,
    "split": apply_split,
    "move": apply_move,
    "ignore": apply_ignore,
    "seed": apply_seed,
    "rename": apply_rename,
}
"""The applier of each operation kind."""
