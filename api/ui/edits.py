"""What the dashboard's edit forms share: the session's taxonomy service, form values, flashes.

Every edit form carries the session's CSRF token and ``expected_seq``, the latest taxonomy
operation the page showed; an edit made over someone else's newer one is then refused with a 409
page instead of silently editing themes the analyst has not seen. After an edit the browser is
sent (303) to a page with ``?done=<seq>`` (``?undone=<seq>`` after an undo): the page describes
that recorded operation, so the message is always what the log holds, never text from the URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Query

from api.taxonomy_deps import actor_of
from api.ui.auth import UiSession
from api.ui.labels import label_by_theme
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.store.store import Store
from feedback_nlp.taxonomy.embedders import EmbedderPool
from feedback_nlp.taxonomy.service import TaxonomyService
from feedback_nlp.taxonomy_records import Operation

__all__ = [
    "POOL",
    "EditState",
    "FlashDep",
    "FlashRef",
    "edit_state",
    "flash_ref",
    "form_int",
    "form_number",
    "optional_int",
    "taxonomy_service",
    "theme_names",
]

POOL = "unassigned"
"""The move target of the unassigned pool (theme ids always have a ``x_`` prefix)."""


@dataclass(frozen=True, slots=True)
class FlashRef:
    """The operation a page was sent to after an edit (``undone``: after its undo)."""

    seq: int
    undone: bool = False


@dataclass(frozen=True, slots=True)
class EditState:
    """What a page needs for its edit forms and its flash message.

    Attributes:
        latest_seq: The latest operation (0: none); the forms send it as ``expected_seq``.
        flash_op: The operation just made or undone (``None``: no flash).
        flash_undone: Whether the flash reports an undo.
        names: Display labels of the themes the flash names, by id.
    """

    latest_seq: int
    flash_op: Operation | None = None
    flash_undone: bool = False
    names: dict[str, str] = field(default_factory=dict)


def _seq(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def flash_ref(
    done: Annotated[str | None, Query(include_in_schema=False)] = None,
    undone: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> FlashRef | None:
    """The ``?done=`` or ``?undone=`` of a page (anything that is not a number is ignored)."""
    undone_seq, done_seq = _seq(undone), _seq(done)
    if undone_seq is not None:
        return FlashRef(undone_seq, undone=True)
    return None if done_seq is None else FlashRef(done_seq)


FlashDep = Annotated[FlashRef | None, Depends(flash_ref)]


def theme_names(store: Store, workspace_id: int) -> dict[str, str]:
    """Every theme's label by id (inactive and ignored ones too), the id standing in for none."""
    labels = label_by_theme(store, workspace_id)
    return {theme_id: label or theme_id for theme_id, label in labels.items()}


def edit_state(store: Store, workspace_id: int, flash: FlashRef | None) -> EditState:
    """The latest operation of the workspace and the one ``flash`` names (when it exists).

    Without a flash only the latest ``seq`` is read (not every operation's effect).
    """
    if flash is None:
        with store.taxonomy_read() as connection:
            return EditState(store.next_seq(connection, workspace_id) - 1)
    operations = store.list_operations(workspace_id)
    latest = operations[-1].seq if operations else 0
    found = next((op for op in operations if op.seq == flash.seq), None)
    if found is None:
        return EditState(latest)
    return EditState(latest, found, flash.undone, theme_names(store, workspace_id))


def taxonomy_service(store: Store, session: UiSession, embedders: EmbedderPool) -> TaxonomyService:
    """The taxonomy service of the session's workspace, recording the key's name as actor."""
    workspace_id = session.workspace.id
    return TaxonomyService(
        store,
        workspace_id,
        actor=actor_of(store, session.key),
        embedder=embedders.for_workspace(store, workspace_id),
    )


def form_int(value: str | None, name: str) -> int:
    """A whole number typed into a form field."""
    text = (value or "").strip()
    try:
        return int(text)
    except ValueError:
        raise InvalidInputError(
            f"The '{name}' field must be a whole number. Got {text!r}. Type a number."
        ) from None


def optional_int(value: str | None, name: str) -> int | None:
    """A whole number typed into a form field, ``None`` when left blank."""
    return form_int(value, name) if value and value.strip() else None


def form_number(value: str | None, name: str) -> float | None:
    """A decimal number typed into a form field (``None`` when blank)."""
    text = (value or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInputError(
            f"The '{name}' field must be a number such as 0.6. Got {text!r}."
        ) from None
