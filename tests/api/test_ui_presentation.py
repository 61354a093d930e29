"""The dashboard under TestClient: the small-corpus warning, isolated labels, keyphrases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_support import make_settings
from fastapi.testclient import TestClient

from api.main import create_app
from tests.report.hand_mined import mine_by_hand


@pytest.fixture
def signed_in(tmp_path: Path) -> Iterator[tuple[TestClient, Any, int]]:
    with TestClient(create_app(make_settings(tmp_path)), follow_redirects=False) as client:
        store: Any = client.app.state.store  # type: ignore[attr-defined]
        workspace_id = mine_by_hand(store, "acme")
        key = store.create_api_key("acme")
        response = client.post("/ui/login", data={"api_key": key, "next": "/ui"})
        assert response.status_code == 303, response.text
        yield client, store, workspace_id


def test_ui_dashboard_warns_when_the_last_run_mined_few_items(
    signed_in: tuple[TestClient, Any, int],
) -> None:
    client, store, workspace_id = signed_in
    assert 'id="corpus-warning"' not in client.get("/ui").text  # no mine job yet
    job = store.create_job(workspace_id, "mine", {})
    assert store.claim_next_job("test").id == job.id
    store.finish_job(job.id, "succeeded", result={"n_items": 24, "n_themes": 2})
    page = client.get("/ui").text
    assert 'id="corpus-warning"' in page
    assert "Only 24 feedback items were mined" in page
    assert page.index('id="corpus-warning"') < page.index('id="overview"')


def test_ui_theme_page_isolates_labels_and_keyphrases_per_language(
    signed_in: tuple[TestClient, Any, int],
) -> None:
    client, _, _ = signed_in
    page = client.get("/ui/themes/t_000001").text
    labels = page[page.index('id="theme-labels"') : page.index('id="theme-keyphrases"')]
    for lang, text in (("ar", "التصدير"), ("he", "ייצוא"), ("fa", "خروجی")):
        assert (
            f'<li class="lang-item" data-lang="{lang}"><bdi class="lang" dir="ltr">{lang}</bdi> '
            f'<span class="label" dir="auto" lang="{lang}">{text}</span></li>'
        ) in labels
    keyphrases = page[page.index('id="theme-keyphrases"') :]
    assert '<bdi class="lang" dir="ltr">en</bdi> <span class="label kp" dir="auto" lang="en">' in (
        keyphrases
    )
