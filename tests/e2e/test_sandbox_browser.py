"""`make run` without Slack tokens, in a real headless browser (Debian's Chromium, driven by
Selenium through Debian's chromedriver): post a question tagging @oncall, see the bot answer in
the thread; claim it with 👀 as someone else and see the claim confirmed; post an @devs
emergency and see the trigger reach the PagerDuty panel. A screenshot is kept with the test's
output (``--basetemp`` to keep it somewhere)."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import Page

pytestmark = pytest.mark.e2e


def test_the_whole_mission_in_a_browser(sandbox: str, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver, page = browser, Page(browser, tmp_path)
    until, find, be, message_with = page.until, page.find, page.be, page.message_with

    driver.get(sandbox)
    until("the sample week", lambda: len(find('[data-testid="message"]')) >= 10)
    # The sample week is past: its posts say their day ("Tue 14:05") or date ("16 Nov 14:05").
    first = find('[data-testid="message"] .msg-head time')[0].text
    assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun|\d{1,2} [A-Z][a-z]{2}) \d\d:\d\d", first)
    who = [o.text for o in find('[data-testid="who"] option')]
    assert "alice (on call)" in who, who  # as the bot's calendar feed says: alice, first
    be("U0CAROL")
    page.composer().send_keys("@oncall the billing page shows a blank total", Keys.ENTER)
    root = until("the new post", lambda: message_with("blank total"))
    ts = root.get_attribute("data-ts")

    def click(what: str, css: str) -> None:  # the page re-renders as events arrive: retry
        until(
            what,
            lambda: message_with("blank total").find_element(By.CSS_SELECTOR, css).click() or True,
        )

    click("the thread opened", '[data-testid="open-thread"]')
    said_in_thread = page.said_in_thread
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
    page.composer().send_keys("@devs payments fail for every customer", Keys.ENTER)
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
