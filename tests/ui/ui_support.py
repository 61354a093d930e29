"""Helpers of the browser tests: headless Chromium through chromedriver, and the seed corpus.

The real server and CLI helpers live in ``tests/api/api_support.py``; they are loaded from there
by path (``tests/ui`` is its own directory on ``sys.path``), not copied.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from feedback_nlp.demo import read_demo_items
from tests.file_modules import load_file_module

HOSTILE_TEXT = "<script>alert(1)</script>"
HOSTILE_SEGMENT = '"><img src=x onerror=alert(2)>'

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
CHROMEDRIVER_CANDIDATES = ("chromedriver",)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1600",
)


def _load_api_support() -> ModuleType:
    # The API tests of the same session may have imported it already, under the same name.
    return load_file_module(
        "api_support", Path(__file__).resolve().parents[1] / "api" / "api_support.py"
    )


api_support = _load_api_support()


def chromium_paths() -> tuple[str, str]:
    """The Chromium and chromedriver executables; skips the test when either is missing."""
    browser = next(filter(None, map(shutil.which, CHROMIUM_CANDIDATES)), None)
    driver = next(filter(None, map(shutil.which, CHROMEDRIVER_CANDIDATES)), None)
    if browser is None:
        pytest.skip(
            "no Chromium binary on PATH (install Debian's 'chromium' and 'chromium-driver'; "
            ".ci/run does it)"
        )
    if driver is None:
        pytest.skip(
            "Chromium is installed but chromedriver is not (apt-get install chromium-driver)"
        )
    return browser, driver


OFFLINE_FLAGS = (
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
"""No network but loopback: every other request goes to a dead proxy, every name fails to resolve
(Chromium sends loopback addresses direct, never through the proxy)."""


def start_chromium(
    browser: str, driver: str, profile_root: Path, extra_flags: tuple[str, ...] = ()
) -> Any:
    """A headless Chromium session driven by selenium, with a fresh profile directory.

    Args:
        browser: The Chromium executable.
        driver: The chromedriver executable.
        profile_root: Where the fresh profile directory is made.
        extra_flags: More command-line flags (:data:`OFFLINE_FLAGS`, ``--window-size=W,H``: a
            later flag wins over :data:`CHROMIUM_FLAGS`).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*CHROMIUM_FLAGS, *extra_flags):
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=profile_root)
    options.add_argument(f"--user-data-dir={profile}")
    # Selenium Manager must never try to download a driver: the service names the Debian one.
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def seed_items(step: int = 4) -> list[dict[str, object]]:
    """Every ``step``-th demo item (all five languages, all weeks) plus planted items.

    Planted: twelve near-identical English complaints whose text holds ``<script>`` markup (so
    they form a theme of their own, or join the export complaints), with detractor NPS and a
    hostile segment value, dated before the demo corpus so they come first in their theme's
    feedback list.
    """
    items = read_demo_items()[::step]
    hostile_variants = (
        "The export button is broken",
        "Export to CSV is broken again",
        "The export feature is broken",
        "CSV export broken, nothing downloads",
    )
    for i in range(12):
        items.append(
            {
                "id": f"planted-xss-{i:02d}",
                "text": f"{hostile_variants[i % 4]} {HOSTILE_TEXT} and nothing gets exported.",
                "source": "ticket",
                "created_at": f"2026-04-{10 + i:02d}T09:00:00Z",  # before the demo corpus
                "nps": 1,
                "segments": {"plan": "pro", "region": "europe", "partner": HOSTILE_SEGMENT},
            }
        )
    return items


def wait_for_url(driver: Any, accept: Any, what: str) -> None:
    """Wait (up to 60 s) until the current URL passes ``accept``.

    A click that submits a form can return before the next page has loaded when the server is
    slow to answer (one CI run read the login page's URL right after the sign-in click); a
    refused sign-in still fails, with the page's message.
    """
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, 60, poll_frequency=0.1).until(lambda d: accept(d.current_url))
    except TimeoutException:
        flash = driver.find_elements("css selector", ".flash")
        shown = flash[0].text if flash else driver.title
        pytest.fail(f"{what}: still at {driver.current_url} after 60 s (page says {shown!r})")


@dataclass
class BrowserPage:
    """A signed-in browser at ``base``: open a path, find elements, wait for the next URL."""

    driver: Any
    base: str

    def open(self, path: str) -> None:
        self.driver.get(f"{self.base}{path}")

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        found: list[Any] = self.driver.find_elements(By.CSS_SELECTOR, css)
        return found

    def wait_for(self, suffix: str, what: str) -> None:
        wait_for_url(self.driver, lambda url: url == f"{self.base}{suffix}", what)

    def submit_and_wait(self, css: str, suffix: str, what: str) -> None:
        """Click ``css``, wait until a new document replaced this one, then for the URL ``suffix``.

        For a form whose answer lands on the URL the browser is already at (the alert rule's
        toggle redirects to ``/ui/alerts#rule-N`` both times): the URL alone cannot tell the old
        page from the new one, so one CI run read the rule before the second POST was answered.
        A mark set on this document's ``window`` (by WebDriver; the page runs no script) is gone
        once the next document has loaded. Asking while the browser navigates can fail; that
        counts as "not yet".
        """
        from selenium.common.exceptions import TimeoutException, WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        def replaced(driver: Any) -> bool:
            try:
                return bool(driver.execute_script("return window.fnlpOldPage === undefined"))
            except WebDriverException:
                return False

        self.driver.execute_script("window.fnlpOldPage = true")
        self.find(css).click()
        try:
            WebDriverWait(self.driver, 60, poll_frequency=0.1).until(replaced)
        except TimeoutException:
            pytest.fail(f"{what}: the page at {self.driver.current_url} was not replaced in 60 s")
        self.wait_for(suffix, what)


def sign_in(driver: Any, base: str, key: str) -> None:
    """Sign in to the dashboard at ``base`` with ``key``; waits for the dashboard."""
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/ui/login")
    driver.find_element(By.NAME, "api_key").send_keys(key)
    driver.find_element(By.ID, "sign-in").click()
    wait_for_url(driver, lambda url: url == f"{base}/ui", "sign-in")


@contextlib.contextmanager
def inprocess_server(app: Any, ready_timeout: float = 60.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on 127.0.0.1 (its lifespan runs); yield its URL.

    For tests that set the app's state (a test embedder) before the browser reaches it.
    """
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=api_support.free_port(), log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="ui-test-uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + ready_timeout
        while not server.started:
            assert thread.is_alive(), "the in-process server stopped while starting"
            assert time.monotonic() < deadline, f"the server was not ready in {ready_timeout} s"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
