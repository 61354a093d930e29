"""Redo: put an undone taxonomy edit back in force, as a new recorded operation.

A redo is recorded like any edit: a new operation with the next ``seq``, the redoing actor and
time, and the undone operation's kind, ``params`` (so the same theme ids: a seeded theme or a
split's children come back under their ids) and last ``effect`` (so on the same mining run it
claims exactly what it claimed, with no embedding), plus ``"redo_of": <undone seq>``. The undone
operation stays in the log, undone.

**The redo stack** (:func:`redo_stack`): the operations undone since the latest *new* edit (one
that is not a redo), not redone yet, the most recently undone first. A new edit after an undo
clears it: what was undone before a new edit can no longer be redone (make it again instead). A
redo takes the top of the stack unless told which ``seq`` to redo; naming one that is in force,
redone already or cleared by a newer edit is a 409, one that does not exist a 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from feedback_nlp.errors import ConflictError, NotFoundError
from feedback_nlp.taxonomy_records import Operation

__all__ = ["REDO_OF", "redo_operation", "redo_stack", "redo_target", "redone_seq"]

REDO_OF = "redo_of"


def redone_seq(op: Operation) -> int | None:
    """The ``seq`` ``op`` redoes (``None``: a new edit)."""
    value = op.params.get(REDO_OF)
    return None if value is None else int(value)


def redo_stack(operations: Sequence[Operation]) -> list[Operation]:
    """The operations a redo may take, the next one first (see the module docstring)."""
    fresh = [op.created_at for op in operations if redone_seq(op) is None]
    cutoff = max(fresh) if fresh else None
    redone = {redone_seq(op) for op in operations}
    stack = [
        op
        for op in operations
        if op.undone_at is not None
        and op.seq not in redone
        and (cutoff is None or op.undone_at > cutoff)
    ]
    return sorted(stack, key=lambda op: (op.undone_at, op.seq), reverse=True)


def redo_target(operations: Sequence[Operation], seq: int | None) -> Operation:
    """The operation a redo names (``None``: the top of the stack): 404 if none, 409 if not."""
    stack = redo_stack(operations)
    if seq is None:
        if not stack:
            raise NotFoundError(
                "There is no undone taxonomy operation to redo in this workspace (a new edit "
                "after an undo clears what can be redone)."
            )
        return stack[0]
    found = next((op for op in operations if op.seq == seq), None)
    if found is None:
        raise NotFoundError(
            f"No taxonomy operation {seq} in this workspace. List its taxonomy operations "
            "for their numbers."
        )
    if found.in_force:
        raise ConflictError(f"Taxonomy operation {seq} is in force: there is nothing to redo.")
    if any(redone_seq(op) == seq for op in operations):
        again = next(op.seq for op in operations if redone_seq(op) == seq)
        raise ConflictError(f"Taxonomy operation {seq} was redone already (operation {again}).")
    if found not in stack:
        raise ConflictError(
            f"Taxonomy operation {seq} can no longer be redone: a new edit was made after it "
            "was undone. Make the edit again instead."
        )
    return found


def redo_operation(target: Operation, seq: int, actor: str | None, at: datetime) -> Operation:
    """The new operation that redoes ``target`` (same kind, params and effect; a new ``seq``)."""
    return replace(
        target,
        seq=seq,
        params={**target.params, REDO_OF: target.seq},
        actor=actor,
        created_at=at,
        status="applied",
        note=None,
        effect=dict(target.effect),
        undone_at=None,
        undone_by=None,
    )
