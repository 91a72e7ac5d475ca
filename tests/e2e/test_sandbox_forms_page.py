"""The sandbox page's modal, shortcuts and Home tab in a real headless browser, against a
local Slack whose modal part is a small stand-in (`Modals`: it opens, updates and closes one
view as the agreed names say, with no bot): the page draws the view's inputs (escaped:
hostile labels stay text), sends what is typed into an input that dispatches actions, keeps
the text typed while the view is updated, shows errors by field, and submits and cancels
as the person it acts as."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import Page, needs_browser

from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack
from watchstander_sandbox.web_ui import SandboxPage

pytestmark = pytest.mark.e2e
CAROL, DAVE = "U0CAROL", "U0DAVE"
HOSTILE = '<img src=x onerror="window.pwned=1"><b>bold</b>'


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


FORM: dict[str, Any] = {
    "id": "V0FORM",
    "type": "modal",
    "callback_id": "ws_help",
    "title": _plain("Ask for help"),
    "submit": _plain("Post question"),
    "close": _plain("Cancel"),
    "blocks": [
        {"type": "input", "block_id": "ws_summary", "dispatch_action": True,
         "label": _plain(f"What is wrong? {HOSTILE}"), "hint": _plain("A few words."),
         "element": {"type": "plain_text_input", "action_id": "ws_summary",
                     "dispatch_action_config": {"trigger_actions_on": ["on_character_entered"]}}},
        {"type": "input", "block_id": "ws_happened", "optional": True,
         "label": _plain("What happened instead?"),
         "element": {"type": "plain_text_input", "action_id": "ws_happened", "multiline": True}},
        {"type": "input", "block_id": "ws_level", "label": _plain("How urgent is it?"),
         "element": {"type": "radio_buttons", "action_id": "ws_level", "options": [
             {"text": _plain("General"), "value": "general",
              "description": _plain(f"Questions {HOSTILE}")},
             {"text": _plain("Urgent"), "value": "urgent"}]}},
        {"type": "context", "block_id": "ws_guide",
         "elements": [{"type": "mrkdwn", "text": f"*Urgent*: {HOSTILE}"}]},
    ],
}  # fmt: skip


class Modals(LocalSlack):
    """A local Slack with one modal, as the agreed names say (no bot: it answers itself)."""

    def __init__(self) -> None:
        super().__init__()
        self.open: dict[str, list[dict[str, Any]]] = {}
        self.said: list[tuple[Any, ...]] = []

    def _set(self, user: str, views: list[dict[str, Any]], *call: Any) -> None:
        with self._cond:
            self.said.append(call)
            self.open[user] = views
            self._changed()

    def shortcut(self, user: str, callback_id: str) -> str:
        self._set(user, [copy.deepcopy(FORM)], "shortcut", user, callback_id)
        return "E1"

    def views(self, user: str) -> list[dict[str, Any]]:
        with self._cond:
            return copy.deepcopy(self.open.get(user, []))

    def type_into(self, user: str, view_id: str, action_id: str, text: str) -> str:
        view = copy.deepcopy(FORM)  # views.update: a suggestion below the summary
        line = {"type": "section", "block_id": "ws_suggestions",
                "text": {"type": "mrkdwn", "text": f"*Like it:* {text} {HOSTILE}"}}  # fmt: skip
        view["blocks"].insert(1, line)
        self._set(user, [view], "type_into", user, view_id, action_id, text)
        return "E2"

    def submit(self, user: str, view_id: str, values: dict[str, str]) -> dict[str, Any]:
        if "blank" not in values.get("ws_summary", ""):
            self._set(user, self.views(user), "submit", values)
            return {"response_action": "errors", "errors": {"ws_summary": "Say more <b>x</b>"}}
        self._set(user, [], "submit", values)
        return {}

    def close_view(self, user: str, view_id: str) -> None:
        self._set(user, [], "close_view", user, view_id)


@pytest.fixture
def modals() -> Iterator[Modals]:
    server = Modals()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(modals: Modals) -> Iterator[SandboxPage]:
    needs_browser()
    pagerduty, github = LocalPagerDuty().start(), LocalGitHub().start()
    served = SandboxPage(modals, pagerduty, github, port=0)
    served.forms.features = {
        "shortcuts": [{"type": "global", "callback_id": "ws_ask", "name": "Ask for help"}],
        "commands": [{"command": "/support", "usage_hint": ""}],
        "home_tab": False,
    }
    served.start()
    yield served
    served.stop()
    pagerduty.stop()
    github.stop()


def test_the_modal_draws_types_keeps_errors_by_field_and_submits(
    page: SandboxPage, modals: Modals, browser: Any, tmp_path: Path
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
    shown.until("the update", lambda: "Like it: the CSV export is slow" in modal.text)
    assert driver.execute_script("return window.pwned === undefined")
    driver.save_screenshot(str(tmp_path / "modal.png"))

    shown.find('[data-testid="modal-submit"]')[0].click()  # no level chosen: said by the page
    level = shown.until(
        "the level's error",
        lambda: shown.find('.field[data-block="ws_level"] [data-testid="field-error"]')[0],
    )
    assert level.text == "Please fill out this field."
    assert not [c for c in modals.said if c[0] == "submit"]
    shown.find('[data-testid="field-radio"][value="urgent"]')[0].click()
    shown.find('[data-testid="modal-submit"]')[0].click()  # the app's errors, by field
    error = '.field[data-block="ws_summary"] [data-testid="field-error"]'
    shown.until("the app's error", lambda: shown.find(error)[0].text == "Say more <b>x</b>")
    summary = shown.find("#f-ws_summary")[0]
    summary.send_keys(", the page is blank")
    shown.find('[data-testid="modal-submit"]')[0].click()
    shown.until("the modal closed", lambda: not shown.find(".modal")[0].is_displayed())
    (sent,) = [c for c in modals.said if c[0] == "submit" and "blank" in c[1]["ws_summary"]]
    assert sent[1] == {
        "ws_summary": "the CSV export is slow, the page is blank",
        "ws_happened": "",
        "ws_level": "urgent",
    }

    shown.be(DAVE)  # Dave's own modal; then Cancel
    shown.find('[data-testid="shortcut"]')[0].click()
    shown.until("Dave's modal", lambda: shown.find(".modal")[0].is_displayed())
    shown.find('[data-testid="modal-cancel"]')[0].click()
    shown.until("closed", lambda: not shown.find(".modal")[0].is_displayed())
    assert ("close_view", DAVE, "V0FORM") in modals.said
    assert ("shortcut", DAVE, "ws_ask") in modals.said
