"""Bodies of the taxonomy routes (``/v1/taxonomy``): ``XCreate`` in, ``XPublic`` out.

Only the shape is checked here; what an edit asks of the themes (two different themes to merge,
a split of at least twice the smallest theme size, at least one example phrase...) is checked by
:class:`~feedback_nlp.taxonomy.service.TaxonomyService`, so the API, the CLI and the dashboard
answer the same 4xx problem with the same message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field

from api.constraint_fields import bounds
from api.public import RecordPublic
from feedback_nlp.errors import TaxonomyEditError
from feedback_nlp.taxonomy.operations import (
    EXPECTED_SEQ,
    OPERATION_SEQ,
    SEED_THRESHOLD,
    SPLIT_K,
    SPLIT_SEED,
    UNIT_INDEX,
)
from feedback_nlp.taxonomy.previews import SeedPreview, SplitPreview
from feedback_nlp.taxonomy.seed import SPREAD_Z
from feedback_nlp.taxonomy.service import EditOutcome
from feedback_nlp.taxonomy_records import Operation, summary_of

_EXPECTED = Field(
    default=None,
    description="The latest operation seq you saw: 409 if another edit came after it.",
)
ExpectedSeq = Annotated[int | None, bounds(EXPECTED_SEQ)]
"""The latest operation seq the caller saw (0: none yet)."""
OperationSeq = Annotated[int | None, bounds(OPERATION_SEQ)]
"""An operation's seq (``None``: the latest)."""
Label = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]
"""A label: 1-200 characters, not only spaces."""
Phrase = Annotated[str, Field(min_length=1, max_length=1000, pattern=r"\S")]


class MergeCreate(BaseModel):
    """``POST /v1/taxonomy/merge``."""

    model_config = ConfigDict(extra="forbid")

    theme_ids: list[str] = Field(
        min_length=1,
        max_length=50,
        json_schema_extra={"uniqueItems": True},
        description="The themes merged (with keep: at least two different ones).",
    )
    keep: str | None = Field(
        default=None, description="The id that stays (default: the first of theme_ids)."
    )
    label: Label | None = Field(
        default=None, description="Label of the merged theme (default: keep's)."
    )
    expected_seq: ExpectedSeq = _EXPECTED


class SplitPreviewCreate(BaseModel):
    """``POST /v1/taxonomy/split/preview``."""

    model_config = ConfigDict(extra="forbid")

    theme_id: str
    k: Annotated[int, bounds(SPLIT_K)] = Field(description="Children, 2..20.")
    seed: Annotated[int, bounds(SPLIT_SEED)] = Field(
        default=0, description="The k-means seed (keep it for the split)."
    )


class SplitCreate(SplitPreviewCreate):
    """``POST /v1/taxonomy/split``: the same children as the preview with the same seed."""

    labels: list[Label | None] | None = Field(
        default=None, max_length=20, description="Custom labels of the children, in preview order."
    )
    expected_seq: ExpectedSeq = _EXPECTED


class UnitRefCreate(BaseModel):
    """One unit: its item's id, and its index in the item or its text (a quote as shown)."""

    model_config = ConfigDict(extra="forbid")

    item_id: str
    unit_index: Annotated[int | None, bounds(UNIT_INDEX)] = Field(
        default=None, description="Position in the item."
    )
    text: str | None = Field(default=None, description="Or its text, as a theme's quote shows.")

    def ref(self) -> int | str:
        """The index, else the text (422 when neither is given)."""
        if self.unit_index is not None:
            return self.unit_index
        if self.text is None:
            raise TaxonomyEditError(
                f"A unit of item {self.item_id!r} needs 'unit_index' or 'text'. Got neither."
            )
        return self.text


class MoveCreate(BaseModel):
    """``POST /v1/taxonomy/move``: units or whole items, to a theme or to the unassigned pool."""

    model_config = ConfigDict(extra="forbid")

    to: str | None = Field(description="The target theme; null: the unassigned pool.")
    units: list[UnitRefCreate] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list, description="Item ids (all their units).")
    expected_seq: ExpectedSeq = _EXPECTED


class IgnoreCreate(BaseModel):
    """``POST /v1/taxonomy/ignore``."""

    model_config = ConfigDict(extra="forbid")

    theme_id: str
    expected_seq: ExpectedSeq = _EXPECTED


class SeedPreviewCreate(BaseModel):
    """``POST /v1/taxonomy/seed/preview``."""

    model_config = ConfigDict(extra="forbid")

    name: Label
    examples: list[Phrase] = Field(
        min_length=1, max_length=50, description="Example phrases, any language (1..50)."
    )
    threshold: Annotated[float | None, bounds(SEED_THRESHOLD)] = Field(
        default=None, description="Similarity a unit needs, (0, 1]; default: the workspace's."
    )


class SeedCreate(SeedPreviewCreate):
    """``POST /v1/taxonomy/seed``."""

    expected_seq: ExpectedSeq = _EXPECTED


class UndoCreate(BaseModel):
    """``POST /v1/taxonomy/undo``."""

    model_config = ConfigDict(extra="forbid")

    seq: OperationSeq = Field(
        default=None,
        description="The operation (default: the latest).",
    )
    expected_seq: ExpectedSeq = _EXPECTED


class RedoCreate(BaseModel):
    """``POST /v1/taxonomy/redo``."""

    model_config = ConfigDict(extra="forbid")

    seq: OperationSeq = Field(
        default=None,
        description="The undone operation (default: the latest undone since the latest new edit).",
    )
    expected_seq: ExpectedSeq = _EXPECTED


class OperationPublic(RecordPublic):
    """A recorded taxonomy edit."""

    seq: int = Field(description="Its place in the workspace's order of edits.")
    kind: str = Field(description="merge, split, move, ignore, seed or rename.")
    params: dict[str, Any] = Field(description="What was asked for.")
    effect: dict[str, Any] = Field(description="What its latest application did.")
    status: str = Field(description="applied, partial, skipped or undone.")
    note: str | None = Field(description="Why it was (partly) not applied.")
    run_id: int | None = Field(description="The mining run it was last applied to.")
    actor: str | None = Field(description="The API key's name (or cli:<user>) that made it.")
    created_at: datetime
    undone_at: datetime | None
    undone_by: str | None

    @classmethod
    def of(cls, op: Operation) -> Self:
        """The public form of an operation (its effect without unit lists)."""
        return cls.read(op, effect=summary_of(op.effect))


class OperationsPublic(BaseModel):
    """``GET /v1/taxonomy/operations``: every edit, in order."""

    operations: list[OperationPublic]
    latest_seq: int = Field(description="Send it as expected_seq with your next edit.")
    redo_seqs: list[int] = Field(
        default_factory=list,
        description="The undone operations a redo may take, the next one first (a new edit "
        "clears them).",
    )


class EditPublic(RecordPublic):
    """The answer to an edit, an undo or a redo."""

    operation: OperationPublic
    units_moved: int = Field(description="Units whose theme changed.")
    report: dict[str, Any] = Field(description="How every edit in force fared now.")

    @classmethod
    def of(cls, outcome: EditOutcome) -> Self:
        """The public form of an edit's outcome."""
        return cls.read(outcome, operation=OperationPublic.of(outcome.operation))


class QuoteRefPublic(BaseModel):
    """A quoted unit."""

    text: str
    lang: str
    item_id: str


def _quotes(quotes: list[dict[str, str]]) -> list[QuoteRefPublic]:
    return [
        QuoteRefPublic(text=q["text"], lang=q["lang"], item_id=q["external_id"]) for q in quotes
    ]


class SplitChildPublic(BaseModel):
    """One child of a previewed split."""

    theme_id: str = Field(description="The id the split will give it.")
    size: int
    label: dict[str, str] = Field(description="Generated label per language.")
    keyphrases: dict[str, list[str]]
    quotes: list[QuoteRefPublic]


class SplitPreviewPublic(BaseModel):
    """``POST /v1/taxonomy/split/preview``: the children, nothing written."""

    theme_id: str
    k: int
    min_theme_size: int = Field(description="The latest run's smallest theme size.")
    children: list[SplitChildPublic]

    @classmethod
    def of(cls, preview: SplitPreview) -> SplitPreviewPublic:
        """The public form of a split preview."""
        return cls(
            theme_id=preview.theme_id,
            k=preview.k,
            min_theme_size=preview.min_theme_size,
            children=[
                SplitChildPublic(
                    theme_id=c["theme_id"],
                    size=c["size"],
                    label=c["label"],
                    keyphrases=c["keyphrases"],
                    quotes=_quotes(c["quotes"]),
                )
                for c in preview.children
            ],
        )


class SeedPreviewPublic(RecordPublic):
    """``POST /v1/taxonomy/seed/preview``: what the seed would claim, nothing written."""

    theme_id: str = Field(description="The id the seeded theme will get.")
    name: str
    threshold: float = Field(description="The similarity asked of a unit.")
    default_threshold: float = Field(
        description=f"This seed's default threshold: its median score plus {SPREAD_Z} robust "
        "deviations."
    )
    n_claimed: int
    n_from_examples: int = Field(description="Claimed by the examples before the members.")
    taken_from: dict[str, int] = Field(description="Claimed units per theme they are in now.")
    scores: dict[str, float] = Field(description="Quantiles of every unit's score.")
    quotes: list[QuoteRefPublic]

    @classmethod
    def of(cls, preview: SeedPreview) -> Self:
        """The public form of a seed preview."""
        return cls.read(preview, quotes=_quotes(preview.quotes))


class TaxonomyPublic(BaseModel):
    """``GET /v1/taxonomy``: where the workspace's taxonomy stands."""

    run_id: int | None = Field(description="The latest mining run the edits apply to.")
    latest_seq: int = Field(description="The latest operation (0: none).")
    n_in_force: int = Field(description="Operations not undone.")
    min_theme_size: int = Field(description="A split's children need as many units each.")
