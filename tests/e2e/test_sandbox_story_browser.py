"""The Ask for help form in a real headless browser, with the real bot (``make run``): open
it from the app's shortcut, type a summary, see an earlier resolved thread of the sample week
suggested while typing, choose the level, submit, and see the question posted in #support
for that person; the Home tab shows what the app published for the person."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_helpers import Page

from watchstander_sandbox.web_forms import app_features

pytestmark = pytest.mark.e2e
ERIN = "U0ERIN"


def offered(callback_id: str) -> bool:
    return any(s["callback_id"] == callback_id for s in app_features()["shortcuts"])


def test_ask_for_help_suggests_an_earlier_thread_and_posts_the_question(
    sandbox: str, browser: Any, tmp_path: Path
) -> None:
    if not offered("ws_ask"):
        pytest.skip("the app declares no Ask for help shortcut (issue 14's form not here)")
    driver, page = browser, Page(browser, tmp_path)
    driver.get(sandbox)
    page.until("the sample week", lambda: len(page.find('[data-testid="message"]')) >= 10)
    page.be(ERIN)
    page.until(
        "the form opened",
        lambda: page.find('[data-testid="shortcut"][data-callback="ws_ask"]')[0].click() or True,
    )
    modal = page.until("the modal", lambda: next(iter(page.find(".modal")), None))
    page.until("the modal shown", modal.is_displayed)
    summary = page.until("the summary's input", lambda: page.find("#f-summary")[0])
    summary.send_keys("the CSV export times out for a big customer")
    page.until("a suggestion", lambda: "may answer it" in page.find(".modal")[0].text)
    driver.save_screenshot(str(tmp_path / "help-form.png"))
    assert page.find("#f-summary")[0].get_attribute("value").endswith("a big customer")
    page.find('[data-testid="field-radio"][value="question"]')[0].click()
    page.find('[data-testid="modal-submit"]')[0].click()
    page.until("the form closed", lambda: not page.find(".modal")[0].is_displayed())
    posted = page.until(
        "the question in #support",
        lambda: page.message_with("a big customer"),
    )
    assert "Asked by @erin" in posted.text


def test_the_home_tab_shows_what_the_app_published(
    sandbox: str, browser: Any, tmp_path: Path
) -> None:
    if not app_features()["home_tab"]:
        pytest.skip("the app has no Home tab (issue 14's Home not here)")
    driver, page = browser, Page(browser, tmp_path)
    driver.get(sandbox)
    page.until("the page", lambda: len(page.find('[data-testid="message"]')) >= 10)
    page.be(ERIN)
    page.until("Home opened", lambda: page.find('[data-testid="home-tab"]')[0].click() or True)
    page.until("the Home published", lambda: page.find('[data-testid="home"] .blocks'))
    home = page.find('[data-testid="home"]')[0]
    assert home.is_displayed()
    assert not page.find('[data-testid="composer"]')[0].is_displayed()
    driver.save_screenshot(str(tmp_path / "home.png"))
