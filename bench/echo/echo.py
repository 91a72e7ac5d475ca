"""The benchmark's baseline: the least a plugin can do for a post in #support (one reply in
its thread), through the same backend, Errbot and sending path as the triage plugin (Slack's,
or Mattermost's: then the post comes as the backend's ``mattermost_post``)."""

from __future__ import annotations

from typing import Any

from errbot import BotPlugin
from errbot.backends.base import Message

SUPPORT = "C0SUPPORT"


class Echo(BotPlugin):
    """Answers each person's post in #support with one message in the post's thread."""

    _support: Any = None

    def callback_message(self, msg: Message) -> None:
        post = msg.extras.get("mattermost_post")
        if post is not None:
            self._mattermost(msg, post)
            return
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

    def _mattermost(self, msg: Message, post: Any) -> None:
        text = str(post.get("message") or "")
        if text.startswith("!") or post.get("type") or not msg.is_group:
            return
        out = self._bot.build_reply(msg, f"echo: {text[:200]}")
        self._bot.send_message(out)  # in the post's thread (the backend's send_message)
