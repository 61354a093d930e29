"""Ingest: raw rows -> validated :class:`~feedback_nlp.domain.FeedbackIn` -> redacted items."""
