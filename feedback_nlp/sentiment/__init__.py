"""Sentiment of opinion units and items: a linear head over the unit embeddings."""

from feedback_nlp.sentiment.classifier import (
    LABELS,
    ItemSentiment,
    SentimentClassifier,
    aggregate_items,
    label_probs,
    scores_of,
)

__all__ = [
    "LABELS",
    "ItemSentiment",
    "SentimentClassifier",
    "aggregate_items",
    "label_probs",
    "scores_of",
]
