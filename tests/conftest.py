"""Shared fixtures: the ../shared/corpora path, offline loading, one real model per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_CORPORA = REPO_ROOT.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    """The evaluation corpora beside the repository; skips the test when they are absent."""
    if not SHARED_CORPORA.is_dir():
        pytest.skip(f"evaluation corpora not found at {SHARED_CORPORA}")
    return SHARED_CORPORA


@pytest.fixture(scope="session")
def e5_embedder():  # type: ignore[no-untyped-def]
    """The default multilingual embedder, loaded once per test session."""
    from feedback_nlp.models import load_model

    return load_model("e5-small-multilingual")
