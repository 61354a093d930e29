"""The dashboard and the HTML report in headless Chromium, against the real server.

One server (``feedback-nlp serve`` subprocess on 127.0.0.1, temporary SQLite database) is seeded
through the real ingest route with a quarter of the demo corpus (English, Arabic, Hebrew,
Persian, Lithuanian) plus twelve planted complaints whose text holds ``<script>alert(1)</script>``,
and mined by its embedded worker. The tests sign in with a key, filter by a segment, open the
theme of the planted items, rename it, take a screenshot, and check that hostile text shows as
text; then they open the HTML report of the same database through ``file://`` and check the
computed direction of its quotes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ui_support import (
    HOSTILE_SEGMENT,
    HOSTILE_TEXT,
    api_support,
    chromium_paths,
    seed_items,
    sign_in,
    start_chromium,
    wait_for_url,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EMBEDDER = "minilm-l6-en"
NEW_NAME = "Export failures — ייצוא"
RTL_LANGS = ("ar", "he", "fa")


@dataclass
class Seeded:
    server: Any
    env: dict[str, str]
    key: str
    planted_theme: str
    root: Path


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    chromium_paths()  # skip before the expensive part when there is no browser
    root = tmp_path_factory.mktemp("ui-browser")
    env = api_support.server_env(
        f"sqlite:///{root / 'feedback.sqlite3'}",
        root / "var",
        FEEDBACK_NLP_MODELS__EMBEDDER=EMBEDDER,
    )
    key = api_support.cli_create_key(env, "demo")
    items = seed_items()
    with (
        api_support.running_server(env, root / "server.log") as server,
        server.client(key) as client,
    ):
        for start in range(0, len(items), 500):
            response = client.post("/v1/feedback", json={"items": items[start : start + 500]})
            assert response.status_code == 200, response.text
            assert response.json()["rejected"] == 0
        job = client.post("/v1/jobs", json={"kind": "mine"}).json()
        job = api_support.wait_for_job(client, job["id"])
        assert job["state"] == "succeeded", (job, server.log_tail())
        page = client.get(
            "/v1/feedback", params={"segment": f"partner:{HOSTILE_SEGMENT}", "limit": 1}
        )
        planted = page.raise_for_status().json()["items"][0]
        assert planted["id"] == "planted-xss-00"  # the oldest planted item
        assert planted["theme_ids"], f"the planted complaint is in no theme: {planted}"
        yield Seeded(server, env, key, planted["theme_ids"][0], root)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = start_chromium(*chromium_paths(), tmp_path)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def _no_alert(driver: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018 - the property raises when no alert is open


def test_dashboard_login_filter_open_rename_in_chromium(
    seeded: Seeded, browser: Any, record_property: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base = seeded.server.url
    browser.get(f"{base}/ui")
    assert browser.current_url.startswith(f"{base}/ui/login?next=")

    browser.find_element(By.NAME, "api_key").send_keys(seeded.key)
    browser.find_element(By.ID, "sign-in").click()
    wait_for_url(browser, lambda url: url == f"{base}/ui", "sign-in")
    assert browser.find_element(By.ID, "overview").is_displayed()
    cookie = browser.get_cookie("fnlp_ui_key")
    assert cookie is not None
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/ui")
    assert browser.execute_script("return document.cookie") == ""  # invisible to scripts

    # the hostile segment value is an option's text, not markup
    options = [o.text for o in Select(browser.find_element(By.ID, "filter-segment")).options]
    assert f"partner = {HOSTILE_SEGMENT}" in options
    assert browser.find_elements(By.CSS_SELECTOR, "img") == []

    Select(browser.find_element(By.ID, "filter-segment")).select_by_value("plan:pro")
    browser.find_element(By.ID, "apply-filters").click()
    wait_for_url(browser, lambda url: "segment=plan%3Apro" in url, "apply filters")
    assert "plan:pro" in browser.find_element(By.CSS_SELECTOR, ".active-filters").text

    link = browser.find_element(
        By.CSS_SELECTOR,
        f'table.themes tr[data-theme-id="{seeded.planted_theme}"] a.theme-link',
    )
    link.click()
    theme_url = f"/ui/themes/{seeded.planted_theme}?segment=plan%3Apro"
    wait_for_url(browser, lambda url: theme_url in url, "open the theme")
    planted = browser.find_element(
        By.CSS_SELECTOR, '[data-item-id="planted-xss-00"] blockquote.quote'
    )
    assert HOSTILE_TEXT in planted.text  # shown as text ...
    assert planted.find_elements(By.CSS_SELECTOR, "script") == []  # ... not parsed as markup
    assert browser.execute_script("return document.scripts.length") == 0
    _no_alert(browser)

    field = browser.find_element(By.ID, "rename-label")
    field.clear()
    field.send_keys(NEW_NAME)
    browser.find_element(By.ID, "rename-submit").click()
    renamed = f"/ui/themes/{seeded.planted_theme}?renamed=true"
    wait_for_url(browser, lambda url: url.endswith(renamed), "rename")
    assert browser.find_element(By.CSS_SELECTOR, ".flash").text == "Theme renamed."
    assert browser.find_element(By.CSS_SELECTOR, "#theme-title .label").text == NEW_NAME

    browser.find_element(By.ID, "back").click()
    row = browser.find_element(
        By.CSS_SELECTOR, f'table.themes tr[data-theme-id="{seeded.planted_theme}"] .theme-link'
    )
    assert row.text == NEW_NAME
    screenshot = seeded.root / "dashboard.png"
    browser.set_window_size(1280, 1600)
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    record_property("screenshot", str(screenshot))
    print(f"dashboard screenshot: {screenshot}")  # noqa: T201


def test_html_report_quotes_have_their_direction_in_chromium(
    seeded: Seeded, browser: Any, record_property: Any
) -> None:
    path = seeded.root / "report.html"
    done = subprocess.run(
        [*api_support.CLI, "report", "--workspace", "demo", "--html", str(path)],
        env=seeded.env,
        cwd=api_support.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    browser.get(path.as_uri())
    directions = browser.execute_script(
        """
        const out = {};
        for (const el of document.querySelectorAll('blockquote.quote[lang]')) {
            const lang = el.getAttribute('lang');
            (out[lang] = out[lang] || []).push(getComputedStyle(el).direction);
        }
        return out;
        """
    )
    for lang in RTL_LANGS:
        assert directions.get(lang), f"no {lang} quote in the report: {sorted(directions)}"
        assert set(directions[lang]) == {"rtl"}, (lang, directions[lang])
    assert directions.get("en")
    assert set(directions["en"]) == {"ltr"}
    assert browser.execute_script("return getComputedStyle(document.body).direction") == "ltr"
    # nothing was fetched: the only resource of the page is the page itself
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert resources == []
    _no_alert(browser)
    screenshot = seeded.root / "report.png"
    assert browser.save_screenshot(str(screenshot))
    record_property("screenshot", str(screenshot))
    print(f"report screenshot: {screenshot}")  # noqa: T201


SCREEN_WIDTHS = (1400, 800)


def _full_page_screenshot(driver: Any, path: Path, width: int) -> Path:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 120, 9000))
    assert driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def _layout(driver: Any) -> dict[str, Any]:
    """What the overview's readability checks read from the rendered page."""
    found: dict[str, Any] = driver.execute_script(
        """
        const rect = el => el.getBoundingClientRect();
        const overlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5
            && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
        let overlapping = 0;
        const cells = 'td.labels, #theme-labels, #theme-keyphrases';
        for (const cell of document.querySelectorAll(cells)) {
            const items = [...cell.querySelectorAll('li.lang-item')].map(rect);
            items.forEach((a, i) => items.slice(i + 1).forEach(b => {
                if (overlap(a, b)) overlapping++;
            }));
        }
        const panels = [...document.querySelectorAll('#trends figure.panel')].map(rect);
        return {
            inner: window.innerWidth,
            scroll: document.documentElement.scrollWidth,
            panels: panels.length,
            panel_min_width: Math.min(...panels.map(r => r.width)),
            panels_first_row: panels.filter(r => Math.abs(r.top - (panels[0] || r).top) < 2).length,
            spark: [...document.querySelectorAll('svg.spark')].map(s => rect(s).width),
            dot: [...document.querySelectorAll('svg.interval')].map(s => rect(s).width),
            spike_rows: [...document.querySelectorAll('#emerging table.spikes tr')]
                .filter(tr => tr.querySelector('td') && tr.offsetParent !== null).length,
            overlapping: overlapping,
            lang_items: document.querySelectorAll('li.lang-item').length,
        };
        """
    )
    return found


@pytest.mark.parametrize("width", SCREEN_WIDTHS)
def test_overview_theme_page_and_report_read_at_a_glance(
    seeded: Seeded, tmp_path: Path, width: int, record_property: Any
) -> None:
    import os

    shots = Path(os.environ.get("FEEDBACK_NLP_SCREENSHOT_DIR") or seeded.root)
    shots.mkdir(parents=True, exist_ok=True)
    driver = start_chromium(*chromium_paths(), tmp_path, (f"--window-size={width},1600",))
    driver.set_page_load_timeout(120)
    try:
        base = seeded.server.url
        sign_in(driver, base, seeded.key)
        assert driver.execute_script("return window.innerWidth") == width
        overview = _layout(driver)
        shot = _full_page_screenshot(driver, shots / f"overview-{width}.png", width)
        record_property(f"overview-{width}", str(shot))  # saved before the checks: evidence
        assert overview["scroll"] <= width, overview  # no sideways scrolling of the page
        assert 1 <= overview["panels"] <= 8, overview  # small multiples, at most 8
        assert overview["panel_min_width"] >= 245, overview
        assert overview["panels_first_row"] >= (4 if width >= 1400 else 2), overview
        assert overview["spark"], overview
        assert min(overview["spark"]) >= 140, overview
        assert min(overview["dot"]) >= 300, overview
        assert overview["spike_rows"] <= 5, overview  # the rest behind "Show all"
        assert overview["lang_items"] > 0, overview
        assert overview["overlapping"] == 0, overview  # each language's label its own box

        driver.set_window_size(width, 1600)
        driver.get(f"{base}/ui/themes/{seeded.planted_theme}")
        theme = _layout(driver)
        shot = _full_page_screenshot(driver, shots / f"theme-{width}.png", width)
        record_property(f"theme-{width}", str(shot))
        assert theme["scroll"] <= width, theme
        assert theme["overlapping"] == 0, theme

        report = seeded.root / "report-layout.html"
        if not report.exists():
            done = subprocess.run(
                [*api_support.CLI, "report", "--workspace", "demo", "--html", str(report)],
                env=seeded.env,
                cwd=api_support.REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
        driver.set_window_size(width, 1600)
        driver.get(report.as_uri())
        page = _layout(driver)
        shot = _full_page_screenshot(driver, shots / f"report-{width}.png", width)
        record_property(f"report-{width}", str(shot))
        assert page["scroll"] <= width, page
        assert 1 <= page["panels"] <= 8, page
        assert page["spike_rows"] <= 5, page
        assert page["overlapping"] == 0, page
    finally:
        driver.quit()


def test_dashboard_theme_count_matches_the_api_in_chromium(seeded: Seeded, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    with seeded.server.client(seeded.key) as client:
        listed = client.get("/v1/themes").raise_for_status().json()
    api_ids = sorted(t["id"] for t in listed if t["level"] == 0)
    assert api_ids
    sign_in(browser, seeded.server.url, seeded.key)
    shown = int(browser.find_element(By.ID, "theme-count").text)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.themes tbody tr[data-theme-id]")
    assert shown == len(api_ids)
    assert sorted(r.get_attribute("data-theme-id") for r in rows) == api_ids


def test_dashboard_heatmap_shows_the_significant_cells_in_chromium(
    seeded: Seeded, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    with seeded.server.client(seeded.key) as client:
        cells = (
            client.get("/v1/insights/segments", params={"by": "plan"})
            .raise_for_status()
            .json()["over_index"]
        )
    significant = {(c["segment"], c["theme_id"], c["direction"]) for c in cells}
    assert {"enterprise", "free"} <= {value for value, _, d in significant if d == "over"}
    sign_in(browser, seeded.server.url, seeded.key)
    table = browser.find_element(By.CSS_SELECTOR, 'table.heat[data-attribute="plan"]')
    columns = [
        th.get_attribute("data-theme-id")
        for th in table.find_elements(By.CSS_SELECTOR, "thead th[data-theme-id]")
    ]
    assert 1 <= len(columns) <= 12
    # every column of a significant theme comes before every column without one
    with_cell = [theme in {t for _, t, _ in significant} for theme in columns]
    assert with_cell == sorted(with_cell, reverse=True), (columns, significant)
    drawn = set()
    for row in table.find_elements(By.CSS_SELECTOR, "tbody tr[data-value]"):
        value = row.get_attribute("data-value")
        for theme, cell in zip(columns, row.find_elements(By.CSS_SELECTOR, "td.cell"), strict=True):
            classes = set((cell.get_attribute("class") or "").split())
            if "sig" in classes:
                direction = "over" if "over" in classes else "under"
                drawn.add((value, theme, direction))
                assert cell.is_displayed()
                assert cell.text.endswith("*")
    # every significant cell of the shown themes is drawn as significant, and no other
    assert drawn == {c for c in significant if c[1] in columns}
    # the planted complaints of enterprise and free are on the map
    assert {"enterprise", "free"} <= {value for value, _, d in drawn if d == "over"}
