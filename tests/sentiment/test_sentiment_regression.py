"""The project's regression set: short feedback with clear polarity, >= 90% right per language.

``corpora/sentiment_regression/{en,ar,he,fa,lt}.csv`` is never trained on
(tests/sentiment/test_sentiment_train_data.py checks it).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from feedback_nlp.eval.sentiment import run_sentiment_eval
from feedback_nlp.models import MODEL_SPECS, ModelKind

REGRESSION_DIR = Path(__file__).resolve().parents[2] / "corpora" / "sentiment_regression"
LANGS = ("en", "ar", "he", "fa", "lt")
TARGET = 0.90

# Accuracy measured for the heads that do not meet the target yet (issue 21): the fast-mode head
# on static vectors. sentiment-e5-head-v1 measured en 0.967, ar 0.900, he 0.900, fa 0.933,
# lt 0.933 and must keep passing.
KNOWN_SHORT = {
    ("sentiment-static-head-v1", "ar"): 0.6000,
    ("sentiment-static-head-v1", "he"): 0.6667,
    ("sentiment-static-head-v1", "fa"): 0.7333,
    ("sentiment-static-head-v1", "lt"): 0.6333,
}

CASES = [
    pytest.param(
        name,
        lang,
        marks=pytest.mark.xfail(
            reason=f"measured {KNOWN_SHORT[(name, lang)]:.3f} < {TARGET}", strict=False
        )
        if (name, lang) in KNOWN_SHORT
        else (),
    )
    for name, spec in MODEL_SPECS.items()
    if spec.kind is ModelKind.SENTIMENT
    for lang in LANGS
]


def test_sentiment_regression_set_is_balanced_and_has_the_reported_cases() -> None:
    for lang in LANGS:
        lines = (REGRESSION_DIR / f"{lang}.csv").read_text(encoding="utf-8").splitlines()
        assert lines[0] == "text,label"
        labels = [line.rsplit(",", 1)[1] for line in lines[1:]]
        assert {label: labels.count(label) for label in set(labels)} == {
            "negative": 10,
            "neutral": 10,
            "positive": 10,
        }
    assert '"الأسعار مرتفعة جدا مقارنة بالمنافسين",negative' in (
        REGRESSION_DIR / "ar.csv"
    ).read_text(encoding="utf-8")
    assert '"تبلیغات خیلی زیاده و برنامه کند شده",negative' in (
        REGRESSION_DIR / "fa.csv"
    ).read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(("name", "lang"), CASES)
def test_sentiment_regression_accuracy_per_language(name: str, lang: str) -> None:
    result = run_sentiment_eval(REGRESSION_DIR / f"{lang}.csv", model_name=name)
    assert result.n == 30
    assert result.accuracy >= TARGET, f"{name} {lang}: {result.accuracy:.3f}"
