"""The bot's buttons, menus and ephemeral messages on the sandbox page, in a real headless
browser, over the local Slack server with no bot: the page draws a message's blocks (escaped:
hostile text in a section or a button label stays text), a click or a choice sends Slack's
``block_actions`` for the person the page acts as, an ephemeral message shows to its person
alone, marked so, until dismissed. The same with the real bot: test_sandbox_story_browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import THREAD_MESSAGES, Page, needs_browser
from slack_sdk import WebClient

from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack
from watchstander_sandbox.web_ui import SandboxPage

pytestmark = pytest.mark.e2e
SUPPORT, CAROL, DAVE, ERIN = "C0SUPPORT", "U0CAROL", "U0DAVE", "U0ERIN"
HOSTILE = '<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script> <!channel>'
LABEL = '<b onclick="window.pwned=3">Claim</b>'


@pytest.fixture
def page(slack: LocalSlack) -> Iterator[SandboxPage]:
    """The page over a local Slack with no bot: what it sends is seen in ``slack.envelopes``."""
    needs_browser()
    pagerduty, github = LocalPagerDuty().start(), LocalGitHub().start()
    served = SandboxPage(slack, pagerduty, github, port=0).start()
    yield served
    served.stop()
    pagerduty.stop()
    github.stop()


def pressed(slack: LocalSlack, user: str, action_id: str) -> list[dict[str, Any]]:
    return [
        e["payload"]
        for e in slack.envelopes
        if e["type"] == "interactive"
        and e["payload"]["user"]["id"] == user
        and e["payload"]["actions"][0]["action_id"] == action_id
    ]


def test_blocks_are_drawn_escaped_and_a_click_presses_as_you(
    page: SandboxPage, slack: LocalSlack, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    web = WebClient(token=slack.bot_token, base_url=slack.api_url)
    root = slack.post(CAROL, SUPPORT, "the billing page is blank")
    controls: list[dict[str, Any]] = [
        {"type": "button", "action_id": "ws_claim", "text": {"type": "plain_text", "text": LABEL},
         "value": "claim", "style": "primary"},
        {"type": "button", "action_id": "ws_resolve", "style": "danger",
         "text": {"type": "plain_text", "text": "Resolve"}, "value": "resolve"},
        {"type": "static_select", "action_id": "ws_checkin",
         "placeholder": {"type": "plain_text", "text": "Next check-in"},
         "options": [{"text": {"type": "plain_text", "text": HOSTILE}, "value": "15m"},
                     {"text": {"type": "plain_text", "text": "30 min"}, "value": "30m"}]},
    ]  # fmt: skip
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Urgent.* {HOSTILE}"}},
        {"type": "actions", "block_id": "ws_controls", "elements": controls},
    ]
    web.chat_postMessage(channel=SUPPORT, thread_ts=root, text="Urgent.", blocks=blocks)
    driver, shown = browser, Page(browser, tmp_path)
    driver.get(page.url)
    shown.be(DAVE)
    shown.until(
        "the thread opened",
        lambda: (
            shown.message_with("billing page")
            .find_element(By.CSS_SELECTOR, '[data-testid="open-thread"]')
            .click()
            or True
        ),
    )
    reply = shown.until(
        "the reply's blocks", lambda: shown.message_with("Urgent.", THREAD_MESSAGES)
    )
    section = reply.find_element(By.CSS_SELECTOR, ".bk-section").text
    assert HOSTILE.replace("<!channel>", "@channel") in section  # shown as text, not run
    buttons = reply.find_elements(By.CSS_SELECTOR, '[data-testid="bk-button"]')
    assert [b.text for b in buttons] == [LABEL, "Resolve"]
    assert [b.get_attribute("data-style") for b in buttons] == ["primary", "danger"]
    injected = "[data-testid='thread'] .blocks :is(img, script, b)"
    assert driver.find_elements(By.CSS_SELECTOR, injected) == []
    assert driver.execute_script("return window.pwned === undefined")

    buttons[0].click()
    assert slack.wait_for(lambda s: len(pressed(s, DAVE, "ws_claim")) == 1, 30), slack.envelopes
    menu = shown.until(
        "the menu", lambda: shown.find(f'{THREAD_MESSAGES} [data-testid="bk-select"]')[0]
    )
    Select(menu).select_by_value("30m")
    assert slack.wait_for(lambda s: len(pressed(s, DAVE, "ws_checkin")) == 1, 30)
    (chosen,) = pressed(slack, DAVE, "ws_checkin")
    assert chosen["actions"][0]["selected_option"]["value"] == "30m"
    assert pressed(slack, CAROL, "ws_claim") == []

    # an ephemeral answer: Dave's alone, in the thread, until he dismisses it
    web.chat_postEphemeral(channel=SUPPORT, user=DAVE, thread_ts=root, text=f"No: {HOSTILE}")
    only_dave = f"{THREAD_MESSAGES}[data-ephemeral='true']"
    note = shown.until("the ephemeral", lambda: shown.find(only_dave)[0])
    assert "Only visible to you" in note.text
    assert "No: <img" in note.text
    assert driver.execute_script("return window.pwned === undefined")
    shown.be(CAROL)
    shown.until("Carol does not see it", lambda: shown.find(only_dave) == [])
    shown.be(DAVE)
    shown.until("Dave sees it again", lambda: shown.find(only_dave))
    shown.until(
        "dismissed",
        lambda: shown.find(f'{only_dave} [data-testid="dismiss"]')[0].click() or True,
    )
    shown.until("the ephemeral gone", lambda: shown.find(only_dave) == [])
    assert slack.ephemerals(DAVE)  # put away on the page; Slack's record stays
