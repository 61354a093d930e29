"""The dashboard's taxonomy forms under TestClient: merge, split, move, ignore, seed, undo.

The workspace is the hand-mined one of the taxonomy tests (``tests/taxonomy/support.py``:
delivery 8 and parcel 6 units, account 12 = 6 password + 6 login, greetings 5, 5 battery units in
no theme) with the word-hash embedder, so every size below is worked out by hand. Each test
submits the forms the pages offer (parsed from their HTML, as a browser would send them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from api_support import bearer, make_settings
from fastapi.testclient import TestClient

from api.main import create_app
from api.ui.auth import csrf_token
from feedback_nlp.taxonomy.embedders import EmbedderPool
from tests.report.hand_mined import HOSTILE
from tests.taxonomy.support import (
    ACCOUNT,
    DELIVERY,
    GREETING,
    PARCEL,
    WordEmbedder,
    mined_workspace,
)


@dataclass
class HtmlForm:
    """A form of a page: where it goes and the fields a browser would send by default."""

    action: str
    method: str
    attrs: dict[str, str]
    fields: list[tuple[str, str]] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)

    def data(self, **changes: Any) -> dict[str, Any]:
        """The fields (repeated names as lists), with ``changes`` replacing or adding values."""
        out: dict[str, Any] = {}
        for name, value in self.fields:
            out.setdefault(name, []).append(value)
        flat = {k: v[0] if len(v) == 1 else v for k, v in out.items()}
        return flat | changes


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[HtmlForm] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            method = found.get("method", "get").lower()
            self.forms.append(HtmlForm(found.get("action", ""), method, found))
        elif not self.forms:
            return
        elif tag == "input" and "name" in found and "form" not in found:
            if found.get("type") != "checkbox" or "checked" in found:
                self.forms[-1].fields.append((found["name"], found.get("value", "")))
        elif tag == "select":
            self._select = found.get("name")
            self.forms[-1].options[found.get("name", "")] = []
        elif tag == "option" and self._select is not None:
            self.forms[-1].options[self._select].append(found.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms_of(html: str, action: str) -> list[HtmlForm]:
    """The forms of ``html`` posting (or getting) to ``action``."""
    parser = _FormParser()
    parser.feed(html)
    return [form for form in parser.forms if form.action == action]


def form_of(html: str, action: str) -> HtmlForm:
    found = forms_of(html, action)
    assert len(found) == 1, (action, len(found))
    return found[0]


@dataclass
class Ui:
    """A signed-in browser session of the hand-mined workspace, and its key."""

    client: TestClient
    key: str

    def page(self, url: str, **params: Any) -> str:
        response = self.client.get(url, params=params or None)  # {} would drop ?done=
        assert response.status_code == 200, response.text
        return response.text

    def operations(self) -> list[dict[str, Any]]:
        listed = self.client.get("/v1/taxonomy/operations", headers=bearer(self.key))
        operations: list[dict[str, Any]] = listed.json()["operations"]
        return operations

    def sizes(self) -> dict[str, int]:
        listed = self.client.get("/v1/themes", headers=bearer(self.key)).json()
        return {t["id"]: t["size"] for t in listed if t["level"] == 0}


@pytest.fixture
def ui(tmp_path: Path) -> Iterator[Ui]:
    settings = make_settings(tmp_path)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        store: Any = client.app.state.store  # type: ignore[attr-defined]
        mined_workspace(store, "acme")
        embedder = WordEmbedder()
        client.app.state.taxonomy_embedders = EmbedderPool(  # type: ignore[attr-defined]
            "word-hash", loader=lambda _name: embedder
        )
        key = store.create_api_key("acme", name="ana-laptop")
        signed_in = client.post("/ui/login", data={"api_key": key, "next": "/ui"})
        assert signed_in.status_code == 303
        yield Ui(client, key)


def _flash(html: str) -> str:
    found = re.search(r'<p class="flash[^"]*" role="status" id="edit-flash">(.*?)</p>', html, re.S)
    assert found, "no flash on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(1))).strip()


def _alert(html: str) -> str:
    found = re.search(r'role="alert">(.*?)</p>', html, re.S)
    assert found, "no problem shown"
    return found.group(1)


def _theme_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-theme-id="([^"]+)">', html)


def test_ui_merge_the_ticked_themes(ui: Ui) -> None:
    dashboard = ui.page("/ui")
    merge = form_of(dashboard, "/ui/merge")
    # every theme row has a checkbox that joins the merge form from the table
    boxes = re.findall(r'name="theme_ids" value="([^"]+)" form="merge-form"', dashboard)
    assert sorted(boxes) == sorted(_theme_rows(dashboard)) == [DELIVERY, PARCEL, ACCOUNT, GREETING]
    assert merge.data()["expected_seq"] == "0"
    sent = merge.data(theme_ids=[DELIVERY, PARCEL], label="Late deliveries")
    done = ui.client.post("/ui/merge", data=sent)
    assert done.status_code == 303
    assert done.headers["location"] == f"/ui/themes/{DELIVERY}?done=1"
    page = ui.page(done.headers["location"])
    assert (
        _flash(page)
        == f"Operation 1: merged parcel {PARCEL} into Late deliveries {DELIVERY}. Edit history"
    )
    assert "14 units in 14 items" in page
    assert _theme_rows(ui.page("/ui")) == [DELIVERY, ACCOUNT, GREETING]
    [op] = ui.operations()
    assert (op["kind"], op["actor"], op["params"]["label"]) == (
        "merge",
        "ana-laptop",
        "Late deliveries",
    )


def test_ui_merge_problems_are_readable_pages(ui: Ui) -> None:
    merge = form_of(ui.page("/ui"), "/ui/merge")
    one = ui.client.post("/ui/merge", data=merge.data(theme_ids=[ACCOUNT]))
    assert one.status_code == 422
    assert one.headers["content-type"].startswith("text/html")
    assert "cannot be merged with itself" in _alert(one.text)
    nothing = ui.client.post("/ui/merge", data=merge.data())  # no box ticked
    assert (nothing.status_code, "at least two different themes" in nothing.text) == (422, True)
    assert ui.operations() == []
    # a second tab still showing operation 0 after an ignore made from the first one
    ignore = form_of(ui.page(f"/ui/themes/{GREETING}"), f"/ui/themes/{GREETING}/ignore")
    assert ui.client.post(ignore.action, data=ignore.data()).status_code == 303
    stale = ui.client.post("/ui/merge", data=merge.data(theme_ids=[DELIVERY, PARCEL]))
    assert stale.status_code == 409
    assert '<h2 id="problem-heading">The themes changed meanwhile</h2>' in stale.text
    assert "latest is 1 (operation 1, ignore by ana-laptop)" in _alert(stale.text)
    assert "Traceback" not in stale.text
    assert [op["kind"] for op in ui.operations()] == ["ignore"]


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/ui/merge", {"theme_ids": [DELIVERY, PARCEL]}),
        (f"/ui/themes/{DELIVERY}/move", {"item_id": "d00", "to": "unassigned"}),
        (f"/ui/themes/{GREETING}/ignore", {}),
        (f"/ui/themes/{ACCOUNT}/split", {"k": "2"}),
        ("/ui/seed/preview", {"name": "Battery", "examples": "battery drains"}),
        ("/ui/seed", {"name": "Battery", "examples": "battery drains"}),
        ("/ui/undo", {}),
        ("/ui/redo", {}),
        (f"/ui/themes/{PARCEL}/rename", {"label": "Parcels"}),
    ],
)
def test_ui_edit_forms_refuse_a_missing_or_wrong_csrf_token(
    ui: Ui, path: str, fields: dict[str, Any]
) -> None:
    for token in (None, "0" * 64, csrf_token(ui.key + "x")):
        sent = fields | ({} if token is None else {"csrf_token": token})
        response = ui.client.post(path, data=sent)
        assert response.status_code == 403, (path, token, response.text[:200])
        assert "security token is missing or wrong" in response.text
    assert ui.operations() == []
    assert ui.sizes() == {ACCOUNT: 12, DELIVERY: 8, PARCEL: 6, GREETING: 5}
    # the same fields with the right token go through (the refusal was the token's)
    right = ui.client.post(path, data=fields | {"csrf_token": csrf_token(ui.key)})
    assert right.status_code != 403


def test_ui_split_preview_then_apply(ui: Ui) -> None:
    theme = ui.page(f"/ui/themes/{ACCOUNT}")
    asked = form_of(theme, f"/ui/themes/{ACCOUNT}/split")
    assert asked.method == "get"
    preview = ui.page(asked.action, **asked.data(k="2"))
    assert re.findall(r'<li class="child" data-theme-id="([^"]+)">', preview) == [
        "c_000001_1",
        "c_000001_2",
    ]
    assert re.findall(r'class="child-size">(\d+)<', preview) == ["6", "6"]
    children = preview.split('<li class="child"')[1:]
    assert children[0].count("password") >= 3  # the first child's quotes
    assert "login" not in children[0]
    assert "login page crashes" in children[1]
    assert ui.operations() == []  # a preview changes nothing
    [apply] = [f for f in forms_of(preview, asked.action) if f.method == "post"]
    assert (apply.data()["k"], apply.data()["seed"], apply.data()["expected_seq"]) == (
        "2",
        "0",
        "0",
    )
    done = ui.client.post(apply.action, data=apply.data(labels=["Passwords", ""]))
    assert done.status_code == 303
    assert done.headers["location"] == "/ui?done=1"
    dashboard = ui.page(done.headers["location"])
    assert "Operation 1: split account t_000003 into 2: Passwords c_000001_1" in _flash(dashboard)
    assert _theme_rows(dashboard) == [DELIVERY, "c_000001_1", "c_000001_2", PARCEL, GREETING]
    assert ui.sizes()["c_000001_1"] == 6
    assert 'id="theme-edits"' not in ui.page(f"/ui/themes/{ACCOUNT}")  # split: no more edits


@pytest.mark.parametrize(
    ("theme_id", "k", "status", "message"),
    [
        (PARCEL, "2", 422, "has 6 units; splitting it into 2 needs at least 2 x 5 = 10"),
        (ACCOUNT, "1", 422, "must be an int in the range [2, 20]. Got 1"),
        (ACCOUNT, "two", 422, "The &#39;k&#39; field must be a whole number. Got &#39;two&#39;"),
        ("t_424242", "2", 404, "No theme has the id &#39;t_424242&#39;"),
    ],
)
def test_ui_split_problems_are_readable_pages(
    ui: Ui, theme_id: str, k: str, status: int, message: str
) -> None:
    response = ui.client.get(f"/ui/themes/{theme_id}/split", params={"k": k})
    assert response.status_code == status
    assert message in _alert(response.text)
    assert f'href="/ui/themes/{theme_id}" id="problem-back"' in response.text


def test_ui_move_a_quote_to_another_theme_and_an_item_to_the_pool(ui: Ui) -> None:
    page = ui.page(f"/ui/themes/{DELIVERY}")
    moves = forms_of(page, f"/ui/themes/{DELIVERY}/move")
    quotes = [m for m in moves if "text" in m.data()]
    items = [m for m in moves if "text" not in m.data()]
    assert (len(quotes), len(items)) == (3, 8)  # three representative quotes, eight items
    assert quotes[0].options["to"] == ["unassigned", ACCOUNT, PARCEL, GREETING]  # largest first
    quote = quotes[0].data()
    assert (quote["item_id"], quote["text"]) == ("d00", "delivery late")
    done = ui.client.post(quotes[0].action, data=quotes[0].data(to=PARCEL))
    assert done.status_code == 303
    assert done.headers["location"] == f"/ui/themes/{DELIVERY}?done=1"
    page = ui.page(done.headers["location"])
    assert _flash(page) == f"Operation 1: moved 1 unit to parcel {PARCEL}. Edit history"
    assert "7 units in 7 items" in page
    assert 'data-item-id="d00"' not in page
    assert 'data-item-id="d00"' in ui.page(f"/ui/themes/{PARCEL}")
    # the page's forms now carry the new latest operation; move a whole item to the pool
    item = next(m for m in forms_of(page, f"/ui/themes/{DELIVERY}/move") if "text" not in m.data())
    assert item.data()["expected_seq"] == "1"
    pooled = ui.client.post(item.action, data=item.data(to="unassigned"))
    assert pooled.status_code == 303
    assert "moved 1 unit to the unassigned pool" in _flash(ui.page(pooled.headers["location"]))
    assert ui.sizes() == {ACCOUNT: 12, PARCEL: 7, DELIVERY: 6, GREETING: 5}


def test_ui_move_problems_are_readable_pages(ui: Ui) -> None:
    form = forms_of(ui.page(f"/ui/themes/{DELIVERY}"), f"/ui/themes/{DELIVERY}/move")[0]
    wrong = ui.client.post(form.action, data=form.data(text="not its text", to=PARCEL))
    assert wrong.status_code == 404
    assert "has no unit &#39;not its text&#39;" in _alert(wrong.text)
    no_target = ui.client.post(form.action, data=form.data(to=""))
    assert no_target.status_code == 422
    assert "Choose the theme to move to" in _alert(no_target.text)
    assert ui.operations() == []


def test_ui_ignore_hides_a_theme_and_undo_from_the_history_brings_it_back(ui: Ui) -> None:
    ignore = form_of(ui.page(f"/ui/themes/{GREETING}"), f"/ui/themes/{GREETING}/ignore")
    done = ui.client.post(ignore.action, data=ignore.data())
    assert (done.status_code, done.headers["location"]) == (303, "/ui?done=1")
    dashboard = ui.page(done.headers["location"])
    assert _flash(dashboard).startswith(f"Operation 1: ignored hello {GREETING}")
    assert GREETING not in _theme_rows(dashboard)
    assert 'id="theme-ignored"' in ui.page(f"/ui/themes/{GREETING}")

    history = ui.page("/ui/history")
    row = re.search(
        r'<tr data-seq="1" data-kind="ignore" data-status="applied">(.*?)</tr>', history, re.S
    )
    assert row
    assert "ana-laptop" in row.group(1)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", row.group(1))  # when
    undo = form_of(history, "/ui/undo")
    assert undo.data()["seq"] == "1"
    undone = ui.client.post("/ui/undo", data=undo.data())
    assert (undone.status_code, undone.headers["location"]) == (303, "/ui/history?undone=1")
    history = ui.page(undone.headers["location"])
    assert _flash(history).startswith(f"Undid operation 1: ignored hello {GREETING}")
    assert '<tr data-seq="1" data-kind="ignore" data-status="undone">' in history
    assert forms_of(history, "/ui/undo") == []  # nothing left to undo
    assert GREETING in _theme_rows(ui.page("/ui"))
    again = ui.client.post("/ui/undo", data=undo.data(expected_seq="1"))
    assert again.status_code == 409  # undone already
    assert "undone already by ana-laptop" in _alert(again.text)


def test_ui_history_offers_undo_for_the_latest_edit_only(ui: Ui) -> None:
    merge = form_of(ui.page("/ui"), "/ui/merge")
    ui.client.post("/ui/merge", data=merge.data(theme_ids=[DELIVERY, PARCEL]))
    rename = form_of(ui.page(f"/ui/themes/{ACCOUNT}"), f"/ui/themes/{ACCOUNT}/rename")
    renamed = ui.client.post(rename.action, data=rename.data(label=f"Log-in {HOSTILE}"))
    assert renamed.status_code == 303
    history = ui.page("/ui/history")
    assert re.findall(r'<tr data-seq="(\d+)" data-kind="(\w+)"', history) == [
        ("2", "rename"),
        ("1", "merge"),
    ]
    assert [f.data()["seq"] for f in forms_of(history, "/ui/undo")] == ["2"]
    assert HOSTILE not in history
    assert "Log-in &lt;script&gt;alert(1)&lt;/script&gt;" in history
    ui.client.post("/ui/undo", data=form_of(history, "/ui/undo").data())
    history = ui.page("/ui/history")
    assert [f.data()["seq"] for f in forms_of(history, "/ui/undo")] == ["1"]


def test_ui_history_redo_makes_the_undone_edit_again(ui: Ui) -> None:
    ignore = form_of(ui.page(f"/ui/themes/{GREETING}"), f"/ui/themes/{GREETING}/ignore")
    ui.client.post(ignore.action, data=ignore.data())
    history = ui.page("/ui/history")
    assert forms_of(history, "/ui/redo") == []  # nothing undone yet
    ui.client.post("/ui/undo", data=form_of(history, "/ui/undo").data())
    history = ui.page("/ui/history")
    redo = form_of(history, "/ui/redo")
    assert (redo.data()["seq"], redo.data()["expected_seq"]) == ("1", "1")
    stale = ui.client.post("/ui/redo", data=redo.data(expected_seq="0"))
    assert stale.status_code == 409
    assert "changed since operation 0" in _alert(stale.text)
    done = ui.client.post("/ui/redo", data=redo.data())
    assert (done.status_code, done.headers["location"]) == (303, "/ui/history?done=2")
    history = ui.page(done.headers["location"])
    assert _flash(history).startswith(f"Operation 2: ignored hello {GREETING}")
    assert "(redo of #1)" in _flash(history)
    assert '<tr data-seq="2" data-kind="ignore" data-status="applied">' in history
    assert forms_of(history, "/ui/redo") == []
    assert GREETING not in _theme_rows(ui.page("/ui"))
    again = ui.client.post("/ui/redo", data=redo.data(expected_seq="2"))
    assert again.status_code == 409
    assert "redone already (operation 2)" in _alert(again.text)


def test_ui_history_new_edit_clears_the_redo(ui: Ui) -> None:
    ignore = form_of(ui.page(f"/ui/themes/{GREETING}"), f"/ui/themes/{GREETING}/ignore")
    ui.client.post(ignore.action, data=ignore.data())
    ui.client.post("/ui/undo", data=form_of(ui.page("/ui/history"), "/ui/undo").data())
    assert len(forms_of(ui.page("/ui/history"), "/ui/redo")) == 1
    merge = form_of(ui.page("/ui"), "/ui/merge")
    assert ui.client.post("/ui/merge", data=merge.data(theme_ids=[DELIVERY, PARCEL])).is_redirect
    assert forms_of(ui.page("/ui/history"), "/ui/redo") == []


def test_ui_seed_preview_then_apply(ui: Ui) -> None:
    form = form_of(ui.page("/ui/seed"), "/ui/seed/preview")
    sent = form.data(name="Battery", examples="battery drains\n\n  \n")
    preview = ui.client.post("/ui/seed/preview", data=sent)
    assert preview.status_code == 200, preview.text
    assert re.search(r'id="seed-claimed">5<', preview.text)
    assert re.search(
        r'<tr data-theme-id="unassigned"><td>the unassigned pool</td><td class="num">5<',
        preview.text,
    )
    assert preview.text.count("battery drains") >= 3  # the form's example and its quotes
    assert ui.operations() == []
    strict = ui.client.post("/ui/seed/preview", data=sent | {"threshold": "0,95"})
    claimed = re.search(r'id="seed-claimed">(\d+)<', strict.text)
    assert claimed
    assert int(claimed.group(1)) < 5
    apply = form_of(preview.text, "/ui/seed/preview")
    assert 'formaction="/ui/seed"' in preview.text
    done = ui.client.post("/ui/seed", data=apply.data(examples="battery drains"))
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/themes/s_000001?done=1"
    page = ui.page(done.headers["location"])
    assert "Operation 1: seeded Battery s_000001 from 1 example phrase" in _flash(page)
    assert "5 units claimed" in _flash(page)
    assert "5 units in 5 items" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "Battery", "examples": " \n "}, "needs at least one example phrase"),
        ({"name": "  ", "examples": "battery"}, "name must be a non-blank string"),
        ({"name": "Battery", "examples": "battery", "threshold": "1.5"}, "range (0, 1]"),
        ({"name": "Battery", "examples": "battery", "threshold": "high"}, "a number such as 0.6"),
    ],
)
def test_ui_seed_problems_keep_what_was_typed(ui: Ui, fields: dict[str, str], message: str) -> None:
    token = {"csrf_token": csrf_token(ui.key)}
    for path in ("/ui/seed/preview", "/ui/seed"):
        response = ui.client.post(path, data=fields | token)
        assert response.status_code == 422, path
        assert message in _alert(response.text)
    typed = ui.client.post("/ui/seed/preview", data=fields | token).text
    assert f'value="{fields["name"]}"' in typed  # the form keeps the name typed
    assert ui.operations() == []


def test_ui_edit_pages_forbid_scripts_and_need_a_session(ui: Ui) -> None:
    preview = ui.client.post(
        "/ui/seed/preview",
        data={"name": HOSTILE, "examples": HOSTILE, "csrf_token": csrf_token(ui.key)},
    )
    pages = [
        ui.client.get("/ui/history"),
        ui.client.get("/ui/seed"),
        ui.client.get(f"/ui/themes/{ACCOUNT}/split", params={"k": 2}),
        preview,
    ]
    for response in pages:
        assert response.status_code == 200
        assert "<script" not in response.text.lower()
        assert "default-src 'none'" in response.headers["content-security-policy"]
    ui.client.cookies.clear()
    for url in ("/ui/history", "/ui/seed", f"/ui/themes/{ACCOUNT}/split?k=2"):
        response = ui.client.get(url)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/ui/login?next=")
    signed_out = ui.client.post("/ui/merge", data={"theme_ids": [DELIVERY, PARCEL]})
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/ui/login")
    assert ui.operations() == []
