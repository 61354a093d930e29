"""The opinion-unit stage: :class:`OpinionUnitSplitter`, which runs both steps over a batch.

It tokenizes items in batches with the sentence pipeline, cuts each line of each sentence into
clauses, and turns the pieces into :class:`~feedback_nlp.text.opinion_unit.OpinionUnit` records
with exact offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self

from feedback_nlp.constraints import Interval, check_param
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.text.opinion_unit import OpinionUnit
from feedback_nlp.text.units.clauses import _clauses
from feedback_nlp.text.units.sentences import sentence_pipeline
from feedback_nlp.text.units.spans import _merge_small, _piece_span
from feedback_nlp.text.units.tokens import _connective_table, _lines, _visible_tokens

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from feedback_nlp.text.stage import TextBatch


MIN_UNIT_CHARS = Interval("int", 1)
"""``min_unit_chars`` of :class:`OpinionUnitSplitter`: shorter pieces join a neighbour."""


class OpinionUnitSplitter:
    """Splits feedback items into opinion units with exact offsets.

    Args:
        min_unit_chars: Pieces shorter than this (after trimming) are merged into a neighbour.
        split_on_connectives: Also split sentences at contrastive connectives.

    Raises:
        InvalidInputError: If ``min_unit_chars`` is not a positive int.

    Example:
        >>> [u.text for u in OpinionUnitSplitter().split("Great food but delivery was late")]
        ['Great food', 'delivery was late']
    """

    name: ClassVar[str] = "text.units.v1"
    requires: ClassVar[frozenset[str]] = frozenset({"text", "lang"})
    provides: ClassVar[frozenset[str]] = frozenset({"units"})

    def __init__(self, *, min_unit_chars: int = 2, split_on_connectives: bool = True) -> None:
        self.min_unit_chars: int = check_param(
            "OpinionUnitSplitter", "min_unit_chars", min_unit_chars, MIN_UNIT_CHARS
        )
        self.split_on_connectives = split_on_connectives

    def fit(self, batch: TextBatch) -> Self:
        """Check that ``batch`` holds what the stage requires; there is nothing to learn."""
        batch.need(self)
        return self

    def transform(self, batch: TextBatch) -> TextBatch:
        """Split each ``batch.text`` in its ``lang`` (a new batch with ``units`` set)."""
        batch.need(self)
        return batch.with_fields(units=tuple(self.split_many(batch.text, batch.lang)))

    def get_config(self) -> dict[str, Any]:
        """The keyword arguments that make an equal splitter."""
        return {
            "min_unit_chars": self.min_unit_chars,
            "split_on_connectives": self.split_on_connectives,
        }

    def split(self, text: str, item_index: int = 0, lang: str | None = None) -> list[OpinionUnit]:
        """Split one item into opinion units.

        Args:
            text: The feedback text.
            item_index: Stored on every unit, to trace it back to its item.
            lang: ISO 639-1 code of the text, if known; chooses the connectives. ``None``,
                ``"unknown"`` or a language without a list use every connective that is not
                an ordinary word in another language.

        Returns:
            The units, in text order.
        """
        return self.split_many([text], [lang], first_index=item_index)

    def split_many(
        self,
        texts: Sequence[str],
        langs: Sequence[str | None] | None = None,
        *,
        first_index: int = 0,
        batch_size: int = 256,
    ) -> list[OpinionUnit]:
        """Split many items, tokenizing them in batches with ``nlp.pipe``.

        Args:
            texts: The feedback texts.
            langs: ISO 639-1 code of each text (``None`` where unknown), or ``None`` for all.
            first_index: ``item_index`` of the first text; the others follow in order.
            batch_size: Texts per spaCy batch.

        Returns:
            The units of all items, item by item, each in text order.

        Raises:
            InvalidInputError: If a text is not a str or ``langs`` has the wrong length.
        """
        for position, text in enumerate(texts):
            if not isinstance(text, str):
                raise InvalidInputError(
                    f"Every text given to OpinionUnitSplitter must be a str. Got "
                    f"{type(text).__name__} at position {position}. Convert or drop the value."
                )
        if langs is None:
            langs = [None] * len(texts)
        elif len(langs) != len(texts):
            raise InvalidInputError(
                f"OpinionUnitSplitter.split_many got {len(texts)} texts but {len(langs)} "
                "languages. Pass one language (or None) per text."
            )
        units: list[OpinionUnit] = []
        docs = sentence_pipeline().pipe(texts, batch_size=batch_size)
        for offset, (doc, lang) in enumerate(zip(docs, langs, strict=True)):
            units.extend(self._units(doc, first_index + offset, lang))
        return units

    def _units(self, doc: Doc, item_index: int, lang: str | None) -> list[OpinionUnit]:
        text: str = doc.text
        table = _connective_table(lang) if self.split_on_connectives else {}
        spans: list[tuple[int, int]] = []
        for sentence in doc.sents:
            for line in _lines(text, _visible_tokens(sentence)):
                for piece in _clauses(line, table):
                    span = _piece_span(text, line, piece)
                    if span is not None:
                        spans.append(span)
        spans = _merge_small(text, spans, self.min_unit_chars)
        return [
            OpinionUnit(
                item_index=item_index, unit_index=i, text=text[start:end], start=start, end=end
            )
            for i, (start, end) in enumerate(spans)
        ]
