"""The sandbox page's endpoints for the app's shortcuts, slash commands, modals and Home tab:
each goes to the local Slack server's method of the agreed name (docs: /work/briefs/
shared_api.md) for the person the page acts as, with #support as the channel; the state says
each person's open modals and Home tab, and the shortcuts and commands the manifest declares;
a request the page should not have sent gets one clear line and reaches nothing.

`Recording` stands in for the local server's modal and Home parts (issue 14's form and home
helpers build the real ones): it records each call and answers as the agreed names say."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack
from watchstander_sandbox.web_forms import app_features
from watchstander_sandbox.web_ui import SandboxPage

SUPPORT, CAROL = "C0SUPPORT", "U0CAROL"
VIEW = {"id": "V0001", "callback_id": "ws_help", "blocks": [], "title": {"text": "Ask"}}
FEATURES = {
    "shortcuts": [
        {"type": "global", "callback_id": "ws_ask", "name": "Ask for help"},
        {"type": "message", "callback_id": "ws_ask_about", "name": "Ask #support about this"},
    ],
    "commands": [{"command": "/support", "usage_hint": ""}],
    "home_tab": True,
}


class Recording(LocalSlack):
    """A local Slack whose modal and Home methods record their calls."""

    def __init__(self) -> None:
        super().__init__()
        self.said: list[tuple[Any, ...]] = []

    def _note(self, *call: Any) -> str:
        self.said.append(call)
        return f"E{len(self.said)}"

    def shortcut(self, user: str, callback_id: str) -> str:
        return self._note("shortcut", user, callback_id)

    def message_shortcut(self, user: str, channel: str, ts: str, callback_id: str) -> str:
        return self._note("message_shortcut", user, channel, ts, callback_id)

    def slash(self, user: str, channel: str, command: str, text: str = "") -> str:
        return self._note("slash", user, channel, command, text)

    def views(self, user: str) -> list[dict[str, Any]]:
        return [VIEW] if user == CAROL else []

    def type_into(self, user: str, view_id: str, action_id: str, text: str) -> str:
        return self._note("type_into", user, view_id, action_id, text)

    def press_in_view(self, user: str, view_id: str, action_id: str, value: str = "") -> str:
        return self._note("press_in_view", user, view_id, action_id, value)

    def submit(self, user: str, view_id: str, values: dict[str, str]) -> dict[str, Any]:
        self._note("submit", user, view_id, values)
        if not values.get("ws_summary"):
            return {"response_action": "errors", "errors": {"ws_summary": "Say what is wrong"}}
        return {}

    def close_view(self, user: str, view_id: str) -> None:
        self._note("close_view", user, view_id)

    def home(self, user: str) -> dict[str, Any] | None:
        return {"id": "VHOME", "type": "home", "blocks": []} if user == CAROL else None

    def open_home(self, user: str) -> str:
        return self._note("open_home", user)


@pytest.fixture
def slack() -> Iterator[Recording]:
    server = Recording()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(slack: Recording) -> Iterator[SandboxPage]:
    pagerduty, github = LocalPagerDuty().start(), LocalGitHub().start()
    served = SandboxPage(slack, pagerduty, github, port=0)
    served.forms.features = FEATURES  # what the manifest will declare (issue 14)
    served.start()
    yield served
    served.stop()
    pagerduty.stop()
    github.stop()


def call(page: SandboxPage, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        page.url + "api/" + path,
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_each_entry_point_reaches_the_server_as_the_person_the_page_acts_as(
    page: SandboxPage, slack: Recording
) -> None:
    root = slack.post(CAROL, SUPPORT, "the export is blank")
    asked = [
        ("shortcut", {"callback_id": "ws_ask"}),
        ("message_shortcut", {"callback_id": "ws_ask_about", "ts": root}),
        ("slash", {"command": "/support", "text": "the export <!channel>"}),
        ("home", {}),
        ("view/type", {"view_id": "V0001", "action_id": "ws_summary", "text": "export"}),
        ("view/press", {"view_id": "V0001", "action_id": "ws_answers", "value": "1.2"}),
        ("view/close", {"view_id": "V0001"}),
    ]
    for path, body in asked:
        status, answer = call(page, path, {"user": CAROL, **body})
        assert status == 200, (path, answer)
    assert slack.said == [
        ("shortcut", CAROL, "ws_ask"),
        ("message_shortcut", CAROL, SUPPORT, root, "ws_ask_about"),
        ("slash", CAROL, SUPPORT, "/support", "the export <!channel>"),
        ("open_home", CAROL),
        ("type_into", CAROL, "V0001", "ws_summary", "export"),
        ("press_in_view", CAROL, "V0001", "ws_answers", "1.2"),
        ("close_view", CAROL, "V0001"),
    ]


def test_a_submission_answers_with_the_apps_ack(page: SandboxPage, slack: Recording) -> None:
    body = {"user": CAROL, "view_id": "V0001", "values": {"ws_summary": ""}}
    errors = {"response_action": "errors", "errors": {"ws_summary": "Say what is wrong"}}
    assert call(page, "view/submit", body) == (200, {"ack": errors})
    body["values"] = {"ws_summary": "the export is blank", "ws_level": "urgent"}
    assert call(page, "view/submit", body) == (200, {"ack": {}})
    assert slack.said[-1] == ("submit", CAROL, "V0001", body["values"])


def test_the_state_holds_each_persons_modals_and_home_and_the_apps_features(
    page: SandboxPage,
) -> None:
    with urllib.request.urlopen(page.url + "api/state", timeout=10) as resp:
        state = json.load(resp)
    assert state["views"][CAROL] == [VIEW]
    assert state["views"]["U0DAVE"] == []
    assert state["home"][CAROL]["id"] == "VHOME"
    assert state["home"]["U0DAVE"] is None
    assert state["app"] == FEATURES


@pytest.mark.parametrize(
    ("path", "body", "said"),
    [
        ("shortcut", {"callback_id": "ws_nope"}, "the app has no global shortcut 'ws_nope'"),
        ("shortcut", {"callback_id": "ws_ask_about"}, "the app has no global shortcut"),
        ("message_shortcut", {"callback_id": "ws_ask"}, "the app has no message shortcut"),
        ("slash", {"command": "/nope"}, "/nope is not a valid command"),
        ("shortcut", {"callback_id": "ws_ask", "user": "UBOT0001"}, "there is nobody called"),
        ("view/submit", {"view_id": "V0001", "values": {"a": 1}}, "'values' should map"),
        ("view/submit", {"view_id": "V0001", "values": ["x"]}, "'values' should map"),
        ("view/type", {"view_id": "V0001", "action_id": "a", "text": "x" * 3001}, "short string"),
    ],
)
def test_a_request_the_page_should_not_send_is_refused_in_one_line(
    page: SandboxPage, slack: Recording, path: str, body: dict[str, Any], said: str
) -> None:
    status, answer = call(page, path, {"user": CAROL, **body})
    assert status == 400
    assert said in answer["error"]
    assert slack.said == []


def test_the_manifest_says_which_entry_points_there_are() -> None:
    features = app_features()  # none on main yet: the page then offers none
    assert set(features) == {"shortcuts", "commands", "home_tab"}
    assert all({"type", "callback_id", "name"} <= set(s) for s in features["shortcuts"])


def test_without_the_servers_modals_the_page_says_so(servers_page: SandboxPage) -> None:
    if hasattr(LocalSlack, "submit") or hasattr(LocalSlack, "open_home"):
        pytest.skip("the local Slack server has modals and a Home tab now")
    status, answer = call(servers_page, "view/close", {"user": CAROL, "view_id": "V1"})
    assert (status, answer) == (400, {"error": "this local Slack server has no modals"})
    status, answer = call(servers_page, "home", {"user": CAROL})
    assert (status, answer) == (400, {"error": "this local Slack server has no Home tab"})


@pytest.fixture
def servers_page() -> Iterator[SandboxPage]:
    slack, pagerduty, github = LocalSlack().start(), LocalPagerDuty().start(), LocalGitHub().start()
    served = SandboxPage(slack, pagerduty, github, port=0).start()
    yield served
    served.stop()
    for server in (slack, pagerduty, github):
        server.stop()
