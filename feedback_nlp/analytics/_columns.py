"""Column parsing and validation behind :class:`~feedback_nlp.analytics.frame.FeedbackFrame`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from feedback_nlp.constraints import Interval
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.scales import SCORES

#: The scale of each score column, as declared in :mod:`feedback_nlp.scales`.
SCORE_SCALES: dict[str, Interval] = dict(SCORES)
#: Optional outcome columns (issue 19): who the customer is, how long the item took, whether the
#: customer churned and the revenue at stake. Numbers are float64 with NaN for missing.
OUTCOME_FIELDS: tuple[str, ...] = (
    "customer_id",
    "first_response_minutes",
    "resolution_minutes",
    "churned",
    "revenue",
)
ITEM_FIELDS = frozenset(
    {"item_id", "created_at", "sentiment", "segments", *SCORE_SCALES, *OUTCOME_FIELDS}
)
UNIT_FIELDS = ("item_id", "theme_id", "sentiment", "label", "text", "candidate")
SENTIMENT_LABELS = frozenset({"negative", "neutral", "positive", "mixed"})


def timestamp(value: object) -> pd.Timestamp:
    """``value`` as a UTC timestamp (naive values are taken as UTC)."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"Expected a datetime or ISO-8601 text. Got {value!r}. Use e.g. '2026-09-21'."
        ) from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def parse_dates(items: pd.DataFrame) -> pd.Series:
    """The ``created_at`` column as UTC datetimes (NaT when absent or empty)."""
    if "created_at" not in items.columns:
        return pd.Series(pd.NaT, index=range(len(items)), dtype="datetime64[ns, UTC]")
    raw = items["created_at"].reset_index(drop=True)
    parsed = pd.to_datetime(raw, utc=True, errors="coerce", format="mixed")
    bad = parsed.isna() & raw.notna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidInputError(
            f"The 'created_at' field of item {position} must be a datetime or ISO-8601 text. "
            f"Got {raw.iloc[position]!r}. Fix the value or leave it empty."
        )
    return parsed.astype("datetime64[ns, UTC]")


def _numeric(items: pd.DataFrame, column: str) -> tuple[np.ndarray, pd.Series]:
    raw = items[column].reset_index(drop=True)
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values) & raw.notna().to_numpy() | np.isinf(values)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            f"The '{column}' field of item {position} must be a number. "
            f"Got {raw.iloc[position]!r}. Fix the value or leave it empty."
        )
    return values, raw


def score_column(items: pd.DataFrame, column: str, scale: Interval) -> np.ndarray:
    """A score column inside its closed ``scale`` as float64 (NaN = missing).

    An int scale (NPS, CSAT) takes whole numbers only; a float one (CES) any number in range.
    """
    if column not in items.columns:
        return np.full(len(items), np.nan)
    values, raw = _numeric(items, column)
    bad = ~np.isnan(values) & ((values < scale.low) | (values > scale.high))
    if scale.kind == "int":
        bad |= ~np.isnan(values) & (values != np.round(values))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            f"The '{column}' field of item {position} must be {scale.span()}. "
            f"Got {raw.iloc[position]!r}. Fix the value or leave it empty."
        )
    return values


def float_column(items: pd.DataFrame, column: str, scale: tuple[float, float]) -> np.ndarray:
    """A real-valued column inside ``scale`` as float64 (NaN = missing)."""
    if column not in items.columns:
        return np.full(len(items), np.nan)
    values, raw = _numeric(items, column)
    bad = ~np.isnan(values) & ((values < scale[0]) | (values > scale[1]))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            f"The '{column}' field of item {position} must be a number in "
            f"[{scale[0]}, {scale[1]}]. Got {raw.iloc[position]!r}."
        )
    return values


def outcome_columns(items: pd.DataFrame) -> dict[str, np.ndarray | pd.Series]:
    """The outcome columns the item table has, parsed and checked (absent ones are left out).

    ``first_response_minutes``, ``resolution_minutes`` and ``revenue`` must be numbers >= 0,
    ``churned`` 1/0, a bool, or the text true/false (yes/no), ``customer_id`` text; empty
    cells are missing values.
    """
    found: dict[str, np.ndarray | pd.Series] = {}
    for name in ("first_response_minutes", "resolution_minutes", "revenue"):
        if name in items.columns:
            found[name] = float_column(items, name, (0.0, np.inf))
    if "churned" in items.columns:
        values, raw = _numeric(_boolean_text(items, "churned"), "churned")
        bad = ~np.isnan(values) & (values != 0.0) & (values != 1.0)
        if bad.any():
            position = int(np.flatnonzero(bad)[0])
            raise InvalidInputError(
                f"The 'churned' field of item {position} must be true/false (1/0). "
                f"Got {raw.iloc[position]!r}. Fix the value or leave it empty."
            )
        found["churned"] = values
    if "customer_id" in items.columns:
        found["customer_id"] = text_or_none(items["customer_id"])
    return found


def _boolean_text(items: pd.DataFrame, column: str) -> pd.DataFrame:
    """``items`` with ``true``/``false`` (and ``yes``/``no``) text of ``column`` as 1/0."""
    raw = items[column]
    if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
        return items
    words = {"true": 1.0, "yes": 1.0, "false": 0.0, "no": 0.0}
    mapped = [
        words.get(value.strip().lower(), value) if isinstance(value, str) else value
        for value in raw.to_numpy(dtype=object)
    ]
    return pd.DataFrame({column: pd.Series(mapped, dtype=object)})


def segment_names(items: pd.DataFrame, segments: Sequence[str] | None) -> list[str]:
    """The segment columns: ``segments`` checked, or every column that is not a known field."""
    if segments is None:
        return [str(c) for c in items.columns if c not in ITEM_FIELDS]
    missing = [name for name in segments if name not in items.columns]
    if missing:
        raise InvalidInputError(
            f"Segment columns {missing} are not in the item table. "
            f"Got columns {list(items.columns)}."
        )
    reserved = [name for name in segments if name in ITEM_FIELDS]
    if reserved:
        raise InvalidInputError(f"Segment columns cannot be reserved fields. Got {reserved}.")
    return list(segments)


def unit_table(
    units: pd.DataFrame, item_ids: pd.Series, theme_ids: Sequence[str] | None
) -> tuple[pd.DataFrame, list[str]]:
    """The unit table indexed by item position and theme column, and the theme universe."""
    for column in ("item_id", "theme_id"):
        if column not in units.columns:
            raise InvalidInputError(
                f"The unit table must have an '{column}' column. Got columns {list(units.columns)}."
            )
    position = pd.Index(item_ids.to_numpy()).get_indexer(units["item_id"].astype(str).to_numpy())
    if (position < 0).any():
        unknown = units["item_id"].iloc[int(np.flatnonzero(position < 0)[0])]
        raise InvalidInputError(
            f"Unit rows must point at known items. Got item_id {unknown!r}, which is not in the "
            "item table."
        )
    theme_text = text_or_none(units["theme_id"])
    present = sorted({t for t in theme_text if t is not None})
    if theme_ids is None:
        theme_list = present
    else:
        theme_list = [str(t) for t in theme_ids]
        if len(set(theme_list)) != len(theme_list):
            raise InvalidInputError(f"The 'theme_ids' must be unique. Got {theme_list}.")
        extra = sorted(set(present) - set(theme_list))
        if extra:
            raise InvalidInputError(
                f"Units name themes that are not in 'theme_ids': {extra[:10]}. "
                "Add them to 'theme_ids' or leave 'theme_ids' out."
            )
    codes = pd.Index(theme_list).get_indexer(theme_text.to_numpy())
    codes = np.where(theme_text.isna().to_numpy(), -1, codes).astype(np.int64)
    sentiment = float_column(units, "sentiment", (-1.0, 1.0))
    table = pd.DataFrame(
        {"item": position.astype(np.int64), "theme": codes, "sentiment": sentiment}
    )
    for column in ("label", "text", "candidate"):
        if column in units.columns:
            table[column] = text_or_none(units[column])
        else:
            table[column] = pd.Series([None] * len(units), dtype=object)
    labels = {v for v in table["label"] if v is not None}
    if not labels <= SENTIMENT_LABELS:
        raise InvalidInputError(
            f"Unit sentiment labels must be among {sorted(SENTIMENT_LABELS)}. "
            f"Got {sorted(labels - SENTIMENT_LABELS)}."
        )
    return table, theme_list


def text_or_none(values: pd.Series) -> pd.Series:
    """The values as text in an object column, missing values (None, NaN, NA) as ``None``."""
    array = np.array(values.to_numpy(dtype=object), dtype=object, copy=True)
    array[pd.isna(array)] = None
    if pd.api.types.infer_dtype(array, skipna=True) not in ("string", "empty"):
        array = np.array([None if v is None else str(v) for v in array], dtype=object)
    return pd.Series(array, dtype=object)


def unit_mean_sentiment(units: pd.DataFrame, n_items: int) -> np.ndarray:
    """Mean unit sentiment per item (NaN for items without scored units)."""
    scores = units["sentiment"].to_numpy(dtype=np.float64)
    known = ~np.isnan(scores)
    items = units["item"].to_numpy()[known]
    total = np.bincount(items, weights=scores[known], minlength=n_items)
    count = np.bincount(items, minlength=n_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)
