"""Watches #support: every message and reaction goes to the triage service; the thread
commands are parsed here and done by the thread commands service."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from errbot import botcmd
from errbot.backends.base import REACTION_ADDED, Message, Reaction

from watchstander.inbound import Ignored
from watchstander.inbound.slack import message_from_slack, reaction_from_slack
from watchstander.services.controls import ANSWERED, Action, answered_value
from watchstander.services.inbound import InboundReaction
from watchstander.services.reactions_now import reactions_now
from watchstander_errbot import plugin

log = logging.getLogger(__name__)
IN_THREAD = " in a #support thread"


class Triage(plugin.WatchstanderPlugin):
    """Watches the support channel: levels, claims and status check-ins."""

    def callback_message(self, msg: Message) -> None:
        made = plugin.inbound_of(msg)  # the Mattermost backend's
        event = plugin.slack_event(msg)
        if (not event and made is None) or not self.ready():
            return
        text = made.text if made is not None else (event.get("message") or event).get("text")
        if (text or "").startswith(self._bot.bot_config.BOT_PREFIX):
            return  # a command: its handler records it, once
        if made is not None:
            self.app.triage.handle_message(made, self.app.clock())
            return
        try:
            inbound = message_from_slack(event, getattr(self._bot.bot_identifier, "userid", None))
        except Ignored as why:
            log.debug("ignored message: %s", why)
            return
        self.app.triage.handle_message(inbound, self.app.clock())

    def callback_reaction(self, reaction: Reaction) -> None:
        if not self.ready():
            return
        made = (reaction.reacted_to or {}).get("inbound")  # the Mattermost backend's
        if isinstance(made, InboundReaction):
            self.app.triage.handle_reaction(made, self.app.clock())
            return
        try:
            inbound = reaction_from_slack(
                reaction.reacted_to or {},
                getattr(reaction.reactor, "userid", str(reaction.reactor)),
                reaction.reaction_name,
                reaction.action == REACTION_ADDED,
                str(reaction.timestamp),
            )
        except Ignored as why:
            log.debug("ignored reaction: %s", why)
            return
        self.app.triage.handle_reaction(inbound, self.app.clock())

    def callback_reactions_now(
        self, channel: str, item_ts: str, present: set[tuple[str, str]], event_ts: str
    ) -> None:
        """The Mattermost backend's catch-up: the reactions a message shows now (person,
        name); those the thread's record holds and it no longer shows were taken away."""
        if self.ready():
            reactions_now(self.app.triage, channel, item_ts, present, event_ts, self.app.clock())

    def callback_action(self, action: Action) -> bool:
        """Claim, Resolve and the next check-in, from the controls on a thread's message, and
        "This answered it" under suggested threads: False for a control that is not these."""
        if action.action_id == ANSWERED:
            found = answered_value(action.value)  # an ephemeral message names no thread
            action = replace(action, thread_ts=found[0]) if found else action
            if self.ready():
                self.control(action, self.answered_pressed)
            return True
        if not self.app.actions.knows(action.action_id):
            return False
        if self.ready():
            self.control(action, self.app.actions.handle)
        return True

    def answered_pressed(self, action: Action, now: datetime) -> None:
        note = self.app.suggestions.answered(action, now)
        text = self.app.renderer.note(note)
        self.app.say.whisper(action.channel, action.root_ts, action.user, text)

    @botcmd
    def claim(self, msg: Message, args: str) -> None:
        """Take this thread: you will be asked for updates (in a thread)."""
        self.bare_command(msg, args, "!claim", self.app.commands.claim, IN_THREAD)

    @botcmd
    def unclaim(self, msg: Message, args: str) -> None:
        """Let go of the thread you hold (in a thread)."""
        self.bare_command(msg, args, "!unclaim", self.app.commands.unclaim, IN_THREAD)

    @botcmd
    def handoff(self, msg: Message, args: str) -> None:
        """Pass this thread on: !handoff @person (in a thread)."""
        self.command(msg, lambda ctx, now: self.app.commands.handoff(ctx, args, now))

    @botcmd
    def resolve(self, msg: Message, args: str) -> None:
        """Resolve this thread, with a note if you like: !resolve [note] (in a thread)."""
        self.command(msg, lambda ctx, now: self.app.commands.resolve(ctx, args, now))

    @botcmd
    def answered(self, msg: Message, args: str) -> None:
        """An earlier thread I offered answered this question: resolved (in a thread)."""
        self.bare_command(msg, args, "!answered", self.app.suggestions.answered_command, IN_THREAD)

    @botcmd
    def eta(self, msg: Message, args: str) -> None:
        """Set your next check-in: !eta 45m or !eta 15:30 (in a thread)."""
        self.command(msg, lambda ctx, now: self.app.commands.eta(ctx, args, now))

    @botcmd(name="thread")
    def thread_(self, msg: Message, args: str) -> None:
        """Level, assignee, watchers and times of this thread (in a thread)."""
        self.bare_command(
            msg,
            args,
            "!thread",
            lambda ctx, now: ("thread", self.app.commands.thread_info(ctx, now)),
            IN_THREAD,
        )

    @botcmd
    def threads(self, msg: Message, args: str) -> None:
        """The open threads: !threads [open|mine|breached]."""
        self.command(
            msg, lambda ctx, now: ("threads", self.app.commands.list_threads(args, ctx.user, now))
        )
