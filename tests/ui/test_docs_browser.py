"""``/docs`` and ``/redoc`` in headless Chromium with the network off, against the real server.

The server (``feedback-nlp serve`` on 127.0.0.1, temporary SQLite database) is the one a user
starts; Chromium reaches nothing but loopback (:data:`ui_support.OFFLINE_FLAGS`). Swagger UI and
ReDoc must render the API's operations from the files the server ships, and every resource the
pages loaded must come from the server. The server's log must show its bind address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_support import OFFLINE_FLAGS, api_support, chromium_paths, start_chromium

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium_paths()
    root = tmp_path_factory.mktemp("docs-browser")
    env = api_support.server_env(
        f"sqlite:///{root / 'feedback.sqlite3'}",
        root / "var",
        FEEDBACK_NLP_API__EMBEDDED_WORKER="false",
    )
    with api_support.running_server(env, root / "server.log") as running:
        yield running


@pytest.fixture
def offline_browser(tmp_path: Path) -> Iterator[Any]:
    driver = start_chromium(*chromium_paths(), tmp_path, OFFLINE_FLAGS)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait_for(driver: Any, css: str, what: str, minimum: int = 1) -> list[Any]:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, 60, poll_frequency=0.2).until(
            lambda d: len(d.find_elements("css selector", css)) >= minimum
        )
    except TimeoutException:
        body = driver.find_element("tag name", "body").text[:500]
        pytest.fail(f"{what}: no {css!r} after 60 s; the page shows {body!r}")
    elements: list[Any] = driver.find_elements("css selector", css)
    return elements


def _assert_local_only(driver: Any, base: str) -> None:
    """Every resource came from ``base``, or the page's CSP blocked it before any request."""
    entries: list[dict[str, Any]] = driver.execute_script(
        "return performance.getEntriesByType('resource')"
        ".map(e => ({name: e.name, status: e.responseStatus, size: e.transferSize}))"
    )
    blocked = " ".join(
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] and "blocked" in entry["message"]
    )
    assert any(entry["name"].startswith(base) for entry in entries), entries
    for entry in entries:
        if not entry["name"].startswith(base):
            assert (entry["status"], entry["size"]) == (0, 0), entry
            assert entry["name"] in blocked, (entry, blocked)


def test_offline_browser_reaches_nothing_but_loopback(offline_browser: Any) -> None:
    # The check behind the two tests below: with these flags an outside page does not load.
    from selenium.common.exceptions import WebDriverException

    try:
        offline_browser.get("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css")
    except WebDriverException:
        return  # refused outright
    assert "swagger" not in offline_browser.page_source.lower()


def test_swagger_ui_renders_operations_offline(server: Any, offline_browser: Any) -> None:
    offline_browser.get(f"{server.url}/docs")
    operations = _wait_for(offline_browser, ".opblock", "Swagger UI", minimum=10)
    paths = {op.find_element("css selector", ".opblock-summary-path").text for op in operations}
    assert "/v1/feedback" in {p.replace("\u200b", "") for p in paths}
    assert offline_browser.find_elements("css selector", ".swagger-ui .info .title")
    _assert_local_only(offline_browser, server.url)


def test_redoc_renders_operations_offline(server: Any, offline_browser: Any) -> None:
    offline_browser.get(f"{server.url}/redoc")
    sections = _wait_for(offline_browser, '[data-section-id^="operation/"]', "ReDoc", minimum=10)
    assert sections
    assert "/v1/feedback" in offline_browser.find_element("tag name", "body").text
    _assert_local_only(offline_browser, server.url)  # ReDoc's CDN logo is blocked by the CSP


def test_server_log_shows_its_bind_address(server: Any) -> None:
    log = server.log_tail(100_000)
    port = server.url.rsplit(":", 1)[1]
    assert re.search(rf"Uvicorn running on http://127\.0\.0\.1:{port}\b", log), log[-2000:]
    assert "[IP]" not in log
