"""The taxonomy edits of one workspace: what the API, the CLI and the dashboard call.

:class:`TaxonomyService` offers every edit as one method (merge, split, move, ignore, seed,
rename), previews of splits and seeds, the operation list, undo and redo. Each edit runs in one
write transaction holding the workspace's taxonomy lock (:mod:`feedback_nlp.store.taxonomy`): it
reads the latest run's units and the operations, replays the operations in force, checks the new
edit against the result (:mod:`feedback_nlp.taxonomy.checks`), records it with who made it and
applies it; then only what changed is written. So concurrent edits are serialised: the second
one sees the first one's result, or gets a 409 when the first emptied its theme (or when the
caller passed ``expected_seq`` and the log moved on).

Splits and seeds need unit vectors. They are never embedded inside the transaction: a replay that
lacks some raises :class:`~feedback_nlp.taxonomy.vectors.MissingVectors`, the transaction is
rolled back, the vectors are fetched (from the embeddings cache, which holds what the mining job
embedded) and the edit is tried again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.engine import Connection

from feedback_nlp.constraints import check_param
from feedback_nlp.embed.base import Embedder, FloatMatrix
from feedback_nlp.errors import ConfigurationError, ConflictError, TaxonomyEditError
from feedback_nlp.taxonomy.appliers import apply_seed, apply_split
from feedback_nlp.taxonomy.checks import (
    check_expected,
    existing_theme,
    live_theme,
    merge_ids,
    undo_target,
    unit_refs,
)
from feedback_nlp.taxonomy.draft import ReplayContext
from feedback_nlp.taxonomy.operations import (
    OPERATION_SEQ,
    check_examples,
    check_k,
    check_label,
    check_seed,
    check_threshold,
    child_ids,
    seed_phrases,
    seeded_id,
    themes_named,
)
from feedback_nlp.taxonomy.previews import SeedPreview, SplitPreview, seed_preview, split_preview
from feedback_nlp.taxonomy.redo import redo_operation, redo_target
from feedback_nlp.taxonomy.replay import Replay
from feedback_nlp.taxonomy.seed import SeedSpace, seed_threshold
from feedback_nlp.taxonomy.vectors import (
    EmbeddedVectors,
    MissingVectors,
    TextEmbedder,
    phrase_embedder,
)
from feedback_nlp.taxonomy_records import Operation, TaxonomyBase

if TYPE_CHECKING:
    from feedback_nlp.store import Store

__all__ = ["EditOutcome", "EmbedderSource", "TaxonomyService", "TaxonomySummary", "UnitRef"]

T = TypeVar("T")
EmbedderSource = Callable[[], Embedder]
"""Returns the workspace's embedder (loaded on first use: only splits and seeds need it)."""

UnitRef = tuple[str, int | str]
"""A unit named by its item's external id and its index in the item, or its text (a quote)."""

MAX_ATTEMPTS = 6
Step = Callable[[Connection, TaxonomyBase, list[Operation]], T]


@dataclass(frozen=True, slots=True)
class EditOutcome:
    """What an edit (or an undo) did.

    Attributes:
        operation: The operation recorded (or undone), as it stands now.
        units_moved: Units whose theme changed.
        report: How every operation in force fared (``applied``, ``partial``, ``skipped``
            counts and ``not_applied`` with the reasons).
    """

    operation: Operation
    units_moved: int
    report: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TaxonomySummary:
    """Where a workspace's taxonomy stands.

    Attributes:
        run_id: The latest mining run (what the edits apply to).
        latest_seq: The latest operation (0: none yet).
        n_in_force: Operations not undone.
        min_theme_size: The latest run's smallest theme size (a split's children need as many).
    """

    run_id: int | None
    latest_seq: int
    n_in_force: int
    min_theme_size: int


def _seed_params(seq: int, name: str | None, examples: list[str]) -> dict[str, Any]:
    """A new seed's params, but its threshold (see :mod:`~feedback_nlp.taxonomy.operations`)."""
    return {
        "theme_id": seeded_id(seq),
        "name": name,
        "examples": examples,
        "name_is_phrase": True,
    }


def _now() -> datetime:
    return datetime.now(UTC)


class TaxonomyService:
    """Edits of one workspace's themes, recorded and replayed.

    Args:
        store: The store.
        workspace_id: The workspace.
        actor: Who edits (the API key's name, ``cli:<user>``); recorded with each operation.
        embedder: Returns the workspace's embedder (the one its latest run used); needed by
            splits and seeds only, so loaded on first use.
    """

    def __init__(
        self,
        store: Store,
        workspace_id: int,
        *,
        actor: str | None = None,
        embedder: EmbedderSource | None = None,
    ) -> None:
        self.store = store
        self.workspace_id = workspace_id
        self.actor = actor
        self._embedder_source = embedder
        self._vectors: EmbeddedVectors | None = None
        self._phrases: TextEmbedder | None = None

    # --- reading ----------------------------------------------------------------------------

    def operations(self) -> list[Operation]:
        """Every operation of the workspace, in order (undone ones included)."""
        return self.store.list_operations(self.workspace_id)

    def summary(self) -> TaxonomySummary:
        """The latest run, the latest operation, the operations in force, the split bar."""
        with self.store.taxonomy_read() as connection:
            base = self.store.read_base(connection, self.workspace_id, with_units=False)
            operations = self.store.read_operations(connection, self.workspace_id)
        return TaxonomySummary(
            run_id=base.run_id,
            latest_seq=operations[-1].seq if operations else 0,
            n_in_force=sum(op.in_force for op in operations),
            min_theme_size=base.min_theme_size,
        )

    # --- edits ------------------------------------------------------------------------------

    def merge(
        self,
        theme_ids: Sequence[str],
        *,
        keep: str | None = None,
        label: str | None = None,
        expected_seq: int | None = None,
    ) -> EditOutcome:
        """Merge themes into one: ``keep`` (default: the first) takes every unit of the others.

        Args:
            theme_ids: The themes (with ``keep``: at least two different ones).
            keep: The id that stays (added to ``theme_ids`` when not in it); the others are
                retired.
            label: A custom label of the merged theme (``None``: ``keep``'s label).
            expected_seq: The latest operation the caller saw (409 when it moved on).
        """
        label = check_label(label, "The merged theme's label")

        def build(run: Replay, _seq: int, _base: TaxonomyBase) -> dict[str, Any]:
            ids, kept = merge_ids(run.draft, list(theme_ids), keep)
            previous = run.draft.themes[kept].custom_label
            return {"theme_ids": ids, "keep": kept, "label": label, "previous_label": previous}

        return self._record("merge", build, expected_seq)

    def split(
        self,
        theme_id: str,
        k: int,
        *,
        labels: Sequence[str | None] | None = None,
        seed: int = 0,
        expected_seq: int | None = None,
    ) -> EditOutcome:
        """Split a theme into ``k`` children (its units' vectors re-clustered, as previewed).

        Args:
            theme_id: The theme; it needs at least ``k`` times the run's smallest theme size.
            k: Children, 2..20.
            labels: Custom labels of the children, in preview order (``None``: generated).
            seed: The k-means seed (the preview's).
            expected_seq: The latest operation the caller saw.
        """
        k, seed = check_k(k), check_seed(seed)
        names = [check_label(name, "A child's label") for name in (labels or [])]
        if len(names) > k:
            raise TaxonomyEditError(f"A split into {k} children takes at most {k} labels.")

        def build(run: Replay, seq: int, base: TaxonomyBase) -> dict[str, Any]:
            self._check_split(run, base, theme_id, k)
            return {
                "theme_id": theme_id,
                "k": k,
                "seed": seed,
                "children": child_ids(seq, k),
                "labels": names,
            }

        return self._record("split", build, expected_seq)

    def move(
        self,
        *,
        to: str | None,
        units: Sequence[UnitRef] = (),
        items: Sequence[str] = (),
        expected_seq: int | None = None,
    ) -> EditOutcome:
        """Move units (or every unit of some items) to a theme, or to the unassigned pool.

        Args:
            to: The target theme; ``None`` is the unassigned pool.
            units: ``(item external id, unit index or unit text)`` pairs.
            items: Item external ids (all their units).
            expected_seq: The latest operation the caller saw.
        """

        def build(run: Replay, _seq: int, base: TaxonomyBase) -> dict[str, Any]:
            if to is not None:
                live_theme(run.draft, to, "target theme")
            return {"units": unit_refs(base, units, items), "to": to}

        return self._record("move", build, expected_seq)

    def ignore(self, theme_id: str, *, expected_seq: int | None = None) -> EditOutcome:
        """Hide a theme from the insights (its units stay in it, and stored)."""

        def build(run: Replay, _seq: int, _base: TaxonomyBase) -> dict[str, Any]:
            theme = live_theme(run.draft, theme_id)
            if theme.ignored:
                raise ConflictError(f"The theme {theme_id} is ignored already.")
            return {"theme_id": theme_id}

        return self._record("ignore", build, expected_seq)

    def seed(
        self,
        name: str,
        examples: Sequence[str],
        *,
        threshold: float | None = None,
        expected_seq: int | None = None,
    ) -> EditOutcome:
        """Make a theme from a name and example phrases (in any language).

        It claims the units similar to them, now and after every re-mine.

        Args:
            name: Its label.
            examples: One or more example phrases.
            threshold: The similarity a unit needs (``None``: the seed's default,
                :func:`~feedback_nlp.taxonomy.seed.seed_threshold`).
            expected_seq: The latest operation the caller saw.
        """
        label = check_label(name, "A seeded theme's name")
        phrases = check_examples(list(examples) if examples is not None else examples)
        bar = None if threshold is None else check_threshold(threshold)
        self._embedder()  # loaded before the transaction, not inside it

        def build(run: Replay, seq: int, _base: TaxonomyBase) -> dict[str, Any]:
            params = _seed_params(seq, label, phrases)
            params["threshold"] = self._default_threshold(run, params) if bar is None else bar
            return params

        return self._record("seed", build, expected_seq)

    def rename(
        self, theme_id: str, label: str | None, *, expected_seq: int | None = None
    ) -> EditOutcome:
        """Give a theme (or a parent group) a custom label; ``None`` goes back to the generated."""
        cleaned = check_label(label)

        def build(run: Replay, _seq: int, _base: TaxonomyBase) -> dict[str, Any]:
            previous = existing_theme(run.draft, theme_id).custom_label
            return {"theme_id": theme_id, "label": cleaned, "previous_label": previous}

        return self._record("rename", build, expected_seq)

    def undo(self, seq: int | None = None, *, expected_seq: int | None = None) -> EditOutcome:
        """Undo operation ``seq`` (default: the latest one in force); the others are replayed."""
        seq = check_param("TaxonomyService.undo", "seq", seq, OPERATION_SEQ)

        def step(connection: Connection, base: TaxonomyBase, ops: list[Operation]) -> EditOutcome:
            check_expected(ops, expected_seq)
            target = undo_target(ops, seq)
            when = self.store.mark_undone(
                connection,
                self.workspace_id,
                target,
                self.actor,
                themes_named(target.kind, target.params),
            )
            undone = replace(target, undone_at=when, undone_by=self.actor, status="undone")
            rest = [undone if op.seq == target.seq else op for op in ops]
            run = self._replayed(base, rest)
            result = run.finish(rest)
            moved = self.store.write_replay(connection, self.workspace_id, base, result, rest)
            return EditOutcome(replace(undone, note=None), moved, result.report(rest))

        return self._transact(step, write=True)

    def redo(self, seq: int | None = None, *, expected_seq: int | None = None) -> EditOutcome:
        """Redo an undone operation (default: the top of the redo stack) as a new operation.

        See :mod:`feedback_nlp.taxonomy.redo`: same params and ids, a new ``seq``; a new edit
        after an undo clears the stack.
        """
        seq = check_param("TaxonomyService.redo", "seq", seq, OPERATION_SEQ)

        def step(connection: Connection, base: TaxonomyBase, ops: list[Operation]) -> EditOutcome:
            check_expected(ops, expected_seq)
            target = redo_target(ops, seq)
            new_seq = self.store.next_seq(connection, self.workspace_id)
            op = redo_operation(target, new_seq, self.actor, _now())
            return self._append(connection, base, ops, self._replayed(base, ops), op)

        return self._transact(step, write=True)

    # --- previews ---------------------------------------------------------------------------

    def preview_split(self, theme_id: str, k: int, *, seed: int = 0) -> SplitPreview:
        """The children :meth:`split` would make now (nothing is written)."""
        k, seed = check_k(k), check_seed(seed)

        def step(connection: Connection, base: TaxonomyBase, ops: list[Operation]) -> SplitPreview:
            run = self._replayed(base, ops)
            self._check_split(run, base, theme_id, k)
            seq = self.store.next_seq(connection, self.workspace_id)
            params = {"theme_id": theme_id, "k": k, "seed": seed, "children": child_ids(seq, k)}
            op = Operation(seq=seq, kind="split", params=params, actor=None, created_at=_now())
            done = apply_split(run.draft, op, run.context)
            return split_preview(run.draft, done, theme_id, k, base.min_theme_size)

        return self._transact(step, write=False)

    def preview_seed(
        self, name: str, examples: Sequence[str], *, threshold: float | None = None
    ) -> SeedPreview:
        """The units :meth:`seed` would claim now (nothing is written)."""
        label = check_label(name, "A seeded theme's name") or ""
        phrases = check_examples(list(examples) if examples is not None else examples)
        bar = None if threshold is None else check_threshold(threshold)
        self._embedder()

        def step(connection: Connection, base: TaxonomyBase, ops: list[Operation]) -> SeedPreview:
            run = self._replayed(base, ops)
            seq = self.store.next_seq(connection, self.workspace_id)
            params = _seed_params(seq, label, phrases)
            default = self._default_threshold(run, params)
            params["threshold"] = default if bar is None else bar
            op = Operation(seq=seq, kind="seed", params=params, actor=None, created_at=_now())
            before = list(run.draft.assigned.tolist())
            done = apply_seed(run.draft, op, run.context)
            return seed_preview(
                run.draft,
                before,
                done,
                theme_id=seeded_id(seq),
                name=label,
                default=default,
            )

        return self._transact(step, write=False)

    # --- machinery --------------------------------------------------------------------------

    def _record(
        self,
        kind: str,
        build: Callable[[Replay, int, TaxonomyBase], dict[str, Any]],
        expected_seq: int | None,
    ) -> EditOutcome:
        """Check, record and apply a new operation in one locked write transaction."""

        def step(connection: Connection, base: TaxonomyBase, ops: list[Operation]) -> EditOutcome:
            check_expected(ops, expected_seq)
            run = self._replayed(base, ops)
            seq = self.store.next_seq(connection, self.workspace_id)
            params = build(run, seq, base)
            op = Operation(seq=seq, kind=kind, params=params, actor=self.actor, created_at=_now())
            return self._append(connection, base, ops, run, op)

        return self._transact(step, write=True)

    def _append(
        self,
        connection: Connection,
        base: TaxonomyBase,
        ops: list[Operation],
        run: Replay,
        op: Operation,
    ) -> EditOutcome:
        """Apply ``op`` after ``ops`` (replayed in ``run``), record it, write the result."""
        done = run.apply(op)
        op = replace(op, status=done.status, note=done.note, effect=done.effect, run_id=base.run_id)
        everything = [*ops, op]
        result = run.finish(everything)
        history = themes_named(op.kind, op.params)
        self.store.insert_operation(connection, self.workspace_id, op, history)
        moved = self.store.write_replay(connection, self.workspace_id, base, result, ops)
        return EditOutcome(op, moved, result.report(everything))

    def _transact(self, step: Step[T], *, write: bool) -> T:
        """Run ``step`` in a transaction; on missing vectors fetch them outside it and retry."""
        for _ in range(MAX_ATTEMPTS):
            try:
                if write:
                    with self.store.taxonomy_write(self.workspace_id) as connection:
                        return self._step(step, connection)
                with self.store.taxonomy_read() as connection:
                    return self._step(step, connection)
            except MissingVectors as missing:
                self._vector_source().fetch(missing.keys, missing.texts)
        raise ConflictError(
            "The workspace's units kept changing while their vectors were read (a mining run "
            "or an ingest in progress?). Retry the edit."
        )

    def _step(self, step: Step[T], connection: Connection) -> T:
        base = self.store.read_base(connection, self.workspace_id)
        operations = self.store.read_operations(connection, self.workspace_id)
        return step(connection, base, operations)

    def _replayed(self, base: TaxonomyBase, operations: Sequence[Operation]) -> Replay:
        """A replay with every operation in force applied."""
        run = Replay(base, self._context())
        for op in operations:
            if op.in_force:
                run.apply(op)
        return run

    def _context(self) -> ReplayContext:
        return ReplayContext(vectors=self._held_vectors, embed_phrases=self._embed_phrases)

    def _held_vectors(self, keys: Sequence[str], texts: Sequence[str]) -> FloatMatrix:
        if self._vectors is None:
            raise MissingVectors(keys, texts)
        return self._vectors(keys, texts)

    def _embed_phrases(self, phrases: Sequence[str]) -> FloatMatrix:
        if self._phrases is None:
            self._phrases = phrase_embedder(self._embedder())
        return self._phrases(phrases)

    def _embedder(self) -> Embedder:
        if self._embedder_source is None:
            raise ConfigurationError(
                "This edit compares embeddings (a split or a seed) but the taxonomy service was "
                "made without an embedder. Pass embedder= (the workspace's embedder)."
            )
        return self._embedder_source()

    def _vector_source(self) -> EmbeddedVectors:
        if self._vectors is None:
            self._vectors = EmbeddedVectors(
                self._embedder(), self.store.vector_cache(self.workspace_id)
            )
        return self._vectors

    def _default_threshold(self, run: Replay, params: Mapping[str, Any]) -> float:
        """The seed's default threshold, measured on its scores over the latest run's units."""
        draft = run.draft
        vectors = draft.vectors_of(run.context, list(range(len(draft.units))))
        space = SeedSpace.of(vectors, draft.units.langs)
        phrases = self._embed_phrases(seed_phrases(params))
        return seed_threshold(space.units, space.phrases(phrases))

    def _check_split(self, run: Replay, base: TaxonomyBase, theme_id: str, k: int) -> None:
        live_theme(run.draft, theme_id)
        n = len(run.draft.members(theme_id))
        needed = k * base.min_theme_size
        if n < needed:
            raise TaxonomyEditError(
                f"The theme {theme_id} has {n} units; splitting it into {k} needs at least "
                f"{k} x {base.min_theme_size} = {needed} (the latest run's smallest theme size "
                f"is {base.min_theme_size}). Split a larger theme, or into fewer children."
            )
