"""The sandbox page's endpoints for the bot's controls: a message's blocks reach the page
as the bot posted them; pressing a button or choosing an option sends Slack's
``block_actions`` envelope for the person the page acts as; an ephemeral message is in the
state of its person alone, until that person dismisses it; a request the page should not
have sent gets one clear line and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from page_helpers import call, served, state
from slack_sdk import WebClient

from watchstander.adapters.slack_blocks import blocks
from watchstander.services.controls import CHECKIN, CLAIM, THREAD_CONTROLS
from watchstander_sandbox.slack import LocalSlack
from watchstander_sandbox.web_ui import SandboxPage

SUPPORT, CAROL, DAVE = "C0SUPPORT", "U0CAROL", "U0DAVE"


@pytest.fixture
def page(slack: LocalSlack) -> Iterator[SandboxPage]:
    with served(slack) as shown:
        yield shown


def announce(slack: LocalSlack, web: WebClient) -> tuple[str, str]:
    """A question in #support and the bot's first reply in its thread, with its controls."""
    root = slack.post(CAROL, SUPPORT, "the billing page is blank")
    said = "*Urgent* <!channel> `<b>x</b>`"
    posted = web.chat_postMessage(
        channel=SUPPORT, thread_ts=root, text=said, blocks=blocks(said, THREAD_CONTROLS)
    )
    return root, str(posted["ts"])


def test_a_reply_with_controls_reaches_the_page_with_its_blocks(
    page: SandboxPage, slack: LocalSlack, web: WebClient
) -> None:
    root, reply = announce(slack, web)
    (question,) = state(page)["messages"]
    (shown,) = question["replies"]
    assert (shown["ts"], shown["thread_ts"]) == (reply, root)
    assert shown["blocks"] == slack.messages(SUPPORT, root)[0]["blocks"]  # drawn by the page
    assert question["blocks"] == []


def test_pressing_sends_the_envelope_for_the_person_the_page_acts_as(
    page: SandboxPage, slack: LocalSlack, web: WebClient
) -> None:
    _, reply = announce(slack, web)
    status, answer = call(page, "api/press", {"user": DAVE, "ts": reply, "action_id": CLAIM})
    assert status == 200
    (sent,) = [e for e in slack.envelopes if e["envelope_id"] == answer["envelope_id"]]
    assert (sent["type"], sent["payload"]["user"]["id"]) == ("interactive", DAVE)
    assert sent["payload"]["actions"][0]["action_id"] == CLAIM

    body = {"user": CAROL, "ts": reply, "action_id": CHECKIN, "value": "30m"}
    status, answer = call(page, "api/press", body)
    assert status == 200
    chosen = slack.envelopes[-1]["payload"]
    assert chosen["user"]["id"] == CAROL
    assert chosen["actions"][0]["selected_option"]["value"] == "30m"


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"user": "UNOBODY", "action_id": CLAIM}, "there is nobody called 'UNOBODY' here"),
        ({"user": "UBOT0001", "action_id": CLAIM}, "there is nobody called 'UBOT0001' here"),
        ({"user": DAVE, "action_id": ""}, "say which message and which control"),
        ({"user": DAVE, "action_id": "<!channel>"}, "Slack says: no_such_control"),
        ({"user": DAVE, "action_id": CHECKIN, "value": "9y"}, "Slack says: no_such_option"),
        ({"user": DAVE, "action_id": ["x"]}, "'action_id' should be a short string"),
        ({"user": DAVE, "action_id": CLAIM, "ts": "1.000001"}, "Slack says: message_not_found"),
    ],
)
def test_a_press_the_page_should_not_send_is_refused_in_one_line(
    page: SandboxPage, slack: LocalSlack, web: WebClient, body: dict[str, Any], said: str
) -> None:
    _, reply = announce(slack, web)
    before = len(slack.envelopes)
    status, answer = call(page, "api/press", {"ts": reply, **body})
    assert (status, answer) == (400, {"error": said})
    assert len(slack.envelopes) == before


def test_an_ephemeral_is_its_persons_alone_until_they_dismiss_it(
    page: SandboxPage, slack: LocalSlack, web: WebClient
) -> None:
    root, _ = announce(slack, web)
    said = web.chat_postEphemeral(channel=SUPPORT, user=DAVE, thread_ts=root, text="<@U0CAROL>")
    web.chat_postEphemeral(channel=SUPPORT, user=CAROL, text="yours")
    version = state(page)["version"]
    mine = state(page)["ephemerals"]
    (shown,) = mine[DAVE]
    assert (shown["ts"], shown["thread_ts"], shown["text"]) == (
        said["message_ts"],
        root,
        "<@U0CAROL>",
    )
    assert [e["text"] for e in mine[CAROL]] == ["yours"]
    assert mine["U0ALICE"] == []

    status, _ = call(page, "api/dismiss", {"user": CAROL, "ts": said["message_ts"]})
    assert status == 400  # not Carol's to dismiss: nothing changes
    assert state(page)["ephemerals"][DAVE] == [shown]
    status, _ = call(page, "api/dismiss", {"user": DAVE, "ts": said["message_ts"]})
    assert status == 200
    after = state(page)
    assert after["ephemerals"][DAVE] == []
    assert [e["text"] for e in after["ephemerals"][CAROL]] == ["yours"]
    assert after["version"] != version  # the page is told
    assert call(page, "api/dismiss", {"user": DAVE, "ts": said["message_ts"]})[0] == 200  # again


def test_a_body_that_is_not_a_json_object_is_refused(page: SandboxPage) -> None:
    assert call(page, "api/press", b"{")[0] == 400
    assert call(page, "api/press", [1, 2]) == (400, {"error": "send a JSON object"})
