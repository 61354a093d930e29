"""The garbage-collection helpers of :mod:`feedback_nlp.memory` restore what they change."""

from __future__ import annotations

import gc

import pytest

from feedback_nlp.memory import RELAXED_FIRST_GENERATION, collection_paused, collection_relaxed


def test_collection_relaxed_raises_the_young_threshold_and_restores_it() -> None:
    before = gc.get_threshold()
    with collection_relaxed():
        first, second, third = gc.get_threshold()
        assert first == max(before[0], RELAXED_FIRST_GENERATION)
        assert (second, third) == before[1:]
        assert gc.isenabled()  # cycles are still collected, only less often
    assert gc.get_threshold() == before


def test_collection_relaxed_restores_the_thresholds_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), collection_relaxed():
        raise RuntimeError("the ingest failed")
    assert gc.get_threshold() == before


def test_collection_paused_disables_collection_and_restores_it() -> None:
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
