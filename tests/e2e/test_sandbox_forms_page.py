"""The sandbox page's modal and shortcuts in a real headless browser, over the real local
Slack server with a small app on it (`form_app.FormApp`, through slack_sdk's Socket Mode
client; no bot): the page draws the view's inputs (escaped: hostile labels stay text), sends
what is typed into an input that dispatches actions, keeps the text typed while the app
updates the view, shows errors by field (Slack client's own, then the app's), and submits
and cancels as the person it acts as."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import Page, needs_browser
from form_app import SAY_MORE, FormApp, values_of

from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack
from watchstander_sandbox.web_ui import SandboxPage

pytestmark = pytest.mark.e2e
CAROL, DAVE = "U0CAROL", "U0DAVE"
HOSTILE = '<img src=x onerror="window.pwned=1"><b>bold</b>'


@pytest.fixture
def app(slack: LocalSlack) -> Iterator[FormApp]:
    with FormApp(slack, HOSTILE) as connected:
        yield connected


@pytest.fixture
def page(slack: LocalSlack, app: FormApp) -> Iterator[SandboxPage]:
    needs_browser()
    pagerduty, github = LocalPagerDuty().start(), LocalGitHub().start()
    served = SandboxPage(slack, pagerduty, github, port=0).start()
    yield served
    served.stop()
    pagerduty.stop()
    github.stop()


def test_the_modal_draws_types_keeps_errors_by_field_and_submits(
    page: SandboxPage, slack: LocalSlack, app: FormApp, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    driver, shown = browser, Page(browser, tmp_path)
    driver.get(page.url)
    shown.be(CAROL)
    shown.until("the shortcut", lambda: shown.find('[data-testid="shortcut"]')[0].click() or True)
    modal = shown.until(
        "the modal", lambda: next((m for m in shown.find(".modal") if m.is_displayed()), None)
    )
    assert "Ask for help" in modal.text
    assert HOSTILE in modal.text  # labels, descriptions and mrkdwn: text, never markup
    assert driver.find_elements(By.CSS_SELECTOR, ".modal :is(img, b)") == []

    summary = shown.find("#f-ws_summary")[0]
    summary.send_keys("the CSV export")
    shown.until("the suggestion", lambda: "Like it:" in shown.find(".modal")[0].text)
    summary.send_keys(" is slow")  # the same element: the text typed before stays
    assert shown.find("#f-ws_summary")[0].get_attribute("value") == "the CSV export is slow"
    shown.until(  # found again: the page may have drawn the modal anew meanwhile
        "the update", lambda: "Like it: the CSV export is slow" in shown.find(".modal")[0].text
    )
    assert driver.execute_script("return window.pwned === undefined")
    driver.save_screenshot(str(tmp_path / "modal.png"))

    shown.find('[data-testid="modal-submit"]')[0].click()  # no level chosen: said by the page
    level = shown.until(
        "the level's error",
        lambda: shown.find('.field[data-block="ws_level"] [data-testid="field-error"]')[0],
    )
    assert level.text == "Please fill out this field."
    assert app.sent("view_submission") == []
    shown.find('[data-testid="field-radio"][value="urgent"]')[0].click()
    shown.find('[data-testid="modal-submit"]')[0].click()  # the app's errors, by field
    error = '.field[data-block="ws_summary"] [data-testid="field-error"]'
    shown.until("the app's error", lambda: shown.find(error)[0].text == SAY_MORE)
    summary = shown.find("#f-ws_summary")[0]
    summary.send_keys(", the page is blank")
    shown.find('[data-testid="modal-submit"]')[0].click()
    shown.until("the modal closed", lambda: not shown.find(".modal")[0].is_displayed())
    first, taken = app.sent("view_submission")
    assert dict(values_of(first["view"]))["ws_summary"] == "the CSV export is slow"
    assert dict(values_of(taken["view"])) == {
        "ws_summary": "the CSV export is slow, the page is blank",
        "ws_happened": None,
        "ws_level": "urgent",
    }
    assert taken["user"]["id"] == CAROL
    assert slack.views(CAROL) == []

    shown.be(DAVE)  # Dave's own modal; then Cancel
    shown.find('[data-testid="shortcut"]')[0].click()
    shown.until("Dave's modal", lambda: shown.find(".modal")[0].is_displayed())
    shown.find('[data-testid="modal-cancel"]')[0].click()
    shown.until("closed", lambda: not shown.find(".modal")[0].is_displayed())
    assert [p["user"]["id"] for p in app.sent("shortcut")] == [CAROL, DAVE]
    # the page closes the modal at once; Slack tells the app a moment later
    shown.until("the app told of the closing", lambda: app.sent("view_closed"))
    (closed,) = app.sent("view_closed")
    assert closed["user"]["id"] == DAVE
    assert slack.views(DAVE) == []
