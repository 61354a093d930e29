"""The dashboard's alert rules in headless Chromium: make, fire, disable, enable, delete; CSRF.

The app (``create_app``, temporary SQLite database, the alert worker off so the test decides
when rules are evaluated) is served by uvicorn on 127.0.0.1 in this process; each test gets a
fresh workspace and key. Chromium only clicks, types and submits plain forms (the page runs no
script).
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
    wait_for_url,
)

from api.main import create_app
from feedback_nlp.alerts.service import AlertService
from feedback_nlp.settings import AlertSettings
from tests.alerts.frames import spike_frame, week_label

pytestmark = [pytest.mark.browser]


@dataclass
class Served:
    url: str
    store: Any


@dataclass
class Session(BrowserPage):
    """A browser signed in to a fresh workspace, on ``/ui/alerts``."""

    store: Any
    workspace_id: int

    def type_into(self, form: str, name: str, text: str) -> None:
        field = self.find(f"#{form} [name={name}]")
        field.clear()
        field.send_keys(text)

    def rules(self) -> list[Any]:
        return AlertService(self.store, self.workspace_id).rules()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    chromium_paths()  # skip before starting anything when there is no browser
    root = tmp_path_factory.mktemp("alerts-browser")
    settings = api_support.make_settings(root).model_copy(
        update={"alerts": AlertSettings(embedded_worker=False)}
    )
    app = create_app(settings)
    with inprocess_server(app) as url:
        yield Served(url, app.state.store)


@pytest.fixture
def session(served: Served, tmp_path: Path) -> Iterator[Session]:
    name = f"acme-{uuid.uuid4().hex[:8]}"
    key = served.store.create_api_key(name, name="ana-browser")
    workspace_id = served.store.get_workspace_by_name(name).id
    driver = start_chromium(*chromium_paths(), tmp_path)
    driver.set_page_load_timeout(60)
    try:
        sign_in(driver, served.url, key)
        yield Session(driver, served.url, served.store, workspace_id)
    finally:
        driver.quit()


def test_browser_make_a_rule_see_it_fire_disable_enable_delete(session: Session) -> None:
    session.open("/ui/alerts")
    assert "No alert rules yet" in session.find("#alert-rules").text
    session.type_into("new-theme_spike", "name", "Crash spikes")
    session.type_into("new-theme_spike", "param_z", "2.5")
    session.find("#new-theme_spike-submit").click()
    # the click can return before the POST is answered: read the rules once the page has moved
    wait_for_url(session.driver, lambda url: "/ui/alerts?created=" in url, "make the rule")
    (rule,) = session.rules()
    session.wait_for(f"/ui/alerts?created={rule.id}#rule-{rule.id}", "make the rule")
    assert (rule.name, rule.params["z"], rule.params["period"], rule.created_by) == (
        "Crash spikes",
        2.5,
        "week",
        "ana-browser",
    )
    article = session.find(f"#rule-{rule.id}")
    assert "Crash spikes" in article.text
    assert "Not fired yet." in article.text

    AlertService(session.store, session.workspace_id).evaluate(lambda _ws: spike_frame())
    session.open("/ui/alerts")
    firing = session.find(f"#rule-{rule.id} table.firings tbody tr")
    assert week_label(5) in firing.text
    assert "spiked" in firing.text

    session.submit_and_wait(
        f"#rule-{rule.id} .rule-toggle", f"/ui/alerts#rule-{rule.id}", "disable"
    )
    assert session.find(f"#rule-{rule.id}").get_attribute("data-enabled") == "false"
    assert session.find(f"#rule-{rule.id} .rule-toggle").text == "Enable"
    assert session.rules()[0].enabled is False
    session.submit_and_wait(f"#rule-{rule.id} .rule-toggle", f"/ui/alerts#rule-{rule.id}", "enable")
    assert session.rules()[0].enabled is True

    session.find(f"#rule-{rule.id} .rule-delete-submit").click()
    session.wait_for("/ui/alerts", "delete")
    assert session.find_all(".alert-rule") == []
    assert session.rules() == []


def test_browser_segment_rule_with_a_webhook_shows_its_secret_once(session: Session) -> None:
    session.open("/ui/alerts")
    from selenium.webdriver.support.ui import Select

    session.type_into("new-segment_nps_drop", "name", "Pro NPS")
    session.type_into("new-segment_nps_drop", "param_segment", "plan:pro")
    Select(session.find("#new-segment_nps_drop [name=param_period]")).select_by_value("month")
    session.type_into("new-segment_nps_drop", "webhook_url", "https://hooks.example.com/fnlp")
    session.find("#new-segment_nps_drop-submit").click()
    session.wait_for("/ui/alerts/rules", "make the rule")
    (rule,) = session.rules()
    assert session.find("#rule-secret").text == rule.secret
    assert (rule.params["segment"], rule.params["period"]) == ("plan:pro", "month")
    session.open("/ui/alerts")
    assert session.find_all("#rule-secret") == []
    assert "webhook https://hooks.example.com/fnlp" in session.find(f"#rule-{rule.id}").text


def test_browser_refused_rule_and_forged_token_are_readable_pages(session: Session) -> None:
    session.open("/ui/alerts")
    session.type_into("new-emerging_group", "name", "Local hook")
    session.type_into("new-emerging_group", "webhook_url", "http://127.0.0.1:9/hook")
    session.find("#new-emerging_group-submit").click()
    session.wait_for("/ui/alerts/rules", "the refused rule")
    assert "[E152]" in session.find(".flash.error").text
    assert "loopback" in session.find(".flash.error").text
    assert session.find("#problem-heading").text == "That alert rule cannot be made as asked"
    session.find("#problem-back").click()
    session.wait_for("/ui/alerts", "back to the alerts")
    session.type_into("new-emerging_group", "name", "Forged")
    session.driver.execute_script(  # WebDriver's own script; the page runs none
        "document.querySelector('#new-emerging_group [name=csrf_token]').value = '" + "0" * 64 + "'"
    )
    session.find("#new-emerging_group-submit").click()
    session.wait_for("/ui/alerts/rules", "the forged form")
    assert "security token is missing or wrong" in session.find(".flash.error").text
    assert session.rules() == []
