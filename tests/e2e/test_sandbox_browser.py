"""`make run` without Slack tokens, in a real headless browser (Debian's Chromium, driven by
Selenium through Debian's chromedriver): post a question tagging @oncall, see the bot answer in
the thread; claim it with 👀 as someone else and see the claim confirmed; post an @devs
emergency and see the trigger reach the PagerDuty panel. A screenshot is kept with the test's
output (``--basetemp`` to keep it somewhere)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from watchstander_sandbox.bot_process import PROXIES, ROOT, free_port

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
WAIT = 45.0


def needs_browser() -> None:
    if not CHROMIUM or not DRIVER:
        pytest.skip(
            "no Chromium: `make test` installs Debian's chromium and chromium-driver where it "
            "may (root with apt-get); elsewhere install them to run this test"
        )


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[str]:
    """`python -m watchstander_sandbox`, as `make run` starts it without Slack tokens."""
    needs_browser()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in PROXIES}
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "WATCHSTANDER_DATABASE_URL"):
        env.pop(name, None)
    env.update(WATCHSTANDER_DATA_DIR=str(tmp_path / "data"), WATCHSTANDER_SANDBOX_PORT=str(port))
    process = subprocess.Popen(
        [sys.executable, "-m", "watchstander_sandbox"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines: list[str] = []
    connected = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            lines.append(raw.decode(errors="replace"))
            if "The bot is connected" in lines[-1]:
                connected.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert connected.wait(120), "".join(lines)
        assert lines[0].startswith(f"Watchstander sandbox: open http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(10)
        assert not reader.is_alive(), "the sandbox's output was not closed"
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    needs_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1400,900", "--disable-gpu"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(DRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def test_the_whole_mission_in_a_browser(sandbox: str, browser: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver = browser

    def until(what: str, check: Callable[[], Any]) -> Any:
        # stale or not there yet: the page re-renders as events arrive, so errors are retried
        waiting = WebDriverWait(driver, WAIT, poll_frequency=0.2, ignored_exceptions=[Exception])
        try:
            return waiting.until(lambda _: check())
        except TimeoutException:
            driver.save_screenshot(str(tmp_path / "failed.png"))
            raise AssertionError(f"{what}: not seen in {WAIT} s (screenshot {tmp_path})") from None

    def find(css: str) -> list[Any]:
        return list(driver.find_elements(By.CSS_SELECTOR, css))

    def be(person: str) -> None:
        picker = Select(driver.find_element(By.CSS_SELECTOR, '[data-testid="who"]'))
        picker.select_by_value(person)

    def message_with(text: str) -> Any:
        return next((m for m in find('[data-testid="message"]') if text in m.text), None)

    driver.get(sandbox)
    until("the sample week", lambda: len(find('[data-testid="message"]')) >= 10)
    # The sample week is past: its posts say their day ("Tue 14:05") or date ("16 Nov 14:05").
    first = find('[data-testid="message"] .msg-head time')[0].text
    assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun|\d{1,2} [A-Z][a-z]{2}) \d\d:\d\d", first)
    who = [o.text for o in find('[data-testid="who"] option')]
    assert "alice (on call)" in who, who  # as the bot's calendar feed says: alice, first
    be("U0CAROL")
    composer = driver.find_element(By.CSS_SELECTOR, '[data-testid="composer"]')
    composer.send_keys("@oncall the billing page shows a blank total", Keys.ENTER)
    root = until("the new post", lambda: message_with("blank total"))
    ts = root.get_attribute("data-ts")

    def click(what: str, css: str) -> None:  # the page re-renders as events arrive: retry
        until(
            what,
            lambda: message_with("blank total").find_element(By.CSS_SELECTOR, css).click() or True,
        )

    click("the thread opened", '[data-testid="open-thread"]')
    thread_selector = '[data-testid="thread"] [data-testid="thread-message"]'

    def said_in_thread(words: str) -> object:
        return any(words in m.text for m in find(thread_selector))

    until("the bot's answer in the thread", lambda: said_in_thread("Urgent"))

    be("U0DAVE")

    def add_eyes() -> bool:  # open the menu if it is not open (a re-render closes it)
        options = [
            o
            for o in find('[data-testid="reaction-option"]')
            if o.get_attribute("data-name") == "eyes" and o.is_displayed()
        ]
        if not options:
            click("the reaction menu opened", '[data-testid="add-reaction"]')
            return False
        options[0].click()
        return True

    until("👀 added", add_eyes)
    until("the claim confirmed", lambda: said_in_thread("has this"))

    be("U0CAROL")
    composer = driver.find_element(By.CSS_SELECTOR, '[data-testid="composer"]')
    composer.send_keys("@devs payments fail for every customer", Keys.ENTER)
    until(
        "the trigger in the PagerDuty panel",
        lambda: [
            e
            for e in find('[data-testid="pagerduty"] [data-testid="pd-event"]')
            if e.get_attribute("data-action") == "trigger"
        ],
    )
    shot = tmp_path / "sandbox.png"
    driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    state = json.load(urllib.request.urlopen(sandbox + "api/state", timeout=10))
    thread = next(m for m in state["messages"] if m["ts"] == ts)
    assert any(r["name"] == "eyes" and "U0DAVE" in r["users"] for r in thread["reactions"])
    assert [e["action"] for e in state["pagerduty"]].count("trigger") == 1
