"""The daily digest (!digest) and a week's figures with their pictures (!stats [week]); the
scheduled ones are posted by the reports service on DIGEST_SCHEDULE and REVIEW_SCHEDULE."""

from __future__ import annotations

from datetime import datetime

from errbot import botcmd
from errbot.backends.base import Message

from watchstander.domain.figures import parse_week
from watchstander.services.effects import CommandContext
from watchstander_errbot import plugin


class Digest(plugin.WatchstanderPlugin):
    """The daily digest and the weekly figures of #support."""

    @botcmd
    def digest(self, msg: Message, args: str) -> None:
        """Who is on call, open urgent threads, unanswered questions: the daily digest now."""
        self.bare_command(msg, args, "!digest", self._digest)

    def _digest(self, ctx: CommandContext, now: datetime) -> plugin.Answer:
        self.app.reports.digest(ctx.channel, ctx.thread_ts, now)
        return None

    @botcmd
    def stats(self, msg: Message, args: str) -> None:
        """A week's figures and pictures: !stats [last | this | -2 | 2026-W47 | 2026-11-16]."""
        self.command(msg, lambda ctx, now: self._stats(ctx, args, now))

    def _stats(self, ctx: CommandContext, args: str, now: datetime) -> plugin.Answer:
        week = parse_week(args, now, self.app.settings.tz)
        self.app.reports.stats(ctx.channel, ctx.thread_ts, now, week)
        return None
