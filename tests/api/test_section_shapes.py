"""The report sections' typed shapes and the API's response models name the same fields.

A section is declared once as a typed dict (:mod:`feedback_nlp.report.section_types`) and the API
validates it into a response model; this keeps the two from drifting apart field by field.
"""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from api import analytics_schemas as schemas
from feedback_nlp.report import section_types as shapes

# The API adds the filters it applied to the top-level answers; nothing else differs.
API_ONLY = {"filters"}

PAIRS = [
    (shapes.ScoreRow, schemas.ScoreGroupPublic),
    (shapes.SegmentOverview, schemas.SegmentsPublic),
    (shapes.TrendSeries, schemas.TrendSeriesPublic),
    (shapes.SpikeRule, schemas.SpikeRulePublic),
    (shapes.TrendOverview, schemas.TrendsPublic),
]


@pytest.mark.parametrize(("shape", "model"), PAIRS, ids=[shape.__name__ for shape, _ in PAIRS])
def test_section_shape_and_response_model_have_the_same_fields(
    shape: type, model: type[BaseModel]
) -> None:
    declared = set(typing.get_type_hints(shape))
    served = set(model.model_fields) - API_ONLY
    assert declared == served


def test_scalar_fields_have_the_same_types() -> None:
    declared = typing.get_type_hints(shapes.TrendSeries)
    served = {name: f.annotation for name, f in schemas.TrendSeriesPublic.model_fields.items()}
    assert declared == served
