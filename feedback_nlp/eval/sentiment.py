"""The sentiment evaluation harness behind ``feedback-nlp eval sentiment PATH.csv``.

A UTF-8 CSV with the header ``text,label[,lang]`` (labels ``negative``, ``neutral``,
``positive``) is embedded one row per unit with the head's embedder, classified with the shipped
head, and scored: accuracy and macro-F1 over all rows and per language, a confusion matrix per
language (rows: true class, columns: predicted class, both in :data:`LABELS` order), the expected
calibration error of the predicted class's probability (``ece``, 10 equal-width bins), and the
throughput (``items_per_s``: rows divided by the seconds spent embedding and classifying them;
loading the models is timed apart).

A registered sentiment model either is a head over an embedder's vectors
(:class:`~feedback_nlp.sentiment.classifier.SentimentClassifier`: the rows are embedded with
``head.embedder``) or classifies texts itself (it has ``predict_proba_texts``, like the fine-tuned
:class:`~feedback_nlp.sentiment.finetuned.FineTunedSentiment`).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from feedback_nlp.errors import InvalidInputError
from feedback_nlp.labelled_csv import open_labelled_csv
from feedback_nlp.sentiment.classifier import LABELS, SentimentClassifier, label_probs

__all__ = [
    "LabelledTexts",
    "SentimentEvalResult",
    "confusion_matrix",
    "expected_calibration_error",
    "format_sentiment_eval",
    "load_sentiment_csv",
    "run_sentiment_eval",
    "score_predictions",
]

DEFAULT_HEAD = "sentiment-e5-head-v1"


@dataclass(frozen=True, slots=True)
class LabelledTexts:
    """The rows of a sentiment evaluation CSV (``lang`` is ``"und"`` without that column)."""

    texts: list[str]
    labels: list[str]
    langs: list[str]


@dataclass(frozen=True, slots=True)
class LangScores:
    """Scores of one language (or of all rows)."""

    n: int
    accuracy: float
    macro_f1: float


@dataclass(frozen=True, slots=True)
class SentimentEvalResult:
    """Scores and costs of one evaluation run."""

    path: str
    model: str
    embedder: str
    n: int
    accuracy: float
    macro_f1: float
    per_lang: dict[str, LangScores]
    label_counts: dict[str, int]
    predicted_counts: dict[str, int]
    items_per_s: float
    seconds: float
    load_seconds: float
    ece: float = float("nan")
    confusion: dict[str, list[list[int]]] | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return asdict(self)


def load_sentiment_csv(path: Path) -> LabelledTexts:
    """Read and validate ``text,label[,lang]``; every problem names its row (header = row 1)."""
    texts: list[str] = []
    labels: list[str] = []
    langs: list[str] = []
    try:
        with open_labelled_csv(path) as reader:
            for row_number, row in enumerate(reader, start=2):
                text, label = row.get("text"), row.get("label")
                if text is None or label is None or None in row:
                    raise InvalidInputError(
                        f"Row {row_number} of '{path}' does not have as many fields as the "
                        "header. Quote texts that contain commas."
                    )
                if not text.strip():
                    raise InvalidInputError(
                        f"Row {row_number} of '{path}' has an empty text. Fill it or drop the row."
                    )
                if label.strip() not in LABELS:
                    raise InvalidInputError(
                        f"Row {row_number} of '{path}' has the label '{label}'. Labels must be "
                        f"one of {', '.join(LABELS)}."
                    )
                texts.append(text)
                labels.append(label.strip())
                langs.append((row.get("lang") or "und").strip() or "und")
    except UnicodeDecodeError as error:
        raise InvalidInputError(
            f"The evaluation file '{path}' is not UTF-8 ({error.reason} at byte "
            f"{error.start}). Save it as UTF-8."
        ) from None
    if not texts:
        raise InvalidInputError(f"The evaluation file '{path}' has no rows.")
    return LabelledTexts(texts=texts, labels=labels, langs=langs)


def _scores(truth: list[str], predicted: list[str]) -> LangScores:
    from sklearn.metrics import accuracy_score, f1_score

    return LangScores(
        n=len(truth),
        accuracy=float(accuracy_score(truth, predicted)),
        macro_f1=float(f1_score(truth, predicted, labels=list(LABELS), average="macro")),
    )


def score_predictions(
    labels: list[str], predicted: list[str], langs: list[str]
) -> tuple[LangScores, dict[str, LangScores]]:
    """Overall and per-language accuracy and macro-F1 (over the three classes).

    Macro-F1 always averages all three classes; a class absent from both the truth and the
    predictions of a language counts as F1 0 there (scikit-learn's convention).
    """
    overall = _scores(labels, predicted)
    per_lang: dict[str, LangScores] = {}
    for lang in sorted(set(langs)):
        rows = [i for i, value in enumerate(langs) if value == lang]
        per_lang[lang] = _scores([labels[i] for i in rows], [predicted[i] for i in rows])
    return overall, per_lang


def confusion_matrix(truth: list[str], predicted: list[str]) -> list[list[int]]:
    """Counts ``[i][j]`` of rows of true class ``LABELS[i]`` predicted as ``LABELS[j]``."""
    matrix = [[0] * len(LABELS) for _ in LABELS]
    for t, p in zip(truth, predicted, strict=True):
        matrix[LABELS.index(t)][LABELS.index(p)] += 1
    return matrix


def expected_calibration_error(
    probs: npt.ArrayLike, truth: list[str], *, n_bins: int = 10
) -> float:
    """ECE of the most probable class: ``sum_b n_b / n * |accuracy_b - mean confidence_b|``.

    The confidence of a row is its largest probability; bin ``b`` holds the confidences in
    ``((b - 1) / n_bins, b / n_bins]`` (the first bin also holds 0). A row is correct when its most
    probable class (ties: the earlier class) is its label.
    """
    matrix = np.asarray(probs, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape != (len(truth), len(LABELS)) or not truth:
        raise InvalidInputError(
            f"ECE needs one probability row of {len(LABELS)} per label. Got {matrix.shape} for "
            f"{len(truth)} labels."
        )
    confidence = matrix.max(axis=1)
    correct = matrix.argmax(axis=1) == np.array([LABELS.index(t) for t in truth])
    bins = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        members = bins == b
        if members.any():
            gap = abs(float(correct[members].mean()) - float(confidence[members].mean()))
            total += members.sum() / len(truth) * gap
    return float(total)


def _predict_proba(head: Any, embedder: Any, texts: list[str]) -> npt.NDArray[np.float64]:
    """Class probabilities of ``texts`` from a head over ``embedder`` or a text classifier."""
    if embedder is None:
        probs: npt.NDArray[np.float64] = head.predict_proba_texts(texts)
        return probs
    probs = head.predict_proba(embedder.encode(texts))
    return probs


def run_sentiment_eval(
    path: Path, *, model_name: str = DEFAULT_HEAD, model: Any = None
) -> SentimentEvalResult:
    """Embed and classify the rows of ``path`` and score them against the labels.

    Args:
        path: The labelled CSV.
        model_name: The registered sentiment model to load (and the name in the result).
        model: An already loaded sentiment model to use instead of loading ``model_name`` (for a
            model that is not registered yet, e.g. right after training).
    """
    from feedback_nlp.models import load_model

    data = load_sentiment_csv(path)
    started = time.perf_counter()
    head: SentimentClassifier = model if model is not None else load_model(model_name)
    embedder = None if hasattr(head, "predict_proba_texts") else load_model(head.embedder)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    probs = _predict_proba(head, embedder, data.texts)
    predicted = label_probs(probs)
    seconds = time.perf_counter() - started
    overall, per_lang = score_predictions(data.labels, predicted, data.langs)
    confusion = {"all": confusion_matrix(data.labels, predicted)}
    for lang in per_lang:
        rows = [i for i, value in enumerate(data.langs) if value == lang]
        confusion[lang] = confusion_matrix(
            [data.labels[i] for i in rows], [predicted[i] for i in rows]
        )
    return SentimentEvalResult(
        path=str(path),
        model=model_name,
        embedder=head.embedder,
        n=overall.n,
        accuracy=overall.accuracy,
        macro_f1=overall.macro_f1,
        per_lang=per_lang,
        label_counts={label: data.labels.count(label) for label in LABELS},
        predicted_counts={label: predicted.count(label) for label in LABELS},
        items_per_s=len(data.texts) / seconds if seconds > 0 else float(np.inf),
        seconds=seconds,
        load_seconds=load_seconds,
        ece=expected_calibration_error(probs, data.labels),
        confusion=confusion,
    )


def format_sentiment_eval(result: SentimentEvalResult) -> Any:
    """Rich tables of the result: scores per language and for all rows, then confusion matrices.

    One matrix per language (rows: true class, columns: predicted class), and one for all rows
    when there are several languages.
    """
    from rich.console import Group
    from rich.table import Table

    table = Table(
        "lang",
        "rows",
        "accuracy",
        "macro-F1",
        title=f"Sentiment evaluation of {result.path}",
        caption=(
            f"model {result.model} on {result.embedder}; {result.items_per_s:.1f} items/s "
            f"({result.seconds:.1f} s, models loaded in {result.load_seconds:.1f} s); "
            f"labels {result.label_counts}, predicted {result.predicted_counts}; "
            f"ECE {result.ece:.3f} (10 bins)"
        ),
    )
    for lang, scores in result.per_lang.items():
        table.add_row(lang, str(scores.n), f"{scores.accuracy:.3f}", f"{scores.macro_f1:.3f}")
    table.add_row(
        "[bold]all[/bold]", str(result.n), f"{result.accuracy:.3f}", f"{result.macro_f1:.3f}"
    )
    matrices = []
    for lang, matrix in (result.confusion or {}).items():
        if lang == "all" and len(result.per_lang) == 1:
            continue
        grid = Table("true \\ predicted", *LABELS, title=f"confusion matrix: {lang}")
        for label, counts in zip(LABELS, matrix, strict=True):
            grid.add_row(label, *(str(count) for count in counts))
        matrices.append(grid)
    return Group(table, *matrices)
