"""The sandbox page in a real headless browser (Debian's Chromium, driven by Selenium through
Debian's chromedriver): the fixtures (``sandbox``: ``python -m watchstander_sandbox`` as
``make run`` starts it; ``browser``: the driver), registered by tests/conftest.py
(``pytest_plugins``), and `Page`, what a test does on the page."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from watchstander_sandbox.bot_process import PROXIES, ROOT, free_port

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


class Page:
    """The sandbox page in ``driver``: waiting on what it shows (a bound that fails loudly,
    with a screenshot in ``shots``), finding, choosing who you are."""

    def __init__(self, driver: Any, shots: Path) -> None:
        self.driver, self.shots = driver, shots

    def until(self, what: str, check: Callable[[], Any]) -> Any:
        """``check()`` once it is true. Stale or not there yet: the page re-renders as events
        arrive, so errors are retried."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        waiting = WebDriverWait(
            self.driver, WAIT, poll_frequency=0.2, ignored_exceptions=[Exception]
        )
        try:
            return waiting.until(lambda _: check())
        except TimeoutException:
            self.driver.save_screenshot(str(self.shots / "failed.png"))
            raise AssertionError(
                f"{what}: not seen in {WAIT} s (screenshot {self.shots})"
            ) from None

    def find(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, css))

    def be(self, person: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        picker = Select(self.driver.find_element(By.CSS_SELECTOR, '[data-testid="who"]'))
        picker.select_by_value(person)

    def message_with(self, text: str, css: str = '[data-testid="message"]') -> Any:
        return next((m for m in self.find(css) if text in m.text), None)

    def said_in_thread(self, words: str) -> bool:
        return any(words in m.text for m in self.find(THREAD_MESSAGES))

    def composer(self, css: str = '[data-testid="composer"]') -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)


THREAD_MESSAGES = '[data-testid="thread"] [data-testid="thread-message"]'
