"""The backend's forms on their own: a submission nobody takes (the plugin is off, or not
yet ready) is answered in its ack with a line in the form, which stays open (closing it
would lose what the person wrote); one a plugin takes gets that plugin's answer. A form is
opened at once and completed after, on the local Slack server, unless the person's newer
answer came first."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from watchstander.adapters.slack_views import LOOKING, draw
from watchstander.domain.help_form import level_choices
from watchstander.services.forms import (
    ASK,
    HELP_VIEW,
    FormAnswer,
    FormEvent,
    FormOpen,
    FormSubmit,
    FormView,
    HelpFormView,
)
from watchstander_errbot.slack_forms import NOT_TAKEN, SlackForms
from watchstander_sandbox.slack import LocalSlack

CAROL = "U0CAROL"


@dataclass
class Client:
    acks: list[SocketModeResponse] = field(default_factory=list)

    def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.acks.append(response)


@dataclass
class Plugin:
    seen: list[FormEvent] = field(default_factory=list)

    def callback_form(self, event: FormEvent) -> FormAnswer | None:
        self.seen.append(event)
        return FormAnswer(errors={"url": "Not a URL"}) if isinstance(event, FormSubmit) else None


@dataclass
class Plugins:
    active: list[Any]

    def get_all_active_plugins(self) -> list[Any]:
        return self.active


class Backend(SlackForms):
    def __init__(self, plugins: list[Any], web: WebClient | None = None) -> None:
        self._plugins_ready = threading.Event()
        self._plugins_ready.set()
        self.plugin_manager = Plugins(plugins)
        self.slack_web = web


def submitted(envelope: str) -> SocketModeRequest:
    view = {
        "id": "V1",
        "callback_id": HELP_VIEW,
        "private_metadata": "{}",
        "state": {"values": {"summary": {"summary": {"type": "plain_text_input", "value": "x"}}}},
    }
    payload = {"type": "view_submission", "user": {"id": "U0CAROL"}, "view": view}
    return SocketModeRequest(type="interactive", envelope_id=envelope, payload=payload)


def test_a_submission_nobody_takes_stays_open_with_a_line_saying_so() -> None:
    client = Client()
    Backend([])._submission(client, submitted("E1"))  # type: ignore[arg-type]
    (ack,) = client.acks
    assert ack.envelope_id == "E1"
    assert ack.payload == {"response_action": "errors", "errors": {"summary": NOT_TAKEN}}


def test_a_submission_a_plugin_takes_gets_its_answer_in_the_ack() -> None:
    client, plugin = Client(), Plugin()
    Backend([plugin])._submission(client, submitted("E2"))  # type: ignore[arg-type]
    (event,) = plugin.seen
    assert isinstance(event, FormSubmit)
    assert event.view_id == "V1"
    (ack,) = client.acks
    assert ack.payload == {"response_action": "errors", "errors": {"url": "Not a URL"}}


LEVELS = level_choices("oncall", "devs")
FOUND = HelpFormView(LEVELS, "S3 export", looked=True)


@dataclass
class Opener:
    """Opens the form at once; ``fill`` is its slow part."""

    fill: Callable[[], FormView | None]

    def callback_form(self, event: FormEvent) -> FormAnswer | None:
        if not isinstance(event, FormOpen):
            return None
        return FormAnswer(open=HelpFormView(LEVELS, "S3 export", looking=True), fill=self.fill)


def open_by_shortcut(slack: LocalSlack, backend: Backend) -> None:
    envelope = slack.shortcut(CAROL, ASK)
    (sent,) = [e for e in slack.envelopes if e["envelope_id"] == envelope]
    backend._form(FormOpen(CAROL, ASK), sent["payload"])


def shown(slack: LocalSlack) -> str:
    (view,) = slack.views(CAROL)
    return str(view["blocks"])


def test_a_form_opens_at_once_and_is_completed_by_its_slow_part(slack: LocalSlack) -> None:
    web = WebClient(token=slack.bot_token, base_url=slack.api_url)
    seen: list[str] = []

    def looked_up() -> FormView:
        seen.append(shown(slack))
        return FOUND

    backend = Backend([Opener(looked_up)], web)
    open_by_shortcut(slack, backend)
    assert LOOKING in seen[0]  # the form was up before its slow part ran
    assert [c.method for c in slack.calls if c.method.startswith("views.")] == [
        "views.open",
        "views.update",
    ]
    assert "No earlier resolved thread" in shown(slack)
    assert LOOKING not in shown(slack)


def test_the_persons_newer_answer_is_not_overwritten(
    slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    web = WebClient(token=slack.bot_token, base_url=slack.api_url)
    typed = HelpFormView(LEVELS, "S3 export AccessDenied", looked=True)

    def keystroke_first() -> FormView:  # the person typed; the bot answered that first
        (view,) = slack.views(CAROL)
        web.views_update(view_id=view["id"], hash=view["hash"], view=draw(typed))
        return FOUND

    with caplog.at_level(logging.INFO, "watchstander_errbot.slack_forms"):
        open_by_shortcut(slack, Backend([Opener(keystroke_first)], web))
    (view,) = slack.views(CAROL)
    assert view["blocks"] == draw(typed)["blocks"]
    assert "The form was not completed (hash_conflict)" in caplog.text
