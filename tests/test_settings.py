from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from feedback_nlp.settings import load_settings


def test_settings_defaults_to_an_sqlite_file_under_var() -> None:
    settings = load_settings()
    assert settings.database.url.startswith("sqlite:///")
    assert "var" in settings.database.url
    assert settings.api.host == "127.0.0.1"
    assert settings.api.port == 8000


def test_settings_reads_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDBACK_NLP_API__PORT", "9123")
    monkeypatch.setenv("FEEDBACK_NLP_MODELS__EMBEDDER", "minilm-l6-en")
    monkeypatch.setenv("FEEDBACK_NLP_DATABASE__URL", "postgresql+psycopg://u@localhost/db")
    settings = load_settings()
    assert settings.api.port == 9123
    assert settings.models.embedder == "minilm-l6-en"
    assert settings.database.url.startswith("postgresql")


def test_settings_rejects_an_unknown_database_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDBACK_NLP_DATABASE__URL", "mysql://u@localhost/db")
    with pytest.raises(ValidationError, match="must start with 'sqlite' or 'postgresql'"):
        load_settings()


def test_settings_rejects_an_out_of_range_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDBACK_NLP_API__PORT", "70000")
    with pytest.raises(ValidationError):
        load_settings()


def test_settings_keyword_overrides_win() -> None:
    assert load_settings(var_dir=Path("/tmp/elsewhere")).var_dir == Path("/tmp/elsewhere")
