"""The playground in a real browser: `python -m bot playground` as a user starts it, its page driven by
Selenium in Debian's headless Chromium. A member buys coins and sends a gift to a live creator; the
shout-out shows in #alerts and on the creator's overlay beside the channel, the receipt shows the new
balance; another person cannot see that receipt."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

from tests.support.playground_process import playground_process  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WAIT_S = 20

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them as root)",
)


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[str]:
    """The playground's address, from `python -m bot playground` started as a user would."""
    with playground_process(tmp_path, "--database", str(tmp_path / "play.db")) as process:
        yield process.address
        assert process.stop() == 0


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    def __init__(self, driver: WebDriver) -> None:
        self.driver = driver

    def wait(self, condition, what: str):  # type: ignore[no-untyped-def]
        return WebDriverWait(self.driver, WAIT_S, ignored_exceptions=[StaleElementReferenceException]).until(
            lambda _d: condition(), message=f"timed out waiting for {what}"
        )

    def be(self, name: str) -> None:
        person = self.wait(lambda: self._option("#person", name), f"{name} in the people list")
        Select(self.driver.find_element(By.ID, "person")).select_by_value(person)
        self.wait(lambda: name in self.driver.find_element(By.ID, "person-label").text, f"acting as {name}")

    def _option(self, select_css: str, text_part: str) -> str | None:
        for option in self.driver.find_elements(By.CSS_SELECTOR, f"{select_css} option"):
            if text_part in option.text:
                return option.get_attribute("value")
        return None

    def tab(self, label: str) -> None:
        self.wait(lambda: self._tab(label), f"the {label} tab")

    def _tab(self, label: str) -> bool:
        for tab in self.driver.find_elements(By.CSS_SELECTOR, "#tabs button"):
            if tab.text.startswith(label):
                tab.click()
                return True
        return False

    def command(self, path: str, **values: str) -> None:
        """Fill the form of /path; a value "pick:TEXT" chooses the autocomplete suggestion showing TEXT."""
        Select(self.driver.find_element(By.ID, "command")).select_by_value(path)
        for name, value in values.items():
            field = self.wait(lambda name=name: self._field(name), f"the {name} field")
            if field.tag_name == "select":
                Select(field).select_by_visible_text(value)
            elif value.startswith("pick:"):
                field.clear()
                field.send_keys(value[5:9])
                self.wait(lambda name=name, value=value: self._pick(name, value[5:]), f"a {value} suggestion")
            else:
                field.clear()
                field.send_keys(value)
        self.driver.find_element(By.ID, "run").click()

    def _field(self, name: str):  # type: ignore[no-untyped-def]
        fields = self.driver.find_elements(By.CSS_SELECTOR, f'#options [data-name="{name}"]')
        return fields[0] if fields else None

    def _pick(self, name: str, text: str) -> bool:
        for suggestion in self.driver.find_elements(By.CSS_SELECTOR, f"#suggestions-{name} button"):
            if text in suggestion.text:
                suggestion.click()
                return True
        return False

    def messages(self) -> list[str]:
        return [m.text for m in self.driver.find_elements(By.CSS_SELECTOR, "#feed .message")]

    def message_with(self, *parts: str) -> str:
        return self.wait(
            lambda: next((m for m in self.messages() if all(p in m for p in parts)), None),
            f"a message with {parts}",
        )

    def press(self, label: str, in_message_with: str) -> None:
        def find() -> bool:
            for message in self.driver.find_elements(By.CSS_SELECTOR, "#feed .message"):
                if in_message_with in message.text:
                    for button in message.find_elements(By.CSS_SELECTOR, ".buttons button"):
                        if label in button.text and button.is_enabled():
                            button.click()
                            return True
            return False

        self.wait(find, f"the {label} button")

    def error(self) -> str:
        return self.driver.find_element(By.ID, "error").text


def test_a_member_buys_coins_and_gifts_a_live_creator_in_the_browser(playground, browser):
    browser.get(playground)
    page = Page(browser)
    assert "no money moves" in browser.find_element(By.ID, "simulation-notice").text
    page.wait(lambda: page._option("#command", "/gift send"), "the registered commands")

    page.be("Cara")
    page.tab("#general")
    page.command("live start", title="Karaoke night")
    page.message_with("live")

    page.be("Ana")
    page.command("coins buy", package="pick:700")
    page.press("Get test coins", "700")
    page.message_with("Test coins added")

    page.command("gift send", gift="pick:Rose", creator="Cara", count="5")
    receipt = page.message_with("Gift sent")
    assert "Only you can see this" in receipt
    assert "695" in receipt, receipt  # 700 coins bought, 5 Roses at 1 coin: the new balance
    assert page.error() == ""

    overlay = browser.find_element(By.ID, "overlay-frame")  # Cara's alert box, beside the channel
    assert "/o/" in (overlay.get_attribute("src") or "")
    browser.switch_to.frame(overlay)
    page.wait(lambda: "Ana" in browser.find_element(By.TAG_NAME, "body").text, "the gift on Cara's overlay")
    browser.switch_to.default_content()

    page.tab("#alerts")
    page.message_with("@Ana sent", "Rose", "×5")

    page.be("Ben")
    page.tab("#general")
    page.command("wallet balance")
    own = page.message_with("in answer to Ben")
    assert "Only you can see this" in own
    assert not any("Gift sent" in m or "Test coins added" in m for m in page.messages())
    page.tab("#alerts")
    page.message_with("@Ana sent", "Rose")  # the shout-out is public
