"""The alert box in a real browser: headless Chromium (Debian's `chromium` + `chromium-driver`, driven with
Selenium) opens a creator's overlay, a gift sent through the service shows up in the page's DOM, a dropped
connection resumes with only the missed alert, and the page paints no background."""

from __future__ import annotations

import asyncio
import io
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.factories import GUILD, fund, send_gift
from tests.support.overlay import overlay_server

CLEO = 201
ANA = 101
SHOWS_WITHIN_S = 2.0
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1920,1080",
    "--hide-scrollbars",
    "--autoplay-policy=no-user-gesture-required",
)
# Every alert element the page ever adds, recorded by a MutationObserver (the page removes them later).
RECORD_ALERTS = """
window.recorded = [];
new MutationObserver(function (changes) {
  for (const change of changes) {
    for (const node of change.addedNodes) {
      if (node.dataset && node.dataset.alertId) {
        window.recorded.push({id: Number(node.dataset.alertId), text: node.textContent});
      }
    }
  }
}).observe(document.getElementById("stage"), {childList: true});
"""


def _browser_or_skip() -> Any:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (.ci/run installs them with apt-get)"
        )
    profile = tempfile.mkdtemp(prefix="overlay-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    try:
        return webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    except Exception as error:  # e.g. a sandbox or display problem of this machine
        pytest.skip(f"headless chromium does not start here: {str(error).splitlines()[0]}")


@pytest.fixture
async def browser():
    driver = await asyncio.to_thread(_browser_or_skip)
    yield driver
    await asyncio.to_thread(driver.quit)


async def in_browser(browser: Any, script: str, *args: Any) -> Any:
    return await asyncio.to_thread(browser.execute_script, script, *args)


async def wait_for(check: Callable[[], Any], timeout: float) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            return result
        await asyncio.sleep(0.05)


async def test_gifts_appear_in_the_browser_and_a_dropped_connection_resumes_without_doubles(
    services, browser
):
    await services.creators.register(GUILD, CLEO)
    await fund(services, ANA, 10_000)
    await services.overlay.update_settings(GUILD, CLEO, duration_s=2)
    services.overlay.names = lambda guild, user: {ANA: "Ana <b>bold</b>"}.get(user)
    async with overlay_server(services) as server:
        url = services.overlay.url_of(await services.overlay.secret(GUILD, CLEO))
        await asyncio.to_thread(browser.get, url)
        opened = await wait_for(
            lambda: in_browser(browser, "return document.documentElement.dataset.stream"), 10
        )
        assert opened == "open"
        await in_browser(browser, RECORD_ALERTS)

        first = await send_gift(services, ANA, CLEO, "Rose", 3, message="<img src=x onerror=alert(1)>")
        shown = await wait_for(lambda: in_browser(browser, "return window.recorded"), SHOWS_WITHIN_S)
        assert shown, f"the alert was not in the DOM within {SHOWS_WITHIN_S} s"
        assert (
            "Ana <b>bold</b>" in shown[0]["text"] and "Rose" in shown[0]["text"] and "×3" in shown[0]["text"]
        )
        assert "<img src=x onerror=alert(1)>" in shown[0]["text"]  # shown as text …
        assert (
            await in_browser(browser, "return document.querySelectorAll('#stage img, #stage b').length") == 0
        )

        png = await asyncio.to_thread(_transparent_screenshot, browser)

        server.drop_connections((GUILD, CLEO))
        missed = await send_gift(services, ANA, CLEO, "Perfume")  # while the page reconnects
        recorded = await wait_for(
            lambda: in_browser(browser, "return window.recorded.length > 1 ? window.recorded : null"), 15
        )
        assert recorded, "the missed alert never appeared after the reconnection"
        await asyncio.sleep(1.0)  # a doubled alert would arrive now
        recorded = await in_browser(browser, "return window.recorded")

    ids = [item["id"] for item in recorded]
    assert len(ids) == len(set(ids)) == 2
    assert "Perfume" in recorded[1]["text"] and "Rose" not in recorded[1]["text"]
    assert first.entry_id != missed.entry_id
    _assert_transparent_corners(png)


def _transparent_screenshot(browser: Any) -> bytes:
    # OBS composites the page over the stream: what the page does not paint must stay transparent.
    browser.execute_cdp_cmd(
        "Emulation.setDefaultBackgroundColorOverride", {"color": {"r": 0, "g": 0, "b": 0, "a": 0}}
    )
    return browser.get_screenshot_as_png()


def _assert_transparent_corners(png: bytes) -> None:
    from matplotlib import image

    pixels = image.imread(io.BytesIO(png), format="png")
    height, width = pixels.shape[:2]
    assert pixels.shape[2] == 4, "the screenshot has no alpha channel"
    for y, x in ((0, 0), (height - 1, 0), (0, width - 1), (height - 1, width - 1), (height - 5, width // 2)):
        assert pixels[y, x, 3] == 0, f"pixel ({x}, {y}) is not transparent: {pixels[y, x]}"
    assert pixels[:, :, 3].max() > 0, "the alert itself should be visible"
