"""What the sandbox page does with the app's shortcuts, slash commands, modals and Home tab,
as the person it acts as, through the local Slack server: a global shortcut, a message
shortcut on a message of #support, a slash command typed in the composer (each an envelope
to the bot, which may open a modal); typing into a modal's input that dispatches actions,
pressing a button in a modal, submitting a modal (the bot's answer comes back: errors by
field, another view, or the view closes) and closing it; opening the Home tab. The local
Slack server's methods of the same names do it (`watchstander_sandbox.slack.views` and
``home``), as Slack's client would.

Which shortcuts and commands there are, and whether there is a Home tab, the app's manifest
says (`watchstander.adapters.slack_app`), as Slack's client learns it from the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from watchstander.adapters.slack_app import manifest
from watchstander_sandbox.slack import LocalSlack, SlackError
from watchstander_sandbox.web_controls import Act, SandboxError, text_of

T = TypeVar("T")
MAX_VALUE = 3000  # characters of one input's value (Slack's plain_text_input holds 3000)


def app_features() -> dict[str, Any]:
    """The shortcuts, slash commands and Home tab the app's manifest declares."""
    features = manifest().get("features") or {}
    home = features.get("app_home") or {}
    return {
        "shortcuts": [
            {"type": s.get("type"), "callback_id": s.get("callback_id"), "name": s.get("name")}
            for s in features.get("shortcuts") or []
        ],
        "commands": [
            {"command": c.get("command"), "usage_hint": c.get("usage_hint", "")}
            for c in features.get("slash_commands") or []
        ],
        "home_tab": bool(home.get("home_tab_enabled")),
    }


class PageForms:
    """The page's side of the app's shortcuts, commands, modals and Home tab."""

    def __init__(self, slack: LocalSlack, person: Callable[[str], str]) -> None:
        self.slack = slack
        self.person = person  # a person's id, checked (SandboxError when nobody's)
        self.features = app_features()

    def state(self) -> dict[str, Any]:
        """Each person's open modals (the top one last) and Home tab, and the app's features."""
        people = [p.id for p in self.slack.world.people]
        return {
            "app": self.features,
            "views": {p: self.slack.views(p) for p in people},
            "home": {p: self.slack.home(p) for p in people},
        }

    # ------------------------------------------------------------------ entry points

    def shortcut(self, user: str, callback_id: str) -> str:
        self._offered(callback_id, "global")
        return self._slack(lambda: self.slack.shortcut(self.person(user), callback_id))

    def message_shortcut(self, user: str, ts: str, callback_id: str) -> str:
        self._offered(callback_id, "message")
        channel = self._support()
        person = self.person(user)
        return self._slack(lambda: self.slack.message_shortcut(person, channel, ts, callback_id))

    def slash(self, user: str, command: str, text: str) -> str:
        if command not in {c["command"] for c in self.features["commands"]}:
            raise SandboxError(f"{command[:40]} is not a valid command")
        person, channel = self.person(user), self._support()
        return self._slack(lambda: self.slack.slash(person, channel, command, text))

    def open_home(self, user: str) -> str:
        person = self.person(user)
        return self._slack(lambda: self.slack.open_home(person))

    # ------------------------------------------------------------------ in a modal

    def type_into(self, user: str, view_id: str, action_id: str, text: str) -> str:
        person = self.person(user)
        return self._slack(lambda: self.slack.type_into(person, view_id, action_id, text))

    def press_in_view(self, user: str, view_id: str, action_id: str, value: str) -> str:
        person = self.person(user)
        return self._slack(lambda: self.slack.press_in_view(person, view_id, action_id, value))

    def submit(self, user: str, view_id: str, values: dict[str, str]) -> dict[str, Any]:
        person = self.person(user)
        return self._slack(lambda: self.slack.submit(person, view_id, values))

    def close_view(self, user: str, view_id: str) -> None:
        person = self.person(user)
        self._slack(lambda: self.slack.close_view(person, view_id))

    # ------------------------------------------------------------------ helpers

    def _offered(self, callback_id: str, kind: str) -> None:
        offered = {s["callback_id"] for s in self.features["shortcuts"] if s["type"] == kind}
        if callback_id not in offered:
            raise SandboxError(f"the app has no {kind} shortcut '{callback_id[:40]}'")

    def _support(self) -> str:
        support = self.slack.world.channel("support")
        assert support is not None
        return support.id

    @staticmethod
    def _slack(call: Callable[[], T]) -> T:
        try:
            return call()
        except SlackError as exc:  # no such view, message, ...
            raise SandboxError(f"Slack says: {exc}") from None
        except TimeoutError:  # a submission the app did not answer (is the bot running?)
            raise SandboxError("the app did not answer the submission in time") from None

    # ------------------------------------------------------------------ routes

    def routes(self, app: web.Application, act: Act) -> None:
        def get(body: dict[str, Any], key: str, limit: int = 255) -> str:
            return text_of(body, key, limit)

        def values(body: dict[str, Any]) -> dict[str, str]:
            found = body.get("values") or {}
            if not isinstance(found, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and len(v) <= MAX_VALUE
                for k, v in found.items()
            ):
                raise SandboxError("'values' should map each input's action_id to its text")
            return found

        def close(body: dict[str, Any]) -> dict[str, Any]:
            self.close_view(get(body, "user"), get(body, "view_id"))
            return {"ok": True}

        def sent(envelope_id: str) -> dict[str, Any]:
            return {"envelope_id": envelope_id}

        handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "shortcut": lambda b: sent(self.shortcut(get(b, "user"), get(b, "callback_id"))),
            "message_shortcut": lambda b: sent(
                self.message_shortcut(get(b, "user"), get(b, "ts"), get(b, "callback_id"))
            ),
            "slash": lambda b: sent(
                self.slash(get(b, "user"), get(b, "command"), get(b, "text", 4000))
            ),
            "home": lambda b: sent(self.open_home(get(b, "user"))),
            "view/type": lambda b: sent(
                self.type_into(
                    get(b, "user"),
                    get(b, "view_id"),
                    get(b, "action_id"),
                    get(b, "text", MAX_VALUE),
                )
            ),
            "view/press": lambda b: sent(
                self.press_in_view(
                    get(b, "user"), get(b, "view_id"), get(b, "action_id"), get(b, "value", 2000)
                )
            ),
            "view/submit": lambda b: {
                "ack": self.submit(get(b, "user"), get(b, "view_id"), values(b))
            },
            "view/close": close,
        }
        for path, handler in handlers.items():
            app.router.add_post(f"/api/{path}", act(handler))
