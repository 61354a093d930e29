"""Steering the themes from the dashboard in headless Chromium: merge, split, move, seed, undo.

The app (``create_app``, temporary SQLite database) is served by uvicorn on 127.0.0.1 in this
process, so the test can hand it the word-hash embedder of the taxonomy tests; each test gets a
fresh copy of their hand-mined workspace (delivery 8 and parcel 6 units, account 12 = 6 password
+ 6 login, greetings 5, 5 battery units in no theme) and a key. Chromium only clicks, types and
submits plain forms (the pages run no script); each test checks what the next page shows and the
operation log the API reports.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ui_support import (
    BrowserPage,
    api_support,
    chromium_paths,
    inprocess_server,
    sign_in,
    start_chromium,
)

from api.main import create_app
from feedback_nlp.taxonomy.embedders import EmbedderPool
from tests.taxonomy.support import (
    ACCOUNT,
    DELIVERY,
    GREETING,
    PARCEL,
    WordEmbedder,
    mined_workspace,
)

pytestmark = [pytest.mark.browser]


@dataclass
class Served:
    url: str
    store: Any


@dataclass
class Session(BrowserPage):
    """A browser signed in to a fresh hand-mined workspace."""

    store: Any
    workspace_id: int

    def flash(self) -> str:
        text: str = self.find("#edit-flash").text
        return text

    def theme_rows(self) -> list[str]:
        rows = self.find_all("table.themes tbody tr[data-theme-id]")
        return [row.get_attribute("data-theme-id") for row in rows]

    def operations(self) -> list[tuple[int, str, str]]:
        listed = self.store.list_operations(self.workspace_id)
        return [(op.seq, op.kind, op.status) for op in listed]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    chromium_paths()  # skip before starting anything when there is no browser
    root = tmp_path_factory.mktemp("taxonomy-browser")
    app = create_app(api_support.make_settings(root))
    embedder = WordEmbedder()
    with inprocess_server(app) as url:
        app.state.taxonomy_embedders = EmbedderPool("word-hash", loader=lambda _name: embedder)
        yield Served(url, app.state.store)


@pytest.fixture
def session(served: Served, tmp_path: Path) -> Iterator[Session]:
    name = f"acme-{uuid.uuid4().hex[:8]}"
    workspace_id = mined_workspace(served.store, name)
    key = served.store.create_api_key(name, name="ana-browser")
    driver = start_chromium(*chromium_paths(), tmp_path)
    driver.set_page_load_timeout(60)
    try:
        sign_in(driver, served.url, key)
        yield Session(driver, served.url, served.store, workspace_id)
    finally:
        driver.quit()


def test_browser_merge_two_ticked_themes(session: Session) -> None:
    assert session.theme_rows() == [ACCOUNT, DELIVERY, PARCEL, GREETING]
    session.find(f'input[name="theme_ids"][value="{DELIVERY}"]').click()
    session.find(f'input[name="theme_ids"][value="{PARCEL}"]').click()
    session.find("#merge-label").send_keys("Late deliveries")
    session.find("#merge-submit").click()
    session.wait_for(f"/ui/themes/{DELIVERY}?done=1", "merge")
    assert session.flash().startswith("Operation 1: merged parcel t_000002 into Late deliveries")
    assert session.find("#theme-title .label").text == "Late deliveries"
    assert "14 units in 14 items" in session.find("#theme").text
    session.find("#back").click()
    session.wait_for("/ui", "back to the dashboard")
    assert session.theme_rows() == [DELIVERY, ACCOUNT, GREETING]
    assert session.operations() == [(1, "merge", "applied")]


def test_browser_split_with_a_preview_then_apply(session: Session) -> None:
    session.open(f"/ui/themes/{ACCOUNT}")
    field = session.find("#split-k")
    field.clear()
    field.send_keys("2")
    session.find("#split-preview").click()
    session.wait_for(f"/ui/themes/{ACCOUNT}/split?k=2", "split preview")
    children = session.find_all("li.child")
    assert [c.get_attribute("data-theme-id") for c in children] == ["c_000001_1", "c_000001_2"]
    assert [c.find_element("css selector", ".child-size").text for c in children] == ["6", "6"]
    first_quotes = [q.text for q in children[0].find_elements("css selector", "blockquote")]
    assert first_quotes
    assert all("password" in q for q in first_quotes)
    assert session.operations() == []  # nothing changed yet
    children[0].find_element("css selector", 'input[name="labels"]').send_keys("Passwords")
    session.find("#split-apply").click()
    session.wait_for("/ui?done=1", "apply the split")
    assert "split account t_000003 into 2: Passwords c_000001_1" in session.flash()
    rows = session.theme_rows()
    assert ACCOUNT not in rows
    assert {"c_000001_1", "c_000001_2"} <= set(rows)
    link = session.find('table.themes tr[data-theme-id="c_000001_1"] .theme-link')
    assert link.text == "Passwords"


def test_browser_move_a_quote_to_another_theme(session: Session) -> None:
    from selenium.webdriver.support.ui import Select

    session.open(f"/ui/themes/{DELIVERY}")
    row = session.find("#theme-quotes .quote-row")
    assert row.find_element("css selector", "blockquote").text == "delivery late"
    Select(row.find_element("css selector", 'select[name="to"]')).select_by_value(PARCEL)
    row.find_element("css selector", "button.move-submit").click()
    session.wait_for(f"/ui/themes/{DELIVERY}?done=1", "move")
    assert session.flash() == "Operation 1: moved 1 unit to parcel t_000002. Edit history"
    assert "7 units in 7 items" in session.find("#theme").text
    assert session.find_all('[data-item-id="d00"]') == []
    session.open(f"/ui/themes/{PARCEL}")
    assert session.find_all('[data-item-id="d00"]')
    assert session.operations() == [(1, "move", "applied")]


def test_browser_seed_with_a_preview_then_apply(session: Session) -> None:
    session.find("#nav-seed").click()
    session.wait_for("/ui/seed", "open the seed form")
    session.find("#seed-name").send_keys("Battery")
    session.find("#seed-examples").send_keys("battery drains\nla batterie se vide")
    session.find("#seed-preview").click()
    session.wait_for("/ui/seed/preview", "seed preview")
    assert session.find("#seed-claimed").text == "5"
    assert "the unassigned pool" in session.find("table.taken-from").text
    assert session.find("#seed-name").get_attribute("value") == "Battery"  # kept for the apply
    assert session.operations() == []
    session.find("#seed-apply").click()
    session.wait_for("/ui/themes/s_000001?done=1", "apply the seed")
    assert "seeded Battery s_000001 from 2 example phrases" in session.flash()
    assert session.find("#theme-title .label").text == "Battery"
    assert "5 units in 5 items" in session.find("#theme").text


def test_browser_ignore_then_undo_from_the_history(session: Session) -> None:
    session.open(f"/ui/themes/{GREETING}")
    session.find("#ignore-submit").click()
    session.wait_for("/ui?done=1", "ignore")
    assert GREETING not in session.theme_rows()
    session.find("#nav-history").click()
    session.wait_for("/ui/history", "open the history")
    row = session.find('tr[data-seq="1"]')
    assert "ana-browser" in row.find_element("css selector", ".actor").text
    assert "ignored hello t_000004" in row.find_element("css selector", ".what").text
    session.find("#undo-submit").click()
    session.wait_for("/ui/history?undone=1", "undo")
    assert session.flash().startswith("Undid operation 1: ignored hello t_000004")
    assert session.find('tr[data-seq="1"]').get_attribute("data-status") == "undone"
    assert session.find_all("#undo-submit") == []
    session.open("/ui")
    assert GREETING in session.theme_rows()
    assert session.operations() == [(1, "ignore", "undone")]


def test_browser_forms_refuse_a_wrong_or_missing_csrf_token(session: Session) -> None:
    forged = "0" * 64
    for tamper in (
        f"document.querySelector('#merge-form [name=csrf_token]').value = '{forged}'",
        "document.querySelector('#merge-form [name=csrf_token]').remove()",
    ):
        session.open("/ui")
        session.find(f'input[name="theme_ids"][value="{DELIVERY}"]').click()
        session.find(f'input[name="theme_ids"][value="{PARCEL}"]').click()
        session.driver.execute_script(tamper)  # WebDriver's own script; the page runs none
        session.find("#merge-submit").click()
        session.wait_for("/ui/merge", "the refused merge")
        assert "security token is missing or wrong" in session.find(".flash.error").text
        assert session.find("#problem-heading").text == "That form cannot be sent"
    session.open(f"/ui/themes/{GREETING}")
    session.driver.execute_script(
        f"document.querySelector('form.ignore [name=csrf_token]').value = '{forged}'"
    )
    session.find("#ignore-submit").click()
    session.wait_for(f"/ui/themes/{GREETING}/ignore", "the refused ignore")
    assert "security token is missing or wrong" in session.find(".flash.error").text
    assert session.operations() == []
    session.open("/ui")
    assert session.theme_rows() == [ACCOUNT, DELIVERY, PARCEL, GREETING]


def test_browser_undo_then_redo_from_the_history(session: Session) -> None:
    session.open(f"/ui/themes/{GREETING}")
    session.find("#ignore-submit").click()
    session.wait_for("/ui?done=1", "ignore")
    session.open("/ui/history")
    assert session.find_all("#redo-submit") == []
    session.find("#undo-submit").click()
    session.wait_for("/ui/history?undone=1", "undo")
    session.find("#redo-submit").click()
    session.wait_for("/ui/history?done=2", "redo")
    assert session.flash().startswith("Operation 2: ignored hello t_000004")
    assert "(redo of #1)" in session.flash()
    assert session.find('tr[data-seq="2"]').get_attribute("data-status") == "applied"
    assert session.find_all("#redo-submit") == []
    assert [f.get_attribute("action") for f in session.find_all("form.undo")] == [
        f"{session.base}/ui/undo"
    ]
    session.open("/ui")
    assert GREETING not in session.theme_rows()
    assert session.operations() == [(1, "ignore", "undone"), (2, "ignore", "applied")]
