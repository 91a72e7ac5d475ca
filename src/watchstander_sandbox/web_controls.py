"""What the sandbox page does with the bot's controls, as the person it acts as: press a
button or choose an option of a message's ``actions`` block (the local Slack server's
`press`: the ``block_actions`` envelope Slack would send to the bot), see the ephemeral
messages shown to that person alone, and dismiss one (as Slack's "Dismiss message" does,
for that person only, and only on this page).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from aiohttp import web

from watchstander_sandbox.slack import LocalSlack, SlackError

Act = Callable[[Callable[[dict[str, Any]], dict[str, Any]]], Any]  # SandboxPage's route maker


class SandboxError(ValueError):
    """A request the page should not have sent: one line back to it (HTTP 400)."""


def text_of(body: dict[str, Any], key: str, limit: int = 255) -> str:
    """A short string field of a request (an id, a ts, a value), or a clear refusal."""
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise SandboxError(f"'{key}' should be a short string")
    return value


class PageControls:
    """The page's side of the bot's controls and ephemeral messages, for one LocalSlack."""

    def __init__(self, slack: LocalSlack, person: Callable[[str], str]) -> None:
        self.slack = slack
        self.person = person  # a person's id, checked (SandboxError when nobody's)
        self._lock = threading.Lock()
        self._dismissed: set[tuple[str, str]] = set()  # (person, ts) of ephemerals put away
        self.changes = 0  # goes up with every dismissal (the page's version follows it)

    def support(self) -> str:
        support = self.slack.world.channel("support")
        assert support is not None
        return support.id

    # ------------------------------------------------------------------ ephemeral messages

    def ephemerals(self) -> dict[str, list[dict[str, Any]]]:
        """Each person's ephemeral messages in #support, not dismissed, oldest first."""
        channel = self.support()
        with self._lock:
            dismissed = set(self._dismissed)
        out: dict[str, list[dict[str, Any]]] = {p.id: [] for p in self.slack.world.people}
        for shown in self.slack.ephemerals():
            user, ts = str(shown.get("user")), str(shown.get("ts"))
            if shown.get("channel") == channel and user in out and (user, ts) not in dismissed:
                out[user].append(shown)
        return out

    def dismiss(self, user: str, ts: str) -> None:
        person = self.person(user)
        if not any(e.get("ts") == ts for e in self.slack.ephemerals(person)):
            raise SandboxError(f"{person} has no ephemeral message '{ts[:40]}'")
        with self._lock:
            if (person, ts) not in self._dismissed:
                self._dismissed.add((person, ts))
                self.changes += 1

    # ------------------------------------------------------------------ the bot's controls

    def press(self, user: str, ts: str, action_id: str, value: str) -> str:
        """``user`` presses the control ``action_id`` of the message ``ts`` in #support (or
        chooses its option ``value``): the interactive envelope's id."""
        person = self.person(user)
        if not ts or not action_id:
            raise SandboxError("say which message and which control")
        try:
            return self.slack.press(person, self.support(), ts, action_id, value)
        except SlackError as exc:  # message_not_found, no_such_control, no_such_option
            raise SandboxError(f"Slack says: {exc}") from None

    # ------------------------------------------------------------------ routes

    def routes(self, app: web.Application, act: Act) -> None:
        def press(body: dict[str, Any]) -> dict[str, Any]:
            user, ts = text_of(body, "user"), text_of(body, "ts")
            action_id, value = text_of(body, "action_id"), text_of(body, "value", 2000)
            return {"envelope_id": self.press(user, ts, action_id, value)}

        def dismiss(body: dict[str, Any]) -> dict[str, Any]:
            self.dismiss(text_of(body, "user"), text_of(body, "ts"))
            return {"ok": True}

        for path, handler in (("press", press), ("dismiss", dismiss)):
            app.router.add_post(f"/api/{path}", act(handler))
