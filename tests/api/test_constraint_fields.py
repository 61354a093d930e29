"""Every numeric range of a request schema is its library declaration, so the two cannot drift."""

from __future__ import annotations

import inspect
import math
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError

from api import schemas, taxonomy_schemas
from api.constraint_fields import field_bounds
from feedback_nlp.constraints import Interval
from feedback_nlp.errors import InvalidInputError
from feedback_nlp.ingest.outcomes import MINUTES, REVENUE
from feedback_nlp.jobs.params import N_RESAMPLES, SEED, MineParams
from feedback_nlp.scales import CES, CSAT, NPS
from feedback_nlp.store.listing import PAGE_LIMIT
from feedback_nlp.taxonomy.operations import (
    EXPECTED_SEQ,
    OPERATION_SEQ,
    SEED_THRESHOLD,
    SPLIT_K,
    SPLIT_SEED,
    UNIT_INDEX,
    check_k,
)
from feedback_nlp.themes.cluster import MIN_THEME_SIZE

DECLARED: dict[tuple[type[BaseModel], str], Interval] = {
    (schemas.FeedbackItemCreate, "nps"): NPS,
    (schemas.FeedbackItemCreate, "csat"): CSAT,
    (schemas.FeedbackItemCreate, "ces"): CES,
    (schemas.FeedbackItemCreate, "first_response_minutes"): MINUTES,
    (schemas.FeedbackItemCreate, "resolution_minutes"): MINUTES,
    (schemas.FeedbackItemCreate, "revenue"): REVENUE,
    (schemas.JobCreate, "seed"): SEED,
    (schemas.JobCreate, "min_theme_size"): MIN_THEME_SIZE,
    (schemas.JobCreate, "n_resamples"): N_RESAMPLES,
}
#: The taxonomy edits' ranges (api/taxonomy_schemas.py), declared in feedback_nlp.taxonomy.
TAXONOMY_DECLARED: dict[tuple[type[BaseModel], str], Interval] = (
    {
        (model, field): declared
        for model in (taxonomy_schemas.SplitPreviewCreate, taxonomy_schemas.SplitCreate)
        for field, declared in (("k", SPLIT_K), ("seed", SPLIT_SEED))
    }
    | {
        (model, "threshold"): SEED_THRESHOLD
        for model in (taxonomy_schemas.SeedPreviewCreate, taxonomy_schemas.SeedCreate)
    }
    | {
        (model, "expected_seq"): EXPECTED_SEQ
        for model in (
            taxonomy_schemas.MergeCreate,
            taxonomy_schemas.SplitCreate,
            taxonomy_schemas.MoveCreate,
            taxonomy_schemas.IgnoreCreate,
            taxonomy_schemas.SeedCreate,
            taxonomy_schemas.UndoCreate,
            taxonomy_schemas.RedoCreate,
        )
    }
    | {
        (taxonomy_schemas.UndoCreate, "seq"): OPERATION_SEQ,
        (taxonomy_schemas.RedoCreate, "seq"): OPERATION_SEQ,
        (taxonomy_schemas.UnitRefCreate, "unit_index"): UNIT_INDEX,
    }
)
_RANGE_KEYS = ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")


def _schema_range(model: type[BaseModel], field: str) -> dict[str, Any]:
    prop = model.model_json_schema()["properties"][field]
    branches = prop.get("anyOf", [prop])
    return {key: b[key] for b in branches for key in _RANGE_KEYS if key in b}


def _expected_range(declared: Interval) -> dict[str, float]:
    out: dict[str, float] = {}
    if not math.isinf(declared.low):
        out["minimum" if declared.low_closed else "exclusiveMinimum"] = declared.low
    if not math.isinf(declared.high):
        out["maximum" if declared.high_closed else "exclusiveMaximum"] = declared.high
    return out


def _request_models(module: Any = schemas) -> list[type[BaseModel]]:
    return [
        model
        for name, model in inspect.getmembers(module, inspect.isclass)
        if issubclass(model, BaseModel) and name.endswith(("Create", "Update"))
    ]


@pytest.mark.parametrize(
    ("key", "declared"), [*DECLARED.items(), *TAXONOMY_DECLARED.items()], ids=lambda v: str(v)
)
def test_schema_range_equals_its_declaration(
    key: tuple[type[BaseModel], str], declared: Interval
) -> None:
    model, field = key
    assert _schema_range(model, field) == _expected_range(declared)


def test_every_bounded_request_field_has_a_declaration() -> None:
    bounded = {
        (model, field)
        for model in _request_models()
        for field in model.model_json_schema()["properties"]
        if _schema_range(model, field)
    }
    assert bounded == set(DECLARED)


def test_every_bounded_taxonomy_request_field_has_a_declaration() -> None:
    bounded = {
        (model, field)
        for model in _request_models(taxonomy_schemas)
        for field in model.model_json_schema()["properties"]
        if _schema_range(model, field)
    }
    assert bounded == set(TAXONOMY_DECLARED)


def test_field_bounds_spell_open_ends_as_gt_and_lt() -> None:
    assert field_bounds(Interval("float", 0.0, 1.0, closed="neither")) == {"gt": 0, "lt": 1}
    assert field_bounds(Interval("float", 0.5)) == {"ge": 0.5}
    assert field_bounds(Interval("int", -math.inf, 3)) == {"le": 3}


@pytest.mark.parametrize("field", ["seed", "min_theme_size", "n_resamples"])
def test_job_create_and_mine_params_agree_at_each_bound(field: str) -> None:
    declared = DECLARED[(schemas.JobCreate, field)]
    for inside in (declared.low, declared.high):
        value = int(inside)
        assert getattr(schemas.JobCreate(**{field: value}), field) == value
        assert getattr(MineParams.from_json({field: value}), field) == value
    for outside in (declared.low - 1, declared.high + 1):
        value = int(outside)
        with pytest.raises(ValidationError):
            schemas.JobCreate(**{field: value})
        with pytest.raises(InvalidInputError):
            MineParams.from_json({field: value})


@pytest.mark.parametrize("k", [SPLIT_K.low, SPLIT_K.high, SPLIT_K.low - 1, SPLIT_K.high + 1])
def test_split_create_and_check_k_agree_at_each_bound(k: float) -> None:
    value = int(k)
    if SPLIT_K.accepts(value):
        assert taxonomy_schemas.SplitCreate(theme_id="t", k=value).k == check_k(value) == value
        return
    with pytest.raises(ValidationError):
        taxonomy_schemas.SplitCreate(theme_id="t", k=value)
    with pytest.raises(InvalidInputError):
        check_k(value)


def test_feedback_listing_limit_query_equals_the_store_page_limit() -> None:
    from api.routes.feedback import router

    app = FastAPI()
    app.include_router(router)
    (limit,) = [
        p
        for p in app.openapi()["paths"]["/v1/feedback"]["get"]["parameters"]
        if p["name"] == "limit"
    ]
    found = {key: limit["schema"][key] for key in _RANGE_KEYS if key in limit["schema"]}
    assert found == _expected_range(PAGE_LIMIT)
