"""Who is on call: !oncall, overrides, swaps and the rotation. Parses, calls the rotation
service, names the template."""

from __future__ import annotations

from errbot import botcmd
from errbot.backends.base import Message

from watchstander_errbot import plugin


class OnCall(plugin.WatchstanderPlugin):
    """Who is on call, the rotation, overrides and swaps."""

    def callback_home(self, user: str) -> bool:
        """The person opened the bot's Home: their open threads, who is on call, the next
        handoff."""
        if not self.ready():
            return True
        return self.app.home.opened(user, self.app.clock())

    @botcmd
    def oncall(self, msg: Message, args: str) -> None:
        """Who is on call now, until when, and who is next."""
        self.command(msg, lambda ctx, now: ("oncall", self.app.rotation.summary(now, args)))

    @botcmd
    def oncall_override(self, msg: Message, args: str) -> None:
        """Put someone on call: !oncall override @person 2h (or from 18:00 to 22:00). Admins."""
        self.command(
            msg, lambda ctx, now: ("override", self.app.rotation.override(ctx.user, args, now))
        )

    @botcmd
    def oncall_swap(self, msg: Message, args: str) -> None:
        """Swap two people's next shifts: !oncall swap @a @b. Admins."""
        self.command(msg, lambda ctx, now: ("swap", self.app.rotation.swap(ctx.user, args, now)))

    @botcmd
    def rotation(self, msg: Message, args: str) -> None:
        """The rotation: the order, the shift, the handoff and the next four weeks."""
        self.command(
            msg,
            lambda ctx, now: (
                "rotation",
                {**self.app.rotation.show(now, args), "feed": self.app.calendar_url()},
            ),
        )

    @botcmd
    def rotation_set(self, msg: Message, args: str) -> None:
        """Set it: !rotation set @a @b @c [every 1w] [handoff mon 10:00]. Admins."""
        self.command(
            msg,
            lambda ctx, now: (
                "rotation",
                {
                    **self.app.rotation.set_rotation(ctx.user, args, now),
                    "feed": self.app.calendar_url(),
                },
            ),
        )

    @botcmd
    def rotation_import(self, msg: Message, args: str) -> None:
        """Make the rotation from a calendar feed, once: !rotation import <url>. Admins."""
        self.command(
            msg,
            lambda ctx, now: ("imported", self.app.rotation_import.run(ctx.user, args, now)),
        )
