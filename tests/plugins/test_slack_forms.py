"""The backend's forms on their own: a submission nobody takes (the plugin is off, or not
yet ready) is answered in its ack with a line in the form, which stays open (closing it
would lose what the person wrote); one a plugin takes gets that plugin's answer."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from watchstander.services.forms import HELP_VIEW, FormAnswer, FormEvent, FormSubmit
from watchstander_errbot.slack_forms import NOT_TAKEN, SlackForms


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
    def __init__(self, plugins: list[Any]) -> None:
        self._plugins_ready = threading.Event()
        self._plugins_ready.set()
        self.plugin_manager = Plugins(plugins)
        self.slack_web = None


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
