"""Watchstander's face: ``!help`` lists its commands grouped by what people do, one line
each (a command's docstring is its line), and an unknown command gets one clear answer."""

from __future__ import annotations

import difflib
from typing import Any

from errbot import botcmd, cmdfilter
from errbot.backends.base import Message

from watchstander_errbot import plugin

GROUPS = (
    (
        "In a #support thread",
        ("claim", "unclaim", "handoff", "eta", "resolve", "answered", "thread"),
    ),
    (
        "On call",
        ("oncall", "oncall_override", "oncall_swap", "rotation", "rotation_set", "rotation_import"),
    ),
    ("Review and figures", ("threads", "review", "postmortem", "digest", "stats")),
)


class Guide(plugin.WatchstanderPlugin):
    """!help, and an answer to a command nobody knows."""

    @botcmd(name="help")
    def help_(self, msg: Message, args: str) -> None:
        """What I do, and every command with one line."""
        self.bare_command(msg, args, "!help", lambda ctx, now: ("help", self._help()))

    def _help(self) -> dict[str, Any]:
        known = self._bot.all_commands
        groups = []
        for title, names in GROUPS:
            commands = [
                {"usage": "!" + name.replace("_", " "), "help": _first_line(known[name])}
                for name in names
                if name in known
            ]
            groups.append({"title": title, "commands": commands})
        settings = self.app.settings
        return {
            "channel": self.app.channel_id,
            "oncall_handle": settings.oncall_handle,
            "emergency": " ".join("@" + tag for tag in settings.emergency_tags),
            "groups": groups,
        }

    @cmdfilter(catch_unprocessed=True)
    def unknown_command(
        self, msg: Message, cmd: str | None, args: str | None, dry_run: bool, emptycmd: bool = False
    ) -> Any:
        if not emptycmd:
            return msg, cmd, args
        prefix = self._bot.bot_config.BOT_PREFIX
        words = msg.body.strip().removeprefix(prefix).split()
        typed = words[0] if words else ""
        ours = [name.replace("_", " ") for _, names in GROUPS for name in names] + ["help"]
        close = difflib.get_close_matches(" ".join(words[:2]), ours, n=2)
        close += [c for c in difflib.get_close_matches(typed, ours, n=2) if c not in close]
        data = {"command": typed[:40], "suggestions": close[:2]}
        self.command(msg, lambda ctx, now: ("unknown_command", data))
        return None


def _first_line(command: Any) -> str:
    doc = (getattr(command, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else ""
