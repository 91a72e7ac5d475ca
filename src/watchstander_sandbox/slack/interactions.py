"""People using the controls on the bot's messages, as Slack sends it: `press` a button or
choose an option of a ``static_select`` on a stored message, or on an ephemeral message shown
to the presser (a Socket Mode ``interactive``
envelope with a ``block_actions`` payload, which `redeliver` can send again), and the
ephemeral answers the bot showed to one person (`ephemerals`), which reach nobody else."""

from __future__ import annotations

import copy
from typing import Any

from watchstander_sandbox.slack.history import History
from watchstander_sandbox.slack.world import JSON, SlackError


class Interactions(History):
    def __init__(self) -> None:
        super().__init__()
        self._ephemerals: list[JSON] = []

    def ephemerals(self, user: str | None = None) -> list[dict[str, Any]]:
        """What chat.postEphemeral showed, oldest first (to ``user`` alone, if given)."""
        with self._cond:
            shown = [e for e in self._ephemerals if user is None or e["user"] == user]
            return copy.deepcopy(shown)

    def _show_ephemeral(self, channel: str, user: str, msg: JSON, thread_ts: str | None) -> str:
        """Record an ephemeral message (held under ``_cond``): no event goes to anyone."""
        ts = self._next_ts()
        shown = {**copy.deepcopy(msg), "ts": ts, "channel": channel, "user": user}
        if thread_ts:
            shown["thread_ts"] = thread_ts
        self._ephemerals.append(shown)
        self._changed()
        return ts

    def press(self, user: str, channel: str, ts: str, action_id: str, value: str = "") -> str:
        """``user`` presses the button ``action_id`` of the message ``ts`` (or chooses the
        option ``value`` of its ``static_select``): the envelope's id, for `redeliver`.
        A control the message does not have raises SlackError, as no one could press it."""
        with self._cond:
            who, chan = self._member(user), self._channel(channel)
            shown = next(
                (
                    e for e in self._ephemerals
                    if e["ts"] == ts and e["user"] == who.id and e["channel"] == chan.id
                ),
                None,
            )  # fmt: skip
            msg = shown if shown is not None else self._message(chan.id, ts)
            blocks = msg.get("blocks") or []
            found = next(
                (
                    (block, element)
                    for block in blocks
                    for element in block.get("elements") or []
                    if block.get("type") == "actions" and element.get("action_id") == action_id
                ),
                None,
            )
            if found is None:
                raise SlackError("no_such_control")
            block, element = found
            action: JSON = {
                "type": element["type"], "action_id": action_id,
                "block_id": block.get("block_id", ""), "action_ts": self._next_ts(),
            }  # fmt: skip
            if element["type"] == "static_select":
                option = next((o for o in element["options"] if o["value"] == value), None)
                if option is None:
                    raise SlackError("no_such_option")
                action.update(selected_option=option, placeholder=element.get("placeholder"))
            else:
                action.update(text=element.get("text"), value=element.get("value", ""))
            container: JSON = {"type": "message", "message_ts": msg["ts"]}
            container.update(channel_id=chan.id, is_ephemeral=shown is not None)
            if msg.get("thread_ts"):
                container["thread_ts"] = msg["thread_ts"]
            payload: JSON = {
                "type": "block_actions",
                "user": {"id": who.id, "username": who.name, "name": who.name,
                         "team_id": self._team},
                "api_app_id": self.world.app_id, "token": "sandboxverificationtoken",
                "container": container, "trigger_id": f"{action['action_ts']}.{who.id}",
                "team": {"id": self._team, "domain": self.world.team_domain},
                "enterprise": None, "is_enterprise_install": False,
                "channel": {"id": chan.id, "name": chan.name},
                "message": copy.deepcopy(msg), "state": {"values": {}},
                "response_url": f"https://hooks.slack.com/actions/{self._team}/{action['action_ts']}",
                "actions": [action],
            }  # fmt: skip
            if shown is not None:  # Slack sends no copy of an ephemeral message
                del payload["message"]
        return self.push_interactive(payload)
