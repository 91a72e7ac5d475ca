"""The bot's buttons, menus and ephemeral messages on the sandbox page, in a real headless
browser: the page draws a message's blocks (escaped: hostile text in a section or a button
label stays text), a click or a choice sends Slack's ``block_actions`` for the person the
page acts as, an ephemeral message shows to its person alone, marked so, until dismissed.
With the real bot (``make run``): Claim, then a check-in from the menu, change the thread;
a second Claim by someone else is answered to that person alone."""

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


def test_claim_a_checkin_and_a_refusal_in_a_browser(
    sandbox: str, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    driver, page = browser, Page(browser, tmp_path)
    driver.get(sandbox)
    page.until("the sample week", lambda: len(page.find('[data-testid="message"]')) >= 10)
    page.be(CAROL)
    page.composer().send_keys("@oncall the invoice totals are off by a cent", Keys.ENTER)
    page.until(
        "the thread opened",
        lambda: (
            page.message_with("off by a cent")
            .find_element(By.CSS_SELECTOR, '[data-testid="open-thread"]')
            .click()
            or True
        ),
    )
    controls = f'{THREAD_MESSAGES} [data-testid="bk-actions"]'
    page.until("the bot's controls in the thread", lambda: page.find(controls))

    def press(label: str) -> bool:  # the page re-renders as events arrive: find it again
        button = next(b for b in page.find(f"{controls} button") if b.text == label)
        button.click()
        return True

    page.be(DAVE)
    page.until("Claim pressed", lambda: press("Claim"))
    page.until("the claim confirmed", lambda: page.said_in_thread("has this"))

    def choose(value: str) -> bool:
        Select(page.find(f'{controls} [data-testid="bk-select"]')[0]).select_by_value(value)
        return True

    page.until("a check-in chosen", lambda: choose("2h"))
    page.until("the check-in noted", lambda: page.said_in_thread("Noted"))

    page.be(ERIN)
    page.until("Erin's Claim pressed", lambda: press("Claim"))
    mine = f"{THREAD_MESSAGES}[data-ephemeral='true']"
    refusal = page.until("the refusal, to Erin alone", lambda: page.find(mine)[0])
    assert "has this thread" in refusal.text
    assert "Only visible to you" in refusal.text
    page.be(DAVE)
    page.until("Dave does not see Erin's refusal", lambda: page.find(mine) == [])
    driver.save_screenshot(str(tmp_path / "controls.png"))
