"""The weekly emoji review (!review [--dry-run]) and post-mortem drafts (!postmortem)."""

from __future__ import annotations

from datetime import datetime

from errbot import botcmd
from errbot.backends.base import Message

from watchstander.services.effects import CommandContext, CommandError, Note
from watchstander_errbot import plugin


class Postmortem(plugin.WatchstanderPlugin):
    """Turns the week's emoji tags into GitHub issues, once each, with a digest."""

    @botcmd
    def review(self, msg: Message, args: str) -> None:
        """The week's tags into GitHub issues, and a digest: !review [--dry-run]."""
        self.command(msg, lambda ctx, now: self._review(ctx, args, now))

    def _review(self, ctx: CommandContext, args: str, now: datetime) -> plugin.Answer:
        words = args.split()
        if any(word != "--dry-run" for word in words):
            raise CommandError("`!review` takes only `--dry-run`: try `!review --dry-run`.")
        dry_run = "--dry-run" in words
        self.app.reports.review_digest(ctx.channel, ctx.thread_ts, now, dry_run=dry_run)
        return None

    @botcmd
    def postmortem(self, msg: Message, args: str) -> None:
        """Write this thread's post-mortem draft now (in a thread)."""
        self.bare_command(msg, args, "!postmortem", self._postmortem, " in a #support thread")

    def _postmortem(self, ctx: CommandContext, now: datetime) -> plugin.Answer:
        if ctx.thread_ts is None:
            raise CommandError("`!postmortem` works inside a #support thread: reply in it.")
        answer = self.app.reports.postmortem(ctx.channel, ctx.thread_ts, now)
        if answer is None:
            return Note("⚠️ I have not seen this thread.")
        return answer
