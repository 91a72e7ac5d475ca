"""A small app with one modal, on the local Slack server through slack_sdk's real Socket Mode
client and WebClient, for tests of what people do with modals (the sandbox page's) without
the bot: a global shortcut, a message shortcut or a slash command opens `FormApp.form`
(``views.open`` with the envelope's trigger id); typing into its summary updates the view
(``views.update``) with a line that repeats what was typed; a submission is answered with an
error on the summary until it says "blank", then taken (the view closes). Every envelope is
acked; `FormApp.payloads` holds what the app was sent."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from watchstander_sandbox.slack import LocalSlack

OPENERS = ("shortcut", "message_action", "slash_commands")
SAY_MORE = "Say more: what is <b>blank</b>?"


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def modal(hostile: str = "") -> dict[str, Any]:
    """The app's modal; ``hostile`` goes into a label, an option's description and mrkdwn."""
    dispatch = {"trigger_actions_on": ["on_character_entered"]}
    return {
        "type": "modal", "callback_id": "ws_help", "title": plain("Ask for help"),
        "submit": plain("Post question"), "close": plain("Cancel"), "notify_on_close": True,
        "blocks": [
            {"type": "input", "block_id": "ws_summary", "dispatch_action": True,
             "label": plain(f"What is wrong? {hostile}"), "hint": plain("A few words."),
             "element": {"type": "plain_text_input", "action_id": "ws_summary",
                         "dispatch_action_config": dispatch}},
            {"type": "input", "block_id": "ws_happened", "optional": True,
             "label": plain("What happened instead?"),
             "element": {"type": "plain_text_input", "action_id": "ws_happened",
                         "multiline": True}},
            {"type": "input", "block_id": "ws_level", "label": plain("How urgent is it?"),
             "element": {"type": "radio_buttons", "action_id": "ws_level", "options": [
                 {"text": plain("General"), "value": "general",
                  "description": plain(f"Questions {hostile}"[:75])},
                 {"text": plain("Urgent"), "value": "urgent"}]}},
            {"type": "context", "block_id": "ws_guide",
             "elements": [{"type": "mrkdwn", "text": f"*Urgent*: {hostile}"}]},
        ],
    }  # fmt: skip


class FormApp:
    """The app, connected to ``server`` while it is used as a context manager."""

    def __init__(self, server: LocalSlack, hostile: str = "") -> None:
        self.server, self.hostile = server, hostile
        self.form = modal(hostile)
        self.web = WebClient(token=server.bot_token, base_url=server.api_url)
        self.payloads: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.client = SocketModeClient(app_token=server.app_token, web_client=self.web)
        self.client.socket_mode_request_listeners.append(self.on_request)

    def __enter__(self) -> FormApp:
        self.client.connect()
        assert self.server.wait_for(lambda s: s.connected), "the app did not connect"
        return self

    def __exit__(self, *_: object) -> None:
        self.client.close()

    def sent(self, kind: str) -> list[dict[str, Any]]:
        """The payloads of ``kind`` (``shortcut``, ``view_submission``, ...) sent to the app."""
        with self.lock:
            return [copy.deepcopy(p) for p in self.payloads if p.get("type") == kind]

    def on_request(self, client: Any, req: SocketModeRequest) -> None:
        payload: dict[str, Any] = dict(req.payload)
        kind = "slash_commands" if req.type == "slash_commands" else str(payload.get("type"))
        with self.lock:
            self.payloads.append({**payload, "type": kind})
        answer: dict[str, Any] | None = None
        if kind == "view_submission":
            answer = self.answer(payload["view"])
        client.send_socket_mode_response(SocketModeResponse(req.envelope_id, payload=answer))
        if kind in OPENERS:
            self.web.views_open(trigger_id=payload["trigger_id"], view=self.form)
        elif kind == "block_actions" and payload.get("view"):
            (action,) = payload["actions"]
            if action["action_id"] == "ws_summary":
                self.web.views_update(view_id=payload["view"]["id"], view=self.echo(action))

    def echo(self, action: dict[str, Any]) -> dict[str, Any]:
        """The form with a line under the summary: what was typed, and the hostile text."""
        view = copy.deepcopy(self.form)
        text = f"*Like it:* {action.get('value') or ''} {self.hostile}"
        line = {"type": "section", "block_id": "ws_like", "text": {"type": "mrkdwn", "text": text}}
        view["blocks"].insert(1, line)
        return view

    @staticmethod
    def answer(view: dict[str, Any]) -> dict[str, Any] | None:
        summary = view["state"]["values"]["ws_summary"]["ws_summary"].get("value") or ""
        if "blank" not in summary:
            return {"response_action": "errors", "errors": {"ws_summary": SAY_MORE}}
        return None


def values_of(view: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Each input's action id and what it holds in a submitted view's state."""
    for actions in view["state"]["values"].values():
        for action_id, entry in actions.items():
            chosen = entry.get("selected_option")
            yield action_id, chosen["value"] if chosen else entry.get("value")
