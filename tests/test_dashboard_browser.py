"""The dashboard in a real headless Chromium at a phone's size (360 px wide), opened as
Telegram opens a Mini App: initData and theme in the address's #fragment.

Debian's `chromium` and `chromium-driver` packages drive it through Selenium (no browser is
downloaded); `make browser`, `.ci/run` and the Dockerfile's test stage install them. A
screenshot of each page is written to $SCREENSHOTS_DIR (default: the temp folder's
scorebot-dashboard/). Every request the browser makes is read from its network log: none may
leave the bot's own server, and the first page weighs under 150 KB.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.clock import FakeClock
from storage.models import Stall, StallStatus
from tests.fakes.harness import BotUnderTest
from tests.fakes.webapp import DashboardServer, free_port, init_data
from tests.test_dashboard import MONDAY, alert_in_chat, enterprise_with_kpi, lively, world

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FIRST_PAGE_LIMIT = 150_000
THEME = {"bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499",
         "link_color": "#6ab3f3", "button_color": "#5288c1", "button_text_color": "#ffffff",
         "secondary_bg_color": "#232e3c"}

webdriver = pytest.importorskip("selenium.webdriver")
if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip("needs Debian's chromium and chromium-driver (make browser)",
                allow_module_level=True)

from PIL import Image  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# SCREENSHOTS_DIR=docs/screenshots writes the README's pictures; by default they go to a
# folder in the temp directory.
SHOTS = Path(os.environ.get("SCREENSHOTS_DIR")
             or Path(tempfile.gettempdir()) / "scorebot-dashboard")


@pytest.fixture(scope="module")
def chromium() -> Iterator[webdriver.Chrome]:
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                     "--window-size=360,800"):
        options.add_argument(argument)
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": 360, "height": 800, "pixelRatio": 2},
        "userAgent": "Mozilla/5.0 (Linux; Android 12; cheap phone) Telegram-Android"})
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


class Phone:
    """The browser, driven from the test's event loop (each call in a thread, so the bot's
    server in this loop can answer it)."""

    def __init__(self, driver: webdriver.Chrome, base: str) -> None:
        self.driver, self.base = driver, base
        driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        driver.get_log("performance")  # forget what earlier tests loaded

    async def run(self, function, *args):  # type: ignore[no-untyped-def]
        return await asyncio.to_thread(function, *args)

    async def open_mini_app(self, data: str) -> None:
        fragment = (f"tgWebAppData={quote(data, safe='')}&tgWebAppVersion=8.0"
                    f"&tgWebAppThemeParams={quote(json.dumps(THEME), safe='')}")
        await self.run(self.driver.get, "about:blank")  # a new page, not a new #fragment
        await self.run(self.driver.get, f"{self.base}/dashboard/app#{fragment}")

    async def wait(self, condition) -> None:  # type: ignore[no-untyped-def]
        await self.run(WebDriverWait(self.driver, 30).until, condition)

    async def shot(self, name: str) -> Path:
        """The whole page, however long, 360 px wide, as a small PNG (a palette of 64
        colours: a page is text on flat colours)."""
        path = SHOTS / f"{name}.png"
        height = await self.run(self.driver.execute_script,
                                "return document.documentElement.scrollHeight")
        await self.run(self.driver.execute_cdp_cmd, "Emulation.setDeviceMetricsOverride",
                       {"width": 360, "height": max(640, height), "deviceScaleFactor": 1,
                        "mobile": True})
        await self.run(self.driver.save_screenshot, str(path))
        await self.run(self.driver.execute_cdp_cmd, "Emulation.clearDeviceMetricsOverride", {})
        with Image.open(path) as taken:
            small = taken.convert("RGB").quantize(colors=64)
        small.save(path, optimize=True)
        return path

    async def requests(self) -> list[tuple[str, int]]:
        """Every URL the browser asked for since the last call, with the bytes received."""
        return [(url, size) for url, size, _status in await self.responses()]

    async def responses(self) -> list[tuple[str, int, int]]:
        """Every URL the browser asked for since the last call, with the bytes received and
        the HTTP status (0 when no answer came)."""
        entries = await self.run(self.driver.get_log, "performance")
        urls, sizes, statuses = {}, {}, {}
        for entry in entries:
            message = json.loads(entry["message"])["message"]
            params = message.get("params", {})
            if message["method"] == "Network.requestWillBeSent":
                urls[params["requestId"]] = params["request"]["url"]
            elif message["method"] == "Network.responseReceived":
                statuses[params["requestId"]] = int(params["response"]["status"])
            elif message["method"] == "Network.loadingFinished":
                sizes[params["requestId"]] = int(params.get("encodedDataLength", 0))
        return [(url, sizes.get(request_id, 0), statuses.get(request_id, 0))
                for request_id, url in urls.items()]

    def texts(self, selector: str) -> list[str]:
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, selector)]

    async def click(self, selector: str) -> None:
        element = self.driver.find_element(By.CSS_SELECTOR, selector)
        await self.run(element.click)


def outside(requests: list[tuple[str, int]], base: str) -> list[str]:
    return [url for url, _size in requests
            if not url.startswith((base + "/", "data:", "about:"))]


async def test_a_consultant_follows_three_enterprises_and_snoozes_a_stall(database_url,
                                                                         chromium):
    port = free_port()
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY),
                            web_base_url=f"http://127.0.0.1:{port}") as tg:
        w = await world(tg)
        async with DashboardServer(tg, port) as server:
            phone = Phone(chromium, server.base)
            await phone.open_mini_app(init_data(w.nadia, tg.clock.now()))
            await phone.wait(lambda d: d.current_url == f"{server.base}/dashboard/")
            # Most troubled first, each with its colour and the reasons.
            assert [t.splitlines()[0] for t in phone.texts(".card[data-enterprise]")] == [
                "Accra Garments · red", "Tema Foods · amber",
                "Kumasi Metal Works · green"]
            assert "a stall has reached the consultant" in phone.texts(".card.red")[0]
            loaded = await phone.requests()
            assert outside(loaded, server.base) == []
            assert sum(size for _url, size in loaded) < FIRST_PAGE_LIMIT
            # Telegram's theme is applied, and nothing is wider than the phone.
            assert await phone.run(chromium.execute_script,
                                   "return getComputedStyle(document.body).backgroundColor"
                                   ) == "rgb(23, 33, 43)"
            assert await phone.run(chromium.execute_script,
                                   "return document.documentElement.scrollWidth") <= 360
            await phone.shot("1-enterprises")

            # Filtered by sector: only the garment factory.
            await phone.run(chromium.get, f"{server.base}/dashboard/?sector=Garments")
            assert len(phone.texts(".card[data-enterprise]")) == 1

            # One enterprise: its KPI chart, drawn as SVG with the weekly line, and its
            # figures (lessons, ideas, a self-check: see test_dashboard.lively).
            await lively(tg, w.green.id)
            await phone.run(chromium.get, f"{server.base}/dashboard/")
            await phone.click(f'.card[data-enterprise="{w.green.id}"] a')
            await phone.wait(lambda d: d.current_url.endswith(f"/dashboard/e/{w.green.id}"))
            charts = chromium.find_elements(By.CSS_SELECTOR, "figure.kpi svg.chart polyline")
            assert len(charts) == 1 and charts[0].is_displayed()
            assert "Defect rate" in phone.texts("figure.kpi h3")
            assert phone.texts("#funnel tr")[1] == "Came in 2 2"
            assert await phone.run(chromium.execute_script,
                                   "return document.documentElement.scrollWidth") <= 360
            await phone.shot("2-enterprise")

            # Everything stalled: Nadia snoozes the walkways from the page.
            await phone.click('nav a[href="/dashboard/stalls"]')
            await phone.wait(lambda d: d.current_url.endswith("/dashboard/stalls"))
            await phone.shot("3-stalled")
            await phone.click(f'#stall-{w.stall_id} button[value="snooze"]')
            await phone.wait(lambda d: "Snoozed for 7 days by Nadia" in d.page_source)
            await phone.shot("4-snoozed")
            assert outside(await phone.requests(), server.base) == []
        # The chat shows it snoozed too, and its buttons are gone.
        edited = alert_in_chat(tg, w.nadia)
        assert "Snoozed for 7 days by Nadia" in edited.text and edited.buttons == []
        async with tg.app.session_factory() as session:
            assert (await session.get(Stall, w.stall_id)).status is StallStatus.SNOOZED


async def test_a_manager_cannot_open_another_enterprise_by_its_address(database_url, chromium):
    port = free_port()
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY),
                            web_base_url=f"http://127.0.0.1:{port}") as tg:
        w = await world(tg)
        async with DashboardServer(tg, port) as server:
            phone = Phone(chromium, server.base)
            await phone.open_mini_app(init_data(w.kofi, tg.clock.now()))
            await phone.wait(lambda d: d.current_url == f"{server.base}/dashboard/")
            assert [t.splitlines()[0] for t in phone.texts(".card[data-enterprise]")] == [
                "Tema Foods · amber"]
            await phone.run(chromium.get, f"{server.base}/dashboard/e/{w.red.id}")
            assert "does not allow" in chromium.page_source
            assert "Accra Garments" not in chromium.page_source
            await phone.shot("5-another-enterprise-refused")


async def test_forged_or_expired_init_data_is_refused_in_the_browser(database_url, chromium,
                                                                    caplog):
    port = free_port()
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY),
                            web_base_url=f"http://127.0.0.1:{port}") as tg:
        w = await world(tg)
        async with DashboardServer(tg, port) as server:
            phone = Phone(chromium, server.base)
            for data in (init_data(w.nadia, tg.clock.now(), token="1:not-this-bot"),
                         init_data(w.nadia, tg.clock.now() - timedelta(hours=2))):
                await phone.open_mini_app(data)
                await phone.wait(lambda d: d.find_element(By.ID, "m").is_displayed())
                assert "/dashboard" in chromium.find_element(By.ID, "m").text
                assert [status for url, _size, status in await phone.responses()
                        if url == f"{server.base}/dashboard/auth"] == [401]
            refused = [r.getMessage() for r in caplog.records
                       if r.getMessage().startswith("dashboard: initData refused")]
            assert refused == ["dashboard: initData refused (initData is not signed with this "
                               "bot's token)", "dashboard: initData refused (initData is too old)"]
            await phone.shot("6-refused")
            await phone.run(chromium.get, f"{server.base}/dashboard/")
            assert "expired" in chromium.page_source  # no session was given


async def test_a_programme_administrator_sees_the_figures_by_group(database_url, chromium):
    port = free_port()
    async with BotUnderTest(database_url, clock=FakeClock(MONDAY), admin_ids=[4242],
                            web_base_url=f"http://127.0.0.1:{port}") as tg:
        await world(tg)
        for name in ("Takoradi Cocoa", "Tamale Shea"):
            await enterprise_with_kpi(tg, name)
        olu = tg.person("Olu", user_id=4242)  # in ADMIN_IDS, a member of no enterprise
        async with DashboardServer(tg, port) as server:
            phone = Phone(chromium, server.base)
            await phone.open_mini_app(init_data(olu, tg.clock.now()))
            await phone.wait(lambda d: d.current_url.endswith("/dashboard/programme"))
            (card,) = phone.texts(".card.programme")
            assert card.startswith("all sectors · Ghana\nEnterprises: 5")
            assert await phone.run(chromium.execute_script,
                                   "return document.documentElement.scrollWidth") <= 360
            assert outside(await phone.requests(), server.base) == []
            await phone.shot("7-programme")
