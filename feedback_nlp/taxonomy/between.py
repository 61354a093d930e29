"""New feedback between mining runs follows the taxonomy: its units join the latest run, edited.

An assignment pass (:mod:`feedback_nlp.jobs.assign`) gives each new unit the theme the run's
registry would (its nearest theme of the run, when at or above that theme's acceptance bar: the
lower quantile of its members' similarities; else the unassigned pool). :func:`assign_between_mines`
then writes the units into the latest run in one write transaction holding the taxonomy lock,
and replays the analysts' edits on the run as an edit does (:class:`~feedback_nlp.taxonomy.
replay.Replay`), so merged themes take the units of the themes merged into them, split themes
send them to the nearest child, ignored themes keep them hidden and moves stay as they were.

Seeds matched on this run keep the units they claimed (the replay reuses them): each seed first
scores the new units against its examples and its members (:func:`~feedback_nlp.taxonomy.seed.
claim_new_units`) and the units it claims are added to what it claimed, in the order of the edits,
so a later edit (and an undo) replays them too. The replay writes what changed: the units'
themes, the themes' sizes (a new ``updated_at``, which makes the analytics state reload the
units' themes) and the seeds' effects. The next mining run supersedes all of it as usual.

Without any edit to replay (a workspace nobody has steered yet), the replay would move no stored
unit and keep every label and quote: the pass then only grows the sizes and language counts of
the themes the new units joined, without reading the run's other units, and leaves the themes'
``updated_at`` as it was, so the analytics state merges the new units through their items instead
of reloading every unit (at a million items the full replay held the write lock past the 30 s
busy timeout, and ingest failed with "database is locked").

Vectors are never embedded in the transaction: the new units' are held, the others' (a seed's
space needs every unit) come from the embeddings cache; when some are missing the transaction is
rolled back, they are fetched and the pass tries again (as :class:`~feedback_nlp.taxonomy.service.
TaxonomyService` does).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.engine import Connection

from feedback_nlp.errors import ConflictError
from feedback_nlp.taxonomy.draft import ReplayContext
from feedback_nlp.taxonomy.operations import seed_phrases
from feedback_nlp.taxonomy.replay import Replay
from feedback_nlp.taxonomy.seed import SeedSpace, claim_new_units
from feedback_nlp.taxonomy.vectors import (
    EmbeddedVectors,
    KeyedVectors,
    LayeredVectors,
    MissingVectors,
    TextEmbedder,
)
from feedback_nlp.taxonomy_records import Operation, ReplayResult, TaxonomyBase, unit_key

if TYPE_CHECKING:
    from feedback_nlp.domain import MinedUnit
    from feedback_nlp.store import Store

__all__ = ["AssignedUnits", "assign_between_mines"]

MAX_ATTEMPTS = 6


@dataclass(frozen=True, slots=True)
class AssignedUnits:
    """What an assignment pass wrote.

    Attributes:
        run_id: The run the units joined (``None``: a newer run was saved meanwhile, nothing
            was written).
        themes: The theme of each unit written, by unit key (``None``: unassigned).
        hidden: Units in themes an analyst ignored (stored, hidden from the insights).
        claimed_by_seeds: Units a seed claimed, by the seed's theme.
        report: How the edits fared (:meth:`~feedback_nlp.taxonomy.replay.ReplayResult.report`).
    """

    run_id: int | None
    themes: dict[str, str | None]
    hidden: int
    claimed_by_seeds: dict[str, int]
    report: dict[str, Any]


def assign_between_mines(
    store: Store,
    workspace_id: int,
    run_id: int,
    units: Sequence[MinedUnit],
    vectors: KeyedVectors,
    *,
    embed_phrases: TextEmbedder,
    cached: EmbeddedVectors,
    guard: Callable[[Connection], None] | None = None,
) -> AssignedUnits:
    """Write new units into run ``run_id`` and replay the taxonomy on them.

    Args:
        store: The store.
        workspace_id: The workspace.
        run_id: The run the units were assigned against (nothing is written when a newer run
            was saved since).
        units: The new units, each with the theme the run's registry gives it.
        vectors: The new units' vectors, by unit key.
        embed_phrases: Embeds seed examples with the run's embedder.
        cached: The other units' vectors (the embeddings cache), fetched between attempts.
        guard: Called first in the transaction (a job checks there that it still holds its
            claim; what it raises rolls the pass back).

    Raises:
        ConflictError: If the units' vectors kept changing over every attempt.
    """
    source = LayeredVectors(vectors, cached)
    context = ReplayContext(vectors=source, embed_phrases=embed_phrases)
    for _ in range(MAX_ATTEMPTS):
        try:
            with store.taxonomy_write(workspace_id) as connection:
                if guard is not None:
                    guard(connection)
                if store.latest_run_in(connection, workspace_id) != run_id:
                    return AssignedUnits(None, {}, 0, {}, {})
                kept = store.insert_assigned_units(connection, workspace_id, run_id, units)
                return _replay(store, connection, workspace_id, kept, context)
        except MissingVectors as missing:
            cached.fetch(missing.keys, missing.texts)
    raise ConflictError(
        "The workspace's units kept changing while their vectors were read (a mining run or an "
        "edit in progress?); the new feedback is assigned by the next pass."
    )


def _replay(
    store: Store,
    connection: Connection,
    workspace_id: int,
    kept: Sequence[MinedUnit],
    context: ReplayContext,
) -> AssignedUnits:
    operations = store.read_operations(connection, workspace_id)
    if not operations:
        return _joined_without_edits(store, connection, workspace_id, kept)
    base = store.read_base(connection, workspace_id)
    new_keys = [unit_key(u.item_id, u.unit_index) for u in kept]
    widened, claimed = _widened_seeds(base, operations, new_keys, context)
    run = Replay(base, context)
    for op in widened:
        if op.in_force:
            run.apply(op)
    result = run.finish(widened)
    store.write_replay(connection, workspace_id, base, result, operations)
    themes = {key: result.assigned[base.units.positions[key]] for key in new_keys}
    hidden = sum(
        1 for theme in themes.values() if theme in result.themes and result.themes[theme].ignored
    )
    return AssignedUnits(base.run_id, themes, hidden, claimed, result.report(widened))


def _joined_without_edits(
    store: Store, connection: Connection, workspace_id: int, kept: Sequence[MinedUnit]
) -> AssignedUnits:
    """What the replay of no edit gives, without reading the run's other units.

    With no edit, the replay moves no stored unit and keeps every theme's label and quotes;
    the new units join the themes they were given, whose sizes and language counts grow by
    them (counted and ordered as :class:`~feedback_nlp.taxonomy.replay.Replay` counts).
    """
    base = store.read_base(connection, workspace_id, with_units=False)
    added: dict[str, Counter[str]] = {}
    for unit in kept:
        if unit.theme_id is not None:
            added.setdefault(unit.theme_id, Counter())[unit.lang] += 1
    members: dict[str, tuple[int, dict[str, int]]] = {}
    for theme_id, counts in added.items():
        theme = base.themes.get(theme_id)
        if theme is None or theme.level != 0 or not (theme.live or theme.origin != "mined"):
            continue
        languages = Counter(theme.languages) + counts
        ordered = dict(sorted(languages.items(), key=lambda item: (-item[1], item[0])))
        members[theme_id] = (theme.size + sum(counts.values()), ordered)
    store.add_theme_members(connection, workspace_id, members)
    themes = {unit_key(u.item_id, u.unit_index): u.theme_id for u in kept}
    hidden = sum(
        1 for t in themes.values() if t is not None and t in base.themes and base.themes[t].ignored
    )
    report = ReplayResult(assigned=(), themes={}, removed=frozenset(), applications={}).report([])
    return AssignedUnits(base.run_id, themes, hidden, {}, report)


def _widened_seeds(
    base: TaxonomyBase,
    operations: Sequence[Operation],
    new_keys: Sequence[str],
    context: ReplayContext,
) -> tuple[list[Operation], dict[str, int]]:
    """The operations, each seed matched on this run with the new units it claims added."""
    seeds = [
        op
        for op in operations
        if op.in_force
        and op.kind == "seed"
        and op.effect.get("run_id") == base.run_id
        and "claimed" in op.effect
    ]
    if not seeds or not new_keys or context.embed_phrases is None:
        return list(operations), {}
    units = base.units
    everyone = list(range(len(units)))
    space = SeedSpace.of(
        context.vectors(list(units.keys), units.subset_texts(everyone)), units.langs
    )
    new_rows = np.array([units.positions[key] for key in new_keys], dtype=np.int64)
    widened: dict[int, Operation] = {}
    claimed: dict[str, int] = {}
    for op in seeds:
        members = [units.positions[k] for k in op.effect["claimed"] if k in units.positions]
        examples = space.phrases(context.embed_phrases(seed_phrases(op.params)))
        mask = claim_new_units(
            space.units[new_rows], examples, space.units[members], float(op.params["threshold"])
        )
        added = [new_keys[i] for i in np.flatnonzero(mask).tolist()]
        if not added:
            continue
        effect = dict(op.effect)
        effect["claimed"] = [*op.effect["claimed"], *added]
        effect["n_claimed"] = len(effect["claimed"])
        widened[op.seq] = replace(op, effect=effect)
        claimed[str(op.params["theme_id"])] = len(added)
    return [widened.get(op.seq, op) for op in operations], claimed
