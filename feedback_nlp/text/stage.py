"""The text stage contract: what a stage reads and writes of a :class:`TextBatch`, checked first.

Every text stage (:class:`~feedback_nlp.text.pii.PiiRedactor`,
:class:`~feedback_nlp.text.langid.LanguageIdentifier`,
:class:`~feedback_nlp.text.units.OpinionUnitSplitter`) declares a ``name``, the batch fields it
``requires`` and the fields it ``provides``; :func:`check_stages` refuses an order in which a
stage would read a field nothing has written, before any text is touched (as spaCy checks its
pipeline's components). ``transform`` returns a new batch and never changes the one it got.
``tests/text/test_stage_contract.py`` runs one suite of checks over every stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, runtime_checkable

from feedback_nlp.errors import ConfigurationError

if TYPE_CHECKING:
    from feedback_nlp.text.opinion_unit import OpinionUnit

__all__ = ["FIELDS", "Stage", "TextBatch", "check_stages", "run_stages"]


@dataclass(frozen=True, slots=True)
class TextBatch:
    """Texts on their way through the text stages; a field is ``None`` until a stage writes it.

    Attributes:
        text: One text per item (redacted once the PII stage has run).
        pii_kinds: Per item, the kinds of PII replaced in its text (``("email", "phone")``),
            sorted; the spans' offsets are not kept, since they point into the unredacted text.
        lang: Per item, the ISO 639-1 code of its text, or ``"unknown"``.
        lang_confidence: Per item, the identifier's confidence in ``lang``.
        units: The opinion units of every item, item by item (``unit.item_index``).
    """

    text: tuple[str, ...]
    pii_kinds: tuple[tuple[str, ...], ...] | None = None
    lang: tuple[str, ...] | None = None
    lang_confidence: tuple[float, ...] | None = None
    units: tuple[OpinionUnit, ...] | None = None

    @classmethod
    def of(cls, texts: Iterable[str]) -> TextBatch:
        """A batch of ``texts`` that no stage has seen yet."""
        return cls(text=tuple(texts))

    def present(self) -> frozenset[str]:
        """The fields that hold values."""
        return frozenset(name for name in FIELDS if getattr(self, name) is not None)

    def need(self, stage: Stage) -> None:
        """Check that the batch holds every field ``stage`` requires.

        Raises:
            ConfigurationError: If a required field has no value yet.
        """
        missing = stage.requires - self.present()
        if missing:
            raise ConfigurationError(
                f"The text stage '{stage.name}' requires the batch fields "
                f"{sorted(missing)}, which no earlier stage provided. Run a stage that provides "
                "them first."
            )

    def with_fields(self, **values: object) -> TextBatch:
        """A new batch with ``values`` set (the other fields as they are)."""
        return replace(self, **values)  # type: ignore[arg-type]


FIELDS: tuple[str, ...] = tuple(field.name for field in fields(TextBatch))
"""The names of the batch fields a stage may require or provide."""


@runtime_checkable
class Stage(Protocol):
    """A text stage: a name, the batch fields it reads and writes, and how it writes them."""

    name: ClassVar[str]
    requires: ClassVar[frozenset[str]]
    provides: ClassVar[frozenset[str]]

    def fit(self, batch: TextBatch) -> Self:
        """Learn from ``batch`` (the text stages learn nothing) and return the stage."""
        ...

    def transform(self, batch: TextBatch) -> TextBatch:
        """Return a new batch with the ``provides`` fields written."""
        ...

    def get_config(self) -> dict[str, Any]:
        """The keyword arguments that make an equal stage, as JSON-ready data."""
        ...


def check_stages(stages: Sequence[Stage], given: Iterable[str] = ("text",)) -> None:
    """Check, before anything runs, that each stage finds the fields it requires.

    Args:
        stages: The stages in the order they will run.
        given: The fields the first batch holds.

    Raises:
        ConfigurationError: If a stage requires a field that neither ``given`` nor an earlier
            stage provides, or names a field a batch does not have.
    """
    present = set(given)
    for stage in stages:
        unknown = (stage.requires | stage.provides) - set(FIELDS)
        if unknown:
            raise ConfigurationError(
                f"The text stage '{stage.name}' names batch fields {sorted(unknown)} that a "
                f"TextBatch does not have; its fields are {list(FIELDS)}."
            )
        missing = stage.requires - present
        if missing:
            raise ConfigurationError(
                f"The text stage '{stage.name}' requires the batch fields {sorted(missing)}, "
                f"which no stage before it provides (order: {[s.name for s in stages]}). Put "
                "a stage that provides them first."
            )
        present |= stage.provides


def run_stages(stages: Sequence[Stage], texts: Iterable[str]) -> TextBatch:
    """Check the order of ``stages``, then run them over ``texts`` one after the other."""
    check_stages(stages)
    batch = TextBatch.of(texts)
    for stage in stages:
        batch = stage.transform(batch)
    return batch
