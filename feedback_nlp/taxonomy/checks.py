"""What an edit asks of the themes it names, checked against the taxonomy as it is now.

Each check raises the error the API renders: an unknown id is 404 (themes of another workspace
are unknown too), a theme another edit emptied (merged away, split) is 409 (someone edited it
meanwhile: reload), and an edit that cannot be made as asked is 422 (a parent group, a theme the
latest run did not find, a split below twice the smallest theme size).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedback_nlp.constraints import check_param
from feedback_nlp.errors import ConflictError, NotFoundError, TaxonomyEditError
from feedback_nlp.taxonomy.draft import Draft
from feedback_nlp.taxonomy.operations import EXPECTED_SEQ, MAX_MOVED_UNITS, UNIT_INDEX
from feedback_nlp.taxonomy_records import Operation, TaxonomyBase, ThemeState

__all__ = [
    "check_expected",
    "existing_theme",
    "live_theme",
    "merge_ids",
    "undo_target",
    "unit_refs",
]

MAX_MERGED = 50


def existing_theme(draft: Draft, theme_id: object) -> ThemeState:
    """The theme ``theme_id`` of the workspace (404 when there is none)."""
    theme = draft.themes.get(theme_id) if isinstance(theme_id, str) else None
    if theme is None:
        raise NotFoundError(
            f"No theme has the id {theme_id!r} in this workspace. List its themes for their ids."
        )
    return theme


def live_theme(draft: Draft, theme_id: object, what: str = "theme") -> ThemeState:
    """A level-0 theme that holds units now: exists (404), not emptied (409), shown (422)."""
    theme = existing_theme(draft, theme_id)
    if theme.level != 0:
        raise TaxonomyEditError(
            f"{theme.theme_id} is a parent group, not a theme; edit its themes instead."
        )
    if theme.retired_by_op is not None:
        raise ConflictError(
            f"The {what} {theme.theme_id} was emptied by taxonomy operation "
            f"{theme.retired_by_op} (merged into another theme or split). Reload the themes "
            "and edit the theme that now holds its units."
        )
    if not theme.active:
        raise TaxonomyEditError(
            f"The {what} {theme.theme_id} is not in {draft.run_note()}; only themes the latest "
            "run found (or edits made) can be edited."
        )
    return theme


def merge_ids(draft: Draft, theme_ids: Sequence[object], keep: object) -> tuple[list[str], str]:
    """The distinct themes of a merge (each checked) and the one kept (added when not listed)."""
    if not isinstance(theme_ids, list | tuple):
        raise TaxonomyEditError(f"'theme_ids' must be a list of theme ids. Got {theme_ids!r}.")
    distinct = list(dict.fromkeys([*([] if keep is None else [keep]), *theme_ids]))
    if len(distinct) < 2:
        raise TaxonomyEditError(
            "A merge needs at least two different themes; a theme cannot be merged with "
            f"itself. Got {list(theme_ids)!r}."
        )
    if len(distinct) > MAX_MERGED:
        raise TaxonomyEditError(f"A merge takes at most {MAX_MERGED} themes. Got {len(distinct)}.")
    kept = distinct[0]
    for theme_id in distinct:
        live_theme(draft, theme_id, "merged theme")
    return [str(t) for t in distinct], str(kept)


def check_expected(operations: Sequence[Operation], expected_seq: int | None) -> None:
    """409 when the workspace's latest operation is not the one the caller last saw."""
    expected_seq = check_param("TaxonomyService", "expected_seq", expected_seq, EXPECTED_SEQ)
    if expected_seq is None:
        return
    last = operations[-1] if operations else None
    seen = 0 if last is None else last.seq
    if seen != expected_seq:
        who = "" if last is None else f" (operation {last.seq}, {last.kind} by {last.actor})"
        raise ConflictError(
            f"The taxonomy changed since operation {expected_seq}: the latest is {seen}{who}. "
            "Reload the themes and the operation list, then retry."
        )


def unit_refs(
    base: TaxonomyBase, units: Sequence[tuple[str, int | str]], items: Sequence[str]
) -> list[dict[str, Any]]:
    """The units named by ``units`` and ``items``, as an operation records them.

    A unit is ``(item external id, unit index)`` or ``(item external id, unit text)``: a
    theme's quotes name their item and text, so a quote can be moved as shown.
    """
    table = base.units
    rows_of: dict[str, list[int]] = {}
    for row, external_id in enumerate(table.external_ids):
        rows_of.setdefault(external_id, []).append(row)
    picked: dict[int, None] = {}
    for external_id in items:
        rows = rows_of.get(external_id)
        if not rows:
            raise NotFoundError(
                f"The item {external_id!r} has no units in the latest mining run (unknown, "
                "or ingested after it). Mine again, or name another item."
            )
        picked.update(dict.fromkeys(rows))
    for external_id, ref in units:
        rows = rows_of.get(external_id, [])
        if isinstance(ref, int):
            check_param("TaxonomyService.move", "unit index", ref, UNIT_INDEX)
            match = [r for r in rows if table.keys[r].rsplit(":", 1)[1] == str(ref)]
        else:
            match = [r for r in rows if table.texts[r] == ref]
        if not match:
            raise NotFoundError(
                f"The item {external_id!r} has no unit {ref!r} in the latest mining run. Name "
                "a unit by its index or by its text, as a theme's quotes show it."
            )
        picked[match[0]] = None
    if not picked:
        raise TaxonomyEditError("A move needs at least one unit or item. Got none.")
    if len(picked) > MAX_MOVED_UNITS:
        raise TaxonomyEditError(
            f"A move takes at most {MAX_MOVED_UNITS} units. Got {len(picked)}; move a "
            "theme's units with a merge instead."
        )
    return [
        {
            "key": table.keys[r],
            "text_hash": table.text_hashes[r],
            "item": table.external_ids[r],
            "unit_index": int(table.keys[r].rsplit(":", 1)[1]),
        }
        for r in picked
    ]


def undo_target(operations: Sequence[Operation], seq: int | None) -> Operation:
    """The operation an undo names (``None``: the latest in force): 404 if none, 409 if undone."""
    if seq is None:
        in_force = [op for op in operations if op.in_force]
        if not in_force:
            raise NotFoundError("There is no taxonomy operation to undo in this workspace.")
        return in_force[-1]
    found = next((op for op in operations if op.seq == seq), None)
    if found is None:
        raise NotFoundError(
            f"No taxonomy operation {seq} in this workspace. List its taxonomy operations "
            "for their numbers."
        )
    if not found.in_force:
        raise ConflictError(f"Taxonomy operation {seq} was undone already by {found.undone_by}.")
    return found
