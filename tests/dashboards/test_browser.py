"""The app for real: every page in headless Chromium, charts drawn, no exception shown.

Screenshots of every page in English and Chinese go to artifacts/screenshots/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from pipelines.settings import Settings
from tests.dashboards.conftest import APP

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = APP.parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"  # Debian's, installed by .ci/browser-deps.sh
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-quic",
    "--disable-component-update",
    "--disable-sync",
]
# (url path, query, charts the page must draw on the fixture)
PAGES = [
    ("", "", 1),
    ("sales", "", 4),
    ("inventory", "", 3),
    ("customers", "", 5),
    ("efficiency", "", 4),
    ("data_quality", "", 1),
    ("product", "sku=SKU-B", 2),
    ("customer", "customer=C1", 1),
    ("replenishment", "", 1),
    ("reports", "", 0),  # its charts are on tabs: see the test of the reports tabs
]
CHART = '[data-testid="stPlotlyChart"] .main-svg'
TABLE = '[data-testid="stDataFrame"]'

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("servers")]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def app_url(published: Settings) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "ORDERLENS_DATA_DIR": str(published.data_dir)}
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true"]
    command += ["--server.port", str(port), "--browser.gatherUsageStats", "false"]
    server = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):  # wait for the health endpoint, not a fixed sleep
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.25)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextmanager
def browser_page() -> Iterator[Page]:
    """A page of headless Chromium (Debian's), closed with its browser afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_draws_its_charts_in_a_real_browser(app_url, lang):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with browser_page() as page:
        for path, query, charts in PAGES:
            page.goto(f"{app_url}/{path}?lang={lang}&{query}", wait_until="networkidle")
            page.wait_for_selector(CHART if charts else TABLE, timeout=60_000)
            page.wait_for_function(
                "n => document.querySelectorAll("
                "'[data-testid=\"stPlotlyChart\"] .main-svg').length >= n",
                arg=charts,
                timeout=60_000,
            )
            assert page.query_selector('[data-testid="stException"]') is None, path
            name = path or "overview"
            page.screenshot(path=str(SHOTS / f"{name}-{lang}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_reports_tabs_compare_and_preview_draw_in_a_real_browser(app_url, lang):
    SHOTS.mkdir(parents=True, exist_ok=True)
    tabs = {"en": ("Compare", "Build a report"), "zh": ("对比", "自定义报告")}[lang]
    # the comparison draws a chart; the builder's preview (last complete week, empty in the
    # fixture) is checked in AppTest, here its form must come up with its save button
    ready = {"compare": CHART, "builder": '[data-testid="stButton"] button'}
    with browser_page() as page:
        # A fresh server serves a deep link as a bare page (no app.py, no sidebar) until
        # app.py has run once: open the app first, as the page test does.
        page.goto(f"{app_url}/?lang={lang}", wait_until="networkidle")
        page.wait_for_selector(CHART, timeout=60_000)
        page.goto(f"{app_url}/reports?lang={lang}", wait_until="networkidle")
        page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
        for name, tab in zip(("compare", "builder"), tabs, strict=True):
            page.get_by_role("tab", name=tab).click()
            panel = page.get_by_role("tabpanel", name=tab)
            panel.locator(ready[name]).first.wait_for(state="visible", timeout=60_000)
            assert page.query_selector('[data-testid="stException"]') is None, name
            page.screenshot(path=str(SHOTS / f"reports-{name}-{lang}.png"), full_page=True)


def test_the_toolbar_is_a_viewers_no_deploy_button_no_developer_items(app_url):
    """dashboards/.streamlit/config.toml sets `client.toolbarMode = "viewer"` for every launch;
    without it Streamlit shows Deploy, Rerun and Clear cache to anyone on localhost."""
    with browser_page() as page:
        page.goto(f"{app_url}/?lang=en", wait_until="networkidle")
        page.wait_for_selector(CHART, timeout=60_000)
        page.get_by_test_id("stMainMenu").click()  # the toolbar is drawn: its menu opens
        menu = page.get_by_test_id("stMainMenuList")
        menu.wait_for(state="visible", timeout=30_000)
        assert "Print" in menu.inner_text()
        assert page.query_selector('[data-testid="stAppDeployButton"]') is None
        assert page.get_by_text("Deploy", exact=True).count() == 0
        assert "Clear cache" not in menu.inner_text()
        assert "Rerun" not in menu.inner_text()
