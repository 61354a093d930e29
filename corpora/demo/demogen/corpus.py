"""What the demo corpus is: its name, licence, columns, languages, days, defaults and folder."""

from __future__ import annotations

from datetime import date
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent.parent
"""``corpora/demo``: the generator script, ``feedback.csv``, ``MANIFEST.json`` and ``phrases/``."""
PHRASES_DIR = DEMO_DIR / "phrases"

DEFAULT_SEED = 13
DEFAULT_N = 1500
CORPUS_NAME = "feedback_nlp demo corpus"
LICENSE = "Apache-2.0"

BASE_COLUMNS = (
    "id",
    "text",
    "source",
    "created_at",
    "nps",
    "csat",
    "plan",
    "region",
    "channel",
    "lang",
)
OUTCOME_COLUMNS = (
    "customer_id",
    "first_response_at",
    "resolved_at",
    "churned",
    "churned_at",
    "revenue",
)
COLUMNS = (*BASE_COLUMNS, *OUTCOME_COLUMNS)
LANGUAGES = ("en", "ar", "he", "fa", "lt")
START_DAY = date(2026, 5, 1)
END_DAY = date(2026, 10, 31)
