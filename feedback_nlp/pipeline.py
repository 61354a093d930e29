"""The text pipeline: raw feedback texts in, redacted opinion units with languages and vectors out.

Stages run in a fixed order, each a module of its own:

1. ``text.pii``     — PII is replaced by typed placeholders before anything else sees the text;
2. ``text.langid``  — the language of each (redacted) item;
3. ``text.units``   — items are split into sentences and contrastive clauses (opinion units),
   with offsets into the redacted item text;
4. ``embed``        — each unit becomes an L2-normalised vector (optional);
5. ``sentiment``    — a label and a score in [-1, 1] per unit from its vector, aggregated per
   item (optional; needs the embedder the head was trained on).

Nothing downstream ever receives the original text, so nothing can store, log or embed PII.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from feedback_nlp.embed.base import Embedder, FloatMatrix
from feedback_nlp.errors import ConfigurationError
from feedback_nlp.sentiment.classifier import (
    ItemSentiment,
    SentimentClassifier,
    aggregate_items,
    label_probs,
    scores_of,
)
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from feedback_nlp.text.units import OpinionUnit, OpinionUnitSplitter


@dataclass(frozen=True, slots=True)
class ProcessedItem:
    """One feedback item after redaction and language identification.

    Attributes:
        index: Position of the item in its batch.
        text: The redacted text (the only form that is kept).
        lang: ISO 639-1 code or ``"unknown"``.
        lang_confidence: The identifier's confidence in ``lang``.
        pii_kinds: Kinds of PII that were replaced, e.g. ``("EMAIL", "PHONE")``.
        truncated: Whether the text was cut to the configured maximum length.
    """

    index: int
    text: str
    lang: str
    lang_confidence: float
    pii_kinds: tuple[str, ...]
    truncated: bool


@dataclass(frozen=True, slots=True)
class ProcessedBatch:
    """The pipeline's output for a batch of items.

    Attributes:
        items: One entry per input text, in input order.
        units: The opinion units of all items; ``unit.item_index`` points into ``items``.
        embeddings: One row per unit (shape ``(len(units), dim)``), or ``None`` when the
            pipeline has no embedder.
        unit_sentiment: ``(label, score)`` per unit, or ``None`` without a sentiment stage.
        item_sentiment: One :class:`ItemSentiment` per item (length-weighted mean of its units'
            probabilities), or ``None`` without a sentiment stage.
    """

    items: tuple[ProcessedItem, ...]
    units: tuple[OpinionUnit, ...]
    embeddings: FloatMatrix | None
    unit_sentiment: tuple[tuple[str, float], ...] | None = None
    item_sentiment: tuple[ItemSentiment, ...] | None = None

    def unit_langs(self) -> list[str]:
        """The language of each unit (its item's language)."""
        return [self.items[unit.item_index].lang for unit in self.units]


class TextPipeline:
    """Compose the text stages.

    Args:
        redactor: The PII stage.
        identifier: The language identification stage.
        splitter: The opinion-unit stage.
        embedder: The embedding stage, or ``None`` to stop after splitting.
        max_text_chars: Longer texts are truncated (and flagged) before any stage runs.
        sentiment: The sentiment stage, or ``None``; it needs ``embedder`` to be the embedder
            the head was trained on (checked here, before anything runs).
    """

    def __init__(
        self,
        *,
        redactor: PiiRedactor,
        identifier: LanguageIdentifier,
        splitter: OpinionUnitSplitter,
        embedder: Embedder | None,
        max_text_chars: int = 20_000,
        sentiment: SentimentClassifier | None = None,
    ) -> None:
        if sentiment is not None and (embedder is None or embedder.name != sentiment.embedder):
            raise ConfigurationError(
                f"The sentiment head '{sentiment.name}' reads vectors of '{sentiment.embedder}', "
                f"but the pipeline's embedder is "
                f"'{embedder.name if embedder is not None else None}'. Use that embedder or "
                "drop the sentiment stage."
            )
        self.redactor = redactor
        self.identifier = identifier
        self.splitter = splitter
        self.embedder = embedder
        self.max_text_chars = max_text_chars
        self.sentiment = sentiment

    def run(self, texts: Sequence[str]) -> ProcessedBatch:
        """Run every stage over ``texts`` and return the processed batch."""
        clipped = [text[: self.max_text_chars] for text in texts]
        redactions = self.redactor.redact_many(clipped)
        redacted = [redaction.text for redaction in redactions]
        guesses = self.identifier.identify_many(redacted)
        items = tuple(
            ProcessedItem(
                index=index,
                text=redaction.text,
                lang=guess.lang,
                lang_confidence=guess.confidence,
                pii_kinds=tuple(sorted({str(span.kind) for span in redaction.spans})),
                truncated=len(texts[index]) > self.max_text_chars,
            )
            for index, (redaction, guess) in enumerate(zip(redactions, guesses, strict=True))
        )
        units = tuple(self.splitter.split_many(redacted, [item.lang for item in items]))
        embeddings: FloatMatrix | None = None
        if self.embedder is not None:
            embeddings = (
                self.embedder.encode([unit.text for unit in units])
                if units
                else np.empty((0, self.embedder.dim), dtype=np.float32)
            )
        unit_sentiment: tuple[tuple[str, float], ...] | None = None
        item_sentiment: tuple[ItemSentiment, ...] | None = None
        if self.sentiment is not None and embeddings is not None:
            probs = self.sentiment.predict_proba(embeddings)
            unit_sentiment = tuple(zip(label_probs(probs), scores_of(probs).tolist(), strict=True))
            item_sentiment = tuple(
                aggregate_items(
                    len(items),
                    [unit.item_index for unit in units],
                    probs,
                    [len(unit.text) for unit in units],
                )
            )
        return ProcessedBatch(
            items=items,
            units=units,
            embeddings=embeddings,
            unit_sentiment=unit_sentiment,
            item_sentiment=item_sentiment,
        )
