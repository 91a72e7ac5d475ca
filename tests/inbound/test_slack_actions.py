"""Slack's interactive payloads as the services' actions: a button pressed and an option
chosen on a bot's message in a thread (``block_actions``), slash commands, odd or hostile
values, and payloads missing who, where or what."""

from __future__ import annotations

from typing import Any

import pytest

from watchstander.inbound import Ignored
from watchstander.inbound.slack import MAX_ID, action_from_slack, command_from_slack
from watchstander.services.controls import Action

SUPPORT, DAVE = "C0SUPPORT", "U0DAVE"
ROOT, REPLY, PRESSED = "1795510800.000100", "1795510801.000200", "1795510900.000300"


def pressed(**action: Any) -> dict[str, Any]:
    """A ``block_actions`` payload as Slack sends it for a button on the bot's reply."""
    message = {"type": "message", "user": "UBOT0001", "ts": REPLY, "thread_ts": ROOT, "text": "x"}
    element: dict[str, Any] = {"type": "button", "action_id": "ws_claim", "block_id": "ws_controls"}
    element |= {"text": {"type": "plain_text", "text": "Claim"}, "value": "claim"}
    element |= {"action_ts": PRESSED} | action
    return {
        "type": "block_actions",
        "user": {"id": DAVE, "username": "dave", "name": "dave", "team_id": "T0SANDBOX"},
        "api_app_id": "A0SANDBOX",
        "token": "verification",
        "container": {"type": "message", "message_ts": REPLY, "channel_id": SUPPORT,
                      "is_ephemeral": False, "thread_ts": ROOT},
        "trigger_id": "1.2.3",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"},
        "channel": {"id": SUPPORT, "name": "support"},
        "message": message,
        "response_url": "https://hooks.slack.com/actions/T/1/2",
        "actions": [element],
    }  # fmt: skip


def test_a_button_on_a_reply_in_a_thread() -> None:
    assert action_from_slack(pressed()) == Action(
        user=DAVE,
        channel=SUPPORT,
        message_ts=REPLY,
        thread_ts=ROOT,
        action_id="ws_claim",
        value="claim",
        ts=PRESSED,
    )
    assert action_from_slack(pressed()).root_ts == ROOT


def test_an_option_chosen_from_a_static_select() -> None:
    chosen = {"text": {"type": "plain_text", "text": "30 min"}, "value": "30m"}
    payload = pressed(type="static_select", action_id="ws_checkin", selected_option=chosen)
    del payload["actions"][0]["value"]
    action = action_from_slack(payload)
    assert (action.action_id, action.value) == ("ws_checkin", "30m")


def test_a_button_on_a_top_level_message_has_no_thread() -> None:
    payload = pressed()
    del payload["message"]["thread_ts"], payload["container"]["thread_ts"]
    action = action_from_slack(payload)
    assert action.thread_ts is None
    assert action.root_ts == REPLY


def test_the_channel_comes_from_the_container_when_the_payload_has_none() -> None:
    payload = pressed()
    del payload["channel"]
    assert action_from_slack(payload).channel == SUPPORT


def test_hostile_values_are_kept_as_text_and_cut() -> None:
    payload = pressed(action_id="<!channel>" + "x" * 400, value="<!here> " * 1000)
    action = action_from_slack(payload)
    assert action.action_id.startswith("<!channel>")
    assert len(action.action_id) == MAX_ID
    assert len(action.value) == 2000  # as text: quoting is the voice's job
    odd = action_from_slack(pressed(value={"nested": "<!everyone>"}))
    assert odd.value == ""  # a value that is not text is no value


@pytest.mark.parametrize(
    "spoil",
    [
        lambda p: p.pop("user"),
        lambda p: p.update(user="U0DAVE"),  # not an object
        lambda p: (p.pop("channel"), p["container"].pop("channel_id")),
        lambda p: (p["container"].pop("message_ts"), p["message"].pop("ts")),
        lambda p: p.update(actions=[]),
        lambda p: p.update(actions="ws_claim"),
        lambda p: p["actions"][0].pop("action_id"),
        lambda p: p["actions"][0].update(action_id=7),
        lambda p: p["actions"][0].pop("action_ts"),
        lambda p: p.update(type="view_submission"),
    ],
)
def test_a_payload_missing_who_where_or_what_is_ignored(spoil: Any) -> None:
    payload = pressed()
    spoil(payload)
    with pytest.raises(Ignored):
        action_from_slack(payload)


def test_a_slash_command() -> None:
    payload = {
        "token": "verification", "team_id": "T0SANDBOX", "team_domain": "sandbox",
        "channel_id": SUPPORT, "channel_name": "support", "user_id": DAVE, "user_name": "dave",
        "command": "/watchstander", "text": "claim <!channel>", "api_app_id": "A0SANDBOX",
        "response_url": "https://hooks.slack.com/commands/T/1/2", "trigger_id": "1.2.3",
    }  # fmt: skip
    action = command_from_slack(payload, "envelope-1")
    assert (action.action_id, action.value, action.ts) == (
        "/watchstander",
        "claim <!channel>",
        "envelope-1",
    )
    assert (action.user, action.channel, action.thread_ts) == (DAVE, SUPPORT, None)
    with pytest.raises(Ignored):
        command_from_slack({**payload, "command": None}, "envelope-2")
