"""One suite of checks run over every text stage (as scikit-learn's ``check_estimator``).

Each check takes a stage from :data:`STAGES`; a stage class in ``feedback_nlp.text`` that is not
listed there fails :func:`test_stage_contract_covers_every_text_stage`. The stages compose with
:func:`~feedback_nlp.text.stage.run_stages`, checked in the tests at the end.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
from dataclasses import fields, replace

import pytest

import feedback_nlp.text
from feedback_nlp.errors import ConfigurationError
from feedback_nlp.text.langid import LanguageIdentifier
from feedback_nlp.text.pii import PiiRedactor
from feedback_nlp.text.stage import FIELDS, Stage, TextBatch, check_stages, run_stages
from feedback_nlp.text.units import OpinionUnitSplitter

ITEMS = {
    "en": "Great food but delivery was late. Write to me at dana.levi@example.com please.",
    "ar": "الطعام رائع لكن التوصيل كان متأخرا جدا. اتصلوا بي على 0501234567 من فضلكم.",
    "he": "האוכל מצוין אבל המשלוח הגיע באיחור גדול. הטלפון שלי 050-123-4567 תודה רבה.",
    "fa": "غذا عالی بود اما ارسال خیلی دیر انجام شد. شماره من ۰۹۱۲۳۴۵۶۷۸۹ است لطفا تماس بگیرید.",
    "lt": "Maistas puikus, bet pristatymas labai vėlavo. Mano el. paštas jonas@example.com ačiū.",
}
PLANTED = (
    "dana.levi@example.com",
    "0501234567",
    "050-123-4567",
    "۰۹۱۲۳۴۵۶۷۸۹",
    "jonas@example.com",
)

STAGES: tuple[Stage, ...] = (PiiRedactor(), LanguageIdentifier(), OpinionUnitSplitter())
"""Every text stage, in the order the ingest and mining paths run them."""

PER_ITEM = frozenset({"text", "pii_kinds", "lang", "lang_confidence"})
"""The batch fields that hold one value per item (``units`` holds any number)."""


def _id(stage: Stage) -> str:
    return stage.name


def _input_of(stage: Stage, texts: list[str]) -> TextBatch:
    """A batch of ``texts`` that holds what ``stage`` requires: the stages before it have run."""
    before = STAGES[: [s.name for s in STAGES].index(stage.name)]
    return run_stages(before, texts)


def _empty_of(stage: Stage) -> TextBatch:
    """A batch of no texts with every field ``stage`` requires (empty)."""
    return TextBatch(text=(), **dict.fromkeys(stage.requires - {"text"}, ()))  # type: ignore[arg-type]


def _assert_same(left: TextBatch, right: TextBatch) -> None:
    """Equal batches; lingua's confidences may differ in the last bits between two runs."""
    assert replace(left, lang_confidence=None) == replace(right, lang_confidence=None)
    if left.lang_confidence is None or right.lang_confidence is None:
        assert left.lang_confidence == right.lang_confidence
    else:
        assert left.lang_confidence == pytest.approx(right.lang_confidence, rel=1e-9, abs=1e-12)


def test_stage_contract_covers_every_text_stage() -> None:
    found = set()
    for info in pkgutil.walk_packages(feedback_nlp.text.__path__, "feedback_nlp.text."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and hasattr(cls, "provides"):
                found.add(cls)
    assert found == {type(stage) for stage in STAGES}


def test_stage_names_are_unique() -> None:
    names = [stage.name for stage in STAGES]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("stage", STAGES, ids=_id)
def test_stage_declares_its_fields(stage: Stage) -> None:
    assert isinstance(stage, Stage)
    assert re.fullmatch(r"text\.[a-z_]+\.v[0-9]+", stage.name)
    assert isinstance(stage.requires, frozenset)
    assert isinstance(stage.provides, frozenset)
    assert stage.provides
    assert stage.requires <= set(FIELDS)
    assert stage.provides <= set(FIELDS)


@pytest.mark.parametrize("stage", STAGES, ids=_id)
def test_stage_fit_returns_the_stage(stage: Stage) -> None:
    assert stage.fit(_input_of(stage, list(ITEMS.values()))) is stage


@pytest.mark.parametrize("stage", STAGES, ids=_id)
def test_stage_transform_writes_what_it_provides(stage: Stage) -> None:
    batch = _input_of(stage, list(ITEMS.values()))
    kept = TextBatch(**{f.name: getattr(batch, f.name) for f in fields(TextBatch)})
    out = stage.transform(batch)
    assert isinstance(out, TextBatch)
    assert out is not batch
    assert batch == kept  # the input batch is never changed
    assert stage.provides <= out.present()
    for name in stage.provides & PER_ITEM:
        assert len(getattr(out, name)) == len(ITEMS), name


@pytest.mark.parametrize("stage", STAGES, ids=_id)
def test_stage_keeps_the_fields_it_does_not_provide(stage: Stage) -> None:
    batch = _input_of(stage, list(ITEMS.values()))
    out = stage.transform(batch)
    for name in set(FIELDS) - stage.provides:
        assert getattr(out, name) == getattr(batch, name), name


@pytest.mark.parametrize("stage", [s for s in STAGES if s.requires - {"text"}], ids=_id)
def test_stage_refuses_a_batch_without_what_it_requires(stage: Stage) -> None:
    missing = sorted(stage.requires - {"text"})
    with pytest.raises(ConfigurationError, match=re.escape(str(missing))):
        stage.transform(TextBatch.of(ITEMS.values()))
    with pytest.raises(ConfigurationError, match=stage.name):
        stage.fit(TextBatch.of(ITEMS.values()))


@pytest.mark.parametrize("stage", STAGES, ids=_id)
def test_stage_config_rebuilds_an_equal_stage(stage: Stage) -> None:
    config = stage.get_config()
    assert json.loads(json.dumps(config)) == config
    clone = type(stage)(**config)
    assert clone.get_config() == config
    batch = _input_of(stage, list(ITEMS.values()))
    _assert_same(clone.transform(batch), stage.transform(batch))


@pytest.mark.parametrize("stage", STAGES, ids=_id)
def test_stage_transform_is_deterministic(stage: Stage) -> None:
    batch = _input_of(stage, list(ITEMS.values()))
    _assert_same(stage.transform(batch), stage.transform(batch))


@pytest.mark.parametrize("stage", STAGES, ids=_id)
def test_stage_handles_an_empty_batch(stage: Stage) -> None:
    out = stage.transform(_empty_of(stage))
    for name in stage.provides:
        assert getattr(out, name) == (), name


def test_check_stages_refuses_a_stage_before_what_it_requires() -> None:
    splitter, identifier = OpinionUnitSplitter(), LanguageIdentifier()
    with pytest.raises(ConfigurationError, match=r"'text\.units\.v1' requires .*\['lang'\]"):
        check_stages([splitter, identifier])
    check_stages([identifier, splitter])


def test_check_stages_refuses_an_unknown_field() -> None:
    class Sentiment(PiiRedactor):
        name = "text.mood.v1"
        requires = frozenset({"text", "mood"})

    with pytest.raises(ConfigurationError, match=r"\['mood'\]"):
        check_stages([Sentiment()])


def test_run_stages_redacts_before_any_later_stage() -> None:
    batch = run_stages(STAGES, list(ITEMS.values()))
    assert batch.units is not None
    seen = [*batch.text, *(unit.text for unit in batch.units)]
    for value in PLANTED:
        assert all(value not in text for text in seen), value
    assert batch.pii_kinds == (("email",), ("phone",), ("phone",), ("phone",), ("email",))


def test_run_stages_identifies_each_language() -> None:
    batch = run_stages(STAGES, list(ITEMS.values()))
    assert batch.lang == tuple(ITEMS)


@pytest.mark.parametrize("lang", list(ITEMS))
def test_run_stages_splits_praise_from_complaint(lang: str) -> None:
    batch = run_stages(STAGES, [ITEMS[lang]])
    assert batch.units is not None
    assert len(batch.units) >= 3
    for unit in batch.units:
        assert unit.item_index == 0
        assert batch.text[0][unit.start : unit.end] == unit.text
