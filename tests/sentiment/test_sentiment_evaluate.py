from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feedback_nlp.cli import app
from feedback_nlp.errors import InvalidInputError, NotFoundError
from feedback_nlp.eval.sentiment import (
    load_sentiment_csv,
    run_sentiment_eval,
    score_predictions,
)

runner = CliRunner()

# Hebrew OnlpLab test file: macro-F1 0.5719 measured on 2026-11-23 (bench/RESULTS.md) minus 0.02.
HEBREW_MACRO_F1_FLOOR = 0.55


def test_sentiment_eval_scores_match_hand_computation() -> None:
    labels = ["negative", "neutral", "positive", "positive", "negative", "neutral"]
    predicted = ["negative", "positive", "positive", "positive", "neutral", "neutral"]
    langs = ["en", "en", "en", "ar", "ar", "ar"]
    overall, per_lang = score_predictions(labels, predicted, langs)
    # all rows: neg P=1 R=1/2 F1=2/3; neu P=1/2 R=1/2 F1=1/2; pos P=2/3 R=1 F1=4/5.
    assert overall.accuracy == pytest.approx(4 / 6)
    assert overall.macro_f1 == pytest.approx((2 / 3 + 1 / 2 + 4 / 5) / 3)
    # en: neg 1, neu 0 (F1 0), pos P=1/2 R=1 F1=2/3. ar: neg 0, neu P=1/2 R=1 2/3, pos 1.
    assert per_lang["en"].accuracy == pytest.approx(2 / 3)
    assert per_lang["en"].macro_f1 == pytest.approx((1 + 0 + 2 / 3) / 3)
    assert per_lang["ar"].macro_f1 == pytest.approx((0 + 2 / 3 + 1) / 3)


def test_sentiment_eval_reads_files_without_lang(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text('text,label\n"Great, thanks",positive\nmeh,neutral\n', encoding="utf-8")
    data = load_sentiment_csv(path)
    assert data.texts == ["Great, thanks", "meh"]
    assert data.langs == ["und", "und"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("text,lang\nhello,en\n", "must have the columns text,label"),
        ("text,label,lang\nfine,positive,en\nbad,angry,en\n", "Row 3 .* label 'angry'"),
        ("text,label,lang\nfine,positive,en\n  ,negative,en\n", "Row 3 .* empty text"),
        ("text,label\nfine,positive,extra\n", "Row 2 .* as many fields"),
        ("text,label\n", "has no rows"),
    ],
)
def test_sentiment_eval_rejects_bad_rows_naming_the_row(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message):
        load_sentiment_csv(path)


def test_sentiment_eval_rejects_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="No evaluation file"):
        load_sentiment_csv(tmp_path / "none.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes("text,label\ncaf\u00e9 tr\u00e8s bon,positive\n".encode("latin-1"))
    with pytest.raises(InvalidInputError, match="not UTF-8"):
        load_sentiment_csv(path)


def test_sentiment_eval_cli_reports_the_row_of_a_bad_label(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nfine,positive\nawful,bad\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "sentiment", str(path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidInputError)
    assert "Row 3" in str(result.exception)


TINY = [
    ("The courier was rude and my parcel arrived broken.", "negative", "en"),
    ("Absolutely love this app, it saves me so much time!", "positive", "en"),
    ("The store opens at nine on Mondays.", "neutral", "en"),
    ("השירות היה גרוע והחבילה הגיעה שבורה.", "negative", "he"),
    ("תודה רבה, שירות מעולה ומהיר!", "positive", "he"),
    ("החנות נפתחת בתשע בבוקר.", "neutral", "he"),
    ("الخدمة سيئة جدا والطلب وصل متأخرا.", "negative", "ar"),
    ("شكرا لكم، خدمة رائعة وسريعة!", "positive", "ar"),
    ("يفتح المتجر الساعة التاسعة صباحا.", "neutral", "ar"),
]


@pytest.mark.slow
def test_sentiment_eval_cli_prints_a_table_and_json(tmp_path: Path) -> None:
    path = tmp_path / "tiny.csv"
    lines = ["text,label,lang"] + [f'"{t}",{label},{lang}' for t, label, lang in TINY]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "sentiment", str(path), "--json"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert {"macro_f1", "accuracy", "per_lang", "items_per_s"} <= set(report)
    assert set(report["per_lang"]) == {"en", "he", "ar"}
    assert report["n"] == 9
    assert report["items_per_s"] > 0
    assert report["macro_f1"] >= 0.75  # clear-cut texts: at most two mistakes


@pytest.mark.slow
@pytest.mark.corpus
def test_sentiment_eval_hebrew_onlplab_stays_above_its_floor(shared_corpora: Path) -> None:
    path = shared_corpora / "eval" / "sentiment" / "hebrew_onlplab_test.csv"
    if not path.is_file():
        pytest.skip(f"{path} is missing")
    result = run_sentiment_eval(path)
    assert result.n == 1695
    assert result.macro_f1 >= HEBREW_MACRO_F1_FLOOR
