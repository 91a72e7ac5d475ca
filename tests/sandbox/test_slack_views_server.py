"""The local Slack server's modals through the real slack_sdk WebClient: a trigger id opens
one view, once, for the person whose action issued it, within 3 seconds; an update keeps the
view's id and what was typed, and refuses a stale hash; people type, press, submit (Slack's
own client refuses an empty required input) and close, with the envelopes Slack sends."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from watchstander_sandbox.slack import LocalSlack

CAROL, DAVE = "U0CAROL", "U0DAVE"


def modal(title: str = "Ask", dispatch: bool = True, **extra: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "summary"}
    element |= {"max_length": 10}
    if dispatch:
        element["dispatch_action_config"] = {"trigger_actions_on": ["on_character_entered"]}
    return {
        "type": "modal",
        "callback_id": "ws_help",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Post"},
        "notify_on_close": True,
        "blocks": [
            {
                "type": "input",
                "block_id": "summary",
                "dispatch_action": dispatch,
                "label": {"type": "plain_text", "text": "What"},
                "element": element,
            },
            {
                "type": "section",
                "block_id": "s",
                "text": {"type": "mrkdwn", "text": "hi"},
                "accessory": {
                    "type": "button",
                    "action_id": "ok",
                    "value": "v",
                    "text": {"type": "plain_text", "text": "OK"},
                },
            },
        ],
        **extra,
    }


def trigger(slack: LocalSlack, envelope_id: str) -> str:
    (sent,) = [e for e in slack.envelopes if e["envelope_id"] == envelope_id]
    return str(sent["payload"]["trigger_id"])


def refused(call: Any, error: str) -> None:
    with pytest.raises(SlackApiError) as raised:
        call()
    assert raised.value.response["error"] == error


def test_a_trigger_opens_one_view_once_for_its_person(server: LocalSlack, web: WebClient) -> None:
    shortcut = trigger(server, server.shortcut(CAROL, "ws_ask"))
    assert server.envelopes[-1]["payload"]["type"] == "shortcut"
    opened = web.views_open(trigger_id=shortcut, view=modal())["view"]
    assert [v["id"] for v in server.views(CAROL)] == [opened["id"]]
    assert server.views(DAVE) == []
    refused(lambda: web.views_open(trigger_id=shortcut, view=modal()), "exchanged_trigger_id")
    refused(lambda: web.views_open(trigger_id="1.2.3", view=modal()), "invalid_trigger_id")
    late = trigger(server, server.slash(DAVE, "C0SUPPORT", "/support", "hi"))
    server.expire_triggers()
    refused(lambda: web.views_open(trigger_id=late, view=modal()), "expired_trigger_id")
    pushed = trigger(server, server.shortcut(CAROL, "ws_ask"))
    web.views_push(trigger_id=pushed, view=modal("Second"))
    assert [v["title"]["text"] for v in server.views(CAROL)] == ["Ask", "Second"]
    too_long = trigger(server, server.shortcut(CAROL, "ws_ask"))
    refused(lambda: web.views_open(trigger_id=too_long, view=modal("x" * 25)), "invalid_arguments")
    now = [100.0]  # a trigger lasts 3 s on the server's clock
    server.trigger_clock = lambda: now[0]
    in_time, too_late = (trigger(server, server.shortcut(DAVE, "ws_ask")) for _ in range(2))
    now[0] += 2.9
    web.views_open(trigger_id=in_time, view=modal())
    now[0] += 0.2
    refused(lambda: web.views_open(trigger_id=too_late, view=modal()), "expired_trigger_id")


def test_typing_pressing_updating_and_closing(server: LocalSlack, web: WebClient) -> None:
    about = server.post(DAVE, "C0GENERAL", "the dashboard is empty")
    envelope = server.message_shortcut(CAROL, "C0GENERAL", about, "ws_ask_about")
    payload = server.envelopes[-1]["payload"]
    assert (payload["type"], payload["message"]["text"]) == (
        "message_action",
        "the dashboard is empty",
    )
    view = web.views_open(trigger_id=trigger(server, envelope), view=modal())["view"]
    typed = server.type_into(CAROL, view["id"], "summary", "S3 export fails")
    sent = server.envelopes[-1]
    assert sent["envelope_id"] == typed
    action = sent["payload"]["actions"][0]
    assert (action["type"], action["value"]) == ("plain_text_input", "S3 export ")  # max_length
    assert sent["payload"]["container"] == {"type": "view", "view_id": view["id"]}
    # an update keeps the id and what was typed; a stale hash is refused
    refused(
        lambda: web.views_update(view_id=view["id"], hash="stale", view=modal()), "hash_conflict"
    )
    web.views_update(view_id=view["id"], hash=view["hash"], view=modal("Updated"))
    (now,) = server.views(CAROL)
    assert (now["id"], now["title"]["text"]) == (view["id"], "Updated")
    assert now["state"]["values"]["summary"]["summary"]["value"] == "S3 export "
    server.press_in_view(CAROL, view["id"], "ok")
    assert server.envelopes[-1]["payload"]["actions"][0]["value"] == "v"
    closed = server.close_view(CAROL, view["id"])
    assert server.envelopes[-1]["envelope_id"] == closed
    assert server.envelopes[-1]["payload"]["type"] == "view_closed"
    assert server.views(CAROL) == []


def test_slack_s_client_refuses_an_empty_required_input(server: LocalSlack, web: WebClient) -> None:
    envelope = server.shortcut(CAROL, "ws_ask")
    view = web.views_open(trigger_id=trigger(server, envelope), view=modal(dispatch=False))["view"]
    assert server.type_into(CAROL, view["id"], "summary", "x") == ""  # no dispatch: kept only
    sent = len(server.envelopes)
    answer = server.submit(CAROL, view["id"], {"summary": ""})
    assert answer == {
        "response_action": "errors",
        "errors": {"summary": "Please complete this required field."},
    }
    assert len(server.envelopes) == sent  # nothing went to the app
