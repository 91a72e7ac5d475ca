"""The benchmark's baseline: the least a plugin can do for a post in #support (one reply in
its thread), through the same backend, Errbot and sending path as the triage plugin."""

from __future__ import annotations

from typing import Any

from errbot import BotPlugin
from errbot.backends.base import Message

SUPPORT = "C0SUPPORT"


class Echo(BotPlugin):
    """Answers each person's post in #support with one message in the post's thread."""

    _support: Any = None

    def callback_message(self, msg: Message) -> None:
        event = msg.extras.get("slack_event") or {}
        text = str(event.get("text") or "")
        if event.get("channel") != SUPPORT or event.get("bot_id") or event.get("subtype"):
            return
        if text.startswith("!") or not event.get("ts"):
            return
        if self._support is None:
            self._support = self.build_identifier(f"<#{SUPPORT}>")
        out = self._bot.build_message(f"echo: {text[:200]}")
        out.to = self._support
        out.frm = self._bot.bot_identifier
        out.extras["link_names"] = False
        out.extras["thread_ts"] = event.get("thread_ts") or event["ts"]
        self._bot.send_message(out)
