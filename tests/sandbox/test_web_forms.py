"""The sandbox page's endpoints for the app's shortcuts, slash commands, modals and Home tab,
over the real local Slack server with a small app on it (`form_app.FormApp`, through
slack_sdk's Socket Mode client): each sends what Slack would, for the person the page acts
as, with #support as the channel; a submission answers with the app's ack; the state says
each person's open modals and Home tab, and the shortcuts and commands the manifest declares;
a request the page should not have sent gets one clear line and reaches nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from form_app import SAY_MORE, FormApp, values_of
from page_helpers import call as call_page
from page_helpers import served, state
from slack_sdk import WebClient

from watchstander.services.forms import ASK, ASK_ABOUT, SUPPORT_COMMAND
from watchstander_sandbox.slack import LocalSlack
from watchstander_sandbox.web_forms import app_features
from watchstander_sandbox.web_ui import SandboxPage

SUPPORT, CAROL, DAVE = "C0SUPPORT", "U0CAROL", "U0DAVE"


@pytest.fixture
def page(slack: LocalSlack) -> Iterator[SandboxPage]:
    with served(slack) as shown:
        yield shown


@pytest.fixture
def app(slack: LocalSlack) -> Iterator[FormApp]:
    with FormApp(slack) as connected:
        yield connected


def call(page: SandboxPage, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return call_page(page, "api/" + path, body)


def sent(slack: LocalSlack, envelope_id: str) -> dict[str, Any]:
    (envelope,) = [e for e in slack.envelopes if e["envelope_id"] == envelope_id]
    payload: dict[str, Any] = envelope["payload"]
    return payload


def opened(slack: LocalSlack, user: str) -> dict[str, Any]:
    assert slack.wait_for(lambda s: bool(s.views(user)), 30), "the app opened no view"
    return slack.views(user)[-1]


def test_each_entry_point_sends_what_slack_would_as_the_person_the_page_acts_as(
    page: SandboxPage, slack: LocalSlack, app: FormApp
) -> None:
    root = slack.post(DAVE, SUPPORT, "the export is blank")
    status, answer = call(page, "shortcut", {"user": CAROL, "callback_id": ASK})
    assert status == 200, answer
    payload = sent(slack, answer["envelope_id"])
    assert (payload["type"], payload["callback_id"], payload["user"]["id"]) == (
        "shortcut",
        ASK,
        CAROL,
    )
    view = opened(slack, CAROL)

    _, answer = call(page, "message_shortcut", {"user": DAVE, "callback_id": ASK_ABOUT, "ts": root})
    payload = sent(slack, answer["envelope_id"])
    assert (payload["type"], payload["channel"]["id"], payload["message"]["ts"]) == (
        "message_action",
        SUPPORT,
        root,
    )
    hostile = "the export <!channel> <@U0EVIL>"
    _, answer = call(page, "slash", {"user": CAROL, "command": SUPPORT_COMMAND, "text": hostile})
    payload = sent(slack, answer["envelope_id"])
    assert (payload["command"], payload["text"], payload["channel_id"], payload["user_id"]) == (
        SUPPORT_COMMAND,
        hostile,
        SUPPORT,
        CAROL,
    )
    assert slack.wait_for(lambda s: len(app.sent("slash_commands")) == 1, 30)
    shortcuts = view["id"]  # the command's view takes the shortcut's place, once the app opens it
    assert slack.wait_for(
        lambda s: [v["id"] for v in s.views(CAROL)][-1:] not in ([], [shortcuts]), 30
    )
    view = opened(slack, CAROL)

    typing = {"user": CAROL, "view_id": view["id"], "action_id": "ws_summary", "text": "export"}
    _, answer = call(page, "view/type", typing)
    (action,) = sent(slack, answer["envelope_id"])["actions"]
    assert (action["action_id"], action["value"]) == ("ws_summary", "export")
    assert slack.wait_for(lambda s: "Like it:" in json.dumps(s.views(CAROL)), 30)
    assert state(page)["views"][CAROL][-1]["id"] == view["id"]  # updated in place

    _, answer = call(page, "home", {"user": CAROL})
    payload = sent(slack, answer["envelope_id"])
    assert (payload["event"]["type"], payload["event"]["user"]) == ("app_home_opened", CAROL)

    status, answer = call(page, "view/close", {"user": CAROL, "view_id": view["id"]})
    assert (status, answer) == (200, {"ok": True})
    assert slack.wait_for(lambda s: len(app.sent("view_closed")) == 1, 30)
    assert slack.views(CAROL) == []


def test_a_submission_answers_with_the_apps_ack(
    page: SandboxPage, slack: LocalSlack, app: FormApp
) -> None:
    call(page, "shortcut", {"user": CAROL, "callback_id": ASK})
    view = opened(slack, CAROL)
    body: dict[str, Any] = {"user": CAROL, "view_id": view["id"], "values": {"ws_summary": ""}}
    required = {"ws_summary": "Please complete this required field."}  # Slack's client
    required["ws_level"] = required["ws_summary"]
    assert call(page, "view/submit", body) == (
        200,
        {"ack": {"response_action": "errors", "errors": required}},
    )
    assert app.sent("view_submission") == []  # Slack's client sent nothing
    body["values"] = {"ws_summary": "the export", "ws_level": "urgent"}
    errors = {"response_action": "errors", "errors": {"ws_summary": SAY_MORE}}
    assert call(page, "view/submit", body) == (200, {"ack": errors})  # the app's, by field
    assert slack.views(CAROL)[0]["errors"] == errors["errors"]  # the form stays
    body["values"] = {"ws_summary": "the export is blank", "ws_level": "urgent"}
    assert call(page, "view/submit", body) == (200, {"ack": {}})
    assert slack.views(CAROL) == []
    taken = app.sent("view_submission")[-1]["view"]
    assert dict(values_of(taken)) == {
        "ws_summary": "the export is blank",
        "ws_happened": None,
        "ws_level": "urgent",
    }


def test_a_submission_the_app_never_answers_is_one_line(
    page: SandboxPage, slack: LocalSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import watchstander_sandbox.slack.views as views

    web = WebClient(token=slack.bot_token, base_url=slack.api_url)
    trigger = sent(slack, slack.shortcut(CAROL, ASK))["trigger_id"]
    view = web.views_open(trigger_id=trigger, view=FormApp(slack).form)["view"]
    monkeypatch.setattr(views, "ACK_WAIT", 0.0)  # no app is connected: nobody acks
    body = {
        "user": CAROL,
        "view_id": view["id"],
        "values": {"ws_summary": "x", "ws_level": "urgent"},
    }
    status, answer = call(page, "view/submit", body)
    assert (status, answer) == (400, {"error": "the app did not answer the submission in time"})


def test_the_state_holds_each_persons_modals_and_home_and_the_apps_features(
    page: SandboxPage, slack: LocalSlack
) -> None:
    web = WebClient(token=slack.bot_token, base_url=slack.api_url)
    trigger = sent(slack, slack.shortcut(CAROL, ASK))["trigger_id"]
    view = web.views_open(trigger_id=trigger, view=FormApp(slack).form)["view"]
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
    }
    web.views_publish(user_id=CAROL, view=home)
    found = state(page)
    assert [v["id"] for v in found["views"][CAROL]] == [view["id"]]
    assert found["views"][DAVE] == []
    assert found["home"][CAROL]["blocks"] == home["blocks"]
    assert found["home"][DAVE] is None
    assert found["app"] == app_features()


@pytest.mark.parametrize(
    ("path", "body", "said"),
    [
        ("shortcut", {"callback_id": "ws_nope"}, "the app has no global shortcut 'ws_nope'"),
        ("shortcut", {"callback_id": ASK_ABOUT}, "the app has no global shortcut"),
        ("message_shortcut", {"callback_id": ASK}, "the app has no message shortcut"),
        ("message_shortcut", {"callback_id": ASK_ABOUT, "ts": "1.2"}, "Slack says: message_not"),
        ("slash", {"command": "/nope"}, "/nope is not a valid command"),
        ("shortcut", {"callback_id": ASK, "user": "UBOT0001"}, "there is nobody called"),
        ("view/type", {"view_id": "V0NONE", "action_id": "a", "text": "x"}, "view_not_found"),
        ("view/close", {"view_id": "V0NONE"}, "Slack says: view_not_found"),
        ("view/submit", {"view_id": "V0NONE", "values": {"a": 1}}, "'values' should map"),
        ("view/submit", {"view_id": "V0NONE", "values": ["x"]}, "'values' should map"),
        ("view/type", {"view_id": "V1", "action_id": "a", "text": "x" * 3001}, "short string"),
    ],
)
def test_a_request_the_page_should_not_send_is_refused_in_one_line(
    page: SandboxPage, slack: LocalSlack, path: str, body: dict[str, Any], said: str
) -> None:
    status, answer = call(page, path, {"user": CAROL, **body})
    assert status == 400
    assert said in answer["error"]
    assert "\n" not in answer["error"]
    assert slack.envelopes == []


def test_the_manifest_says_which_entry_points_there_are() -> None:
    features = app_features()
    assert [(s["type"], s["callback_id"]) for s in features["shortcuts"]] == [
        ("global", ASK),
        ("message", ASK_ABOUT),
    ]
    assert [c["command"] for c in features["commands"]] == [SUPPORT_COMMAND]
    assert features["home_tab"] is True
