"""``/v1/taxonomy``: analysts steer the themes (merge, split, move, ignore, seed, undo, redo).

Every edit is recorded with the key's name and applied at once, to the themes, the insights
(ignored themes are hidden from them) and the exports; every later mining run replays it. Edits
of one workspace are serialised: send ``expected_seq`` (the ``latest_seq`` you saw) to get a 409
instead of editing over someone else's change. Renaming stays ``PATCH /v1/themes/{id}`` (also
recorded). Splits and seeds have previews that change nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from api.problems import problem_responses
from api.taxonomy_deps import TaxonomyDep
from api.taxonomy_schemas import (
    EditPublic,
    IgnoreCreate,
    MergeCreate,
    MoveCreate,
    OperationPublic,
    OperationsPublic,
    RedoCreate,
    SeedCreate,
    SeedPreviewCreate,
    SeedPreviewPublic,
    SplitCreate,
    SplitPreviewCreate,
    SplitPreviewPublic,
    TaxonomyPublic,
    UndoCreate,
)
from feedback_nlp.taxonomy.redo import redo_stack

router = APIRouter(
    prefix="/v1/taxonomy", tags=["taxonomy"], responses=problem_responses(401, 422, 429)
)
_EDIT = problem_responses(404, 409, 413)
_PREVIEW = problem_responses(404, 409, 413)
CREATED = status.HTTP_201_CREATED

_FIRST, _SECOND = "$response.body#/0/id", "$response.body#/1/id"
THEME_LIST_LINKS: dict[str, Any] = {
    "MergeFirstTwo": {
        "operationId": "taxonomy_merge",
        "requestBody": {"theme_ids": [_FIRST, _SECOND]},
        "description": "Merge the two largest themes.",
    },
    "IgnoreFirst": {
        "operationId": "taxonomy_ignore",
        "requestBody": {"theme_id": _FIRST},
        "description": "Hide the largest theme from the insights.",
    },
    "PreviewSplitFirst": {
        "operationId": "taxonomy_split_preview",
        "requestBody": {"theme_id": _FIRST, "k": 2},
        "description": "The children of a split of the largest theme in two.",
    },
    "SplitFirst": {
        "operationId": "taxonomy_split",
        "requestBody": {"theme_id": _FIRST, "k": 2},
        "description": "Split the largest theme in two.",
    },
}
"""OpenAPI links from ``GET /v1/themes`` to the edits of the themes it lists."""
THEME_DETAIL_LINKS: dict[str, Any] = {
    "MoveFirstQuote": {
        "operationId": "taxonomy_move",
        "requestBody": {
            "to": "$response.body#/id",
            "units": [
                {
                    "item_id": "$response.body#/quotes/0/item_id",
                    "text": "$response.body#/quotes/0/text",
                }
            ],
        },
        "description": "Move the theme's first quote (here: into the theme itself).",
    },
}
"""OpenAPI links from ``GET /v1/themes/{id}`` to moving one of its quotes."""


@router.get("")
def get_taxonomy(taxonomy: TaxonomyDep) -> TaxonomyPublic:
    """The latest run, the latest operation, the operations in force, the split bar.

    A seed's default threshold is in its preview (it is measured on the units' vectors).
    """
    found = taxonomy.summary()
    return TaxonomyPublic(
        run_id=found.run_id,
        latest_seq=found.latest_seq,
        n_in_force=found.n_in_force,
        min_theme_size=found.min_theme_size,
    )


@router.get("/operations")
def list_operations(taxonomy: TaxonomyDep) -> OperationsPublic:
    """Every edit of the workspace in order, with who made it, when, and how it fared."""
    operations = taxonomy.operations()
    return OperationsPublic(
        operations=[OperationPublic.of(op) for op in operations],
        latest_seq=operations[-1].seq if operations else 0,
        redo_seqs=[op.seq for op in redo_stack(operations)],
    )


@router.post("/merge", status_code=CREATED, responses=_EDIT, operation_id="taxonomy_merge")
def merge(body: MergeCreate, taxonomy: TaxonomyDep) -> EditPublic:
    """Merge themes into one: ``keep`` (default: the first) takes every unit of the others.

    422: fewer than two different themes (a theme cannot be merged with itself); 404: a theme
    that is not the workspace's; 409: a theme another edit emptied already.
    """
    outcome = taxonomy.merge(
        body.theme_ids, keep=body.keep, label=body.label, expected_seq=body.expected_seq
    )
    return EditPublic.of(outcome)


@router.post("/split/preview", responses=_PREVIEW, operation_id="taxonomy_split_preview")
def preview_split(body: SplitPreviewCreate, taxonomy: TaxonomyDep) -> SplitPreviewPublic:
    """The children a split would make (their ids, sizes, labels, quotes); writes nothing.

    422: ``k`` outside 2..20, or a theme of fewer than ``k`` x the latest run's smallest theme
    size units.
    """
    return SplitPreviewPublic.of(taxonomy.preview_split(body.theme_id, body.k, seed=body.seed))


@router.post("/split", status_code=CREATED, responses=_EDIT, operation_id="taxonomy_split")
def split(body: SplitCreate, taxonomy: TaxonomyDep) -> EditPublic:
    """Split a theme into ``k`` children (the preview's, for the same ``seed``)."""
    outcome = taxonomy.split(
        body.theme_id, body.k, labels=body.labels, seed=body.seed, expected_seq=body.expected_seq
    )
    return EditPublic.of(outcome)


@router.post("/move", status_code=CREATED, responses=_EDIT, operation_id="taxonomy_move")
def move(body: MoveCreate, taxonomy: TaxonomyDep) -> EditPublic:
    """Move units (or all units of items) to a theme, or to the unassigned pool (``to``: null).

    A unit is named by its item and its index, or its text: a theme's quote moves as shown
    (``{"item_id": quote.item_id, "text": quote.text}``). Moved units stay moved after re-mines
    unless their item's text changes.
    """
    outcome = taxonomy.move(
        to=body.to,
        units=[(unit.item_id, unit.ref()) for unit in body.units],
        items=body.items,
        expected_seq=body.expected_seq,
    )
    return EditPublic.of(outcome)


@router.post("/ignore", status_code=CREATED, responses=_EDIT, operation_id="taxonomy_ignore")
def ignore(body: IgnoreCreate, taxonomy: TaxonomyDep) -> EditPublic:
    """Hide a theme from the insights (rankings, segments, trends); its units stay in it."""
    return EditPublic.of(taxonomy.ignore(body.theme_id, expected_seq=body.expected_seq))


@router.post("/seed/preview", responses=_PREVIEW)
def preview_seed(body: SeedPreviewCreate, taxonomy: TaxonomyDep) -> SeedPreviewPublic:
    """The units a seeded theme would claim at ``threshold`` (and from where); writes nothing."""
    preview = taxonomy.preview_seed(body.name, body.examples, threshold=body.threshold)
    return SeedPreviewPublic.of(preview)


@router.post("/seed", status_code=CREATED, responses=_EDIT)
def seed(body: SeedCreate, taxonomy: TaxonomyDep) -> EditPublic:
    """Make a theme from a name and example phrases (any language).

    It claims the units whose similarity to the examples (or to its claimed members) reaches
    ``threshold``, now and after every re-mine. 422: no examples, or a threshold outside (0, 1].
    """
    outcome = taxonomy.seed(
        body.name, body.examples, threshold=body.threshold, expected_seq=body.expected_seq
    )
    return EditPublic.of(outcome)


@router.post("/undo", responses=_EDIT)
def undo(body: UndoCreate, taxonomy: TaxonomyDep) -> EditPublic:
    """Undo an operation (default: the latest in force); the later ones are replayed without it.

    404: no such operation (or nothing to undo); 409: undone already.
    """
    return EditPublic.of(taxonomy.undo(body.seq, expected_seq=body.expected_seq))


@router.post("/redo", status_code=CREATED, responses=_EDIT)
def redo(body: RedoCreate, taxonomy: TaxonomyDep) -> EditPublic:
    """Redo an undone operation, recorded as a new one (same params and theme ids).

    Default: the latest undone since the latest new edit (``redo_seqs[0]`` of the operation
    list); a new edit after an undo clears what can be redone. 404: no such operation (or
    nothing to redo); 409: in force, redone already, cleared by a newer edit, or a stale
    ``expected_seq``.
    """
    return EditPublic.of(taxonomy.redo(body.seq, expected_seq=body.expected_seq))
