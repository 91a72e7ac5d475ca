"""Answers from past threads in the channel (issue 14): a new question in #support that
closely matches earlier resolved threads gets them once, with a "This answered it" control
that resolves it as self-served.

It runs after the post was recorded and answered (see ``TriageService.posted``): the search
never delays the bot's first reply. An emergency gets it only once its page has gone out
(PagerDuty took it, or the thread was told it failed); with paging off, never.
"""

from __future__ import annotations

import logging
from datetime import datetime

from watchstander.domain.levels import Level
from watchstander.services.answers import AnswerService, Suggestion
from watchstander.services.commands import ThreadCommands
from watchstander.services.controls import Action, answered_button, answered_value
from watchstander.services.effects import CommandContext, CommandError, Effect, Note, Speaker
from watchstander.services.inbound import InboundMessage
from watchstander.store import Store, StoreError, first_line

log = logging.getLogger(__name__)

MODES = ("ephemeral", "thread", "off")
SENT = ("triggered", "failed", "acknowledged", "resolved")  # a page that has gone out


def offered_key(thread_id: int) -> str:
    return f"answers:{thread_id}"


class Suggestions:
    """Offers earlier threads for a new question, and takes "This answered it"."""

    def __init__(
        self,
        answers: AnswerService,
        commands: ThreadCommands,
        *,
        emit: Speaker,
        mode: str = "ephemeral",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"answers mode {mode!r}: one of {', '.join(MODES)}")
        self.answers = answers
        self.commands = commands
        self.store: Store = commands.store
        self.channel_id = commands.triage.channel_id
        self.say = emit
        self.mode = mode

    def posted(self, msg: InboundMessage, now: datetime) -> None:
        """A new root post: offer it the earlier threads that may answer it, once."""
        if self.mode == "off" or msg.thread_ts or msg.is_edit or not msg.user:
            return
        if msg.channel != self.channel_id:
            return
        try:
            self._offer(msg, msg.user, now)
        except StoreError as error:  # the post is recorded and answered already: only this is lost
            log.error("no suggestions for %s: the database failed: %s", msg.ts, first_line(error))

    def _offer(self, msg: InboundMessage, poster: str, now: datetime) -> None:
        if not self.answers.askable(msg.text):
            return
        with self.store.transaction() as tx:
            state = tx.offer_state(msg.channel, msg.ts)
        if state is None:  # not stored, or offered already
            return
        thread_id, level, resolved, page = state
        if resolved or (level >= Level.EMERGENCY and page not in SENT):
            return
        found = self.answers.suggest(msg.text, now, thread_id=thread_id)
        if not found:
            return
        with self.store.transaction() as tx:
            if not tx.once(offered_key(thread_id), now):
                return  # offered meanwhile (another replica)
        self.say(self.effect(msg.channel, msg.ts, poster, found))

    def effect(self, channel: str, root_ts: str, poster: str, found: list[Suggestion]) -> Effect:
        data = {
            "poster": poster,
            "alone": self.mode == "ephemeral",
            "suggestions": [{"link": s.link, "line": s.line} for s in found],
            "question": self.answers.link(channel, root_ts),  # where to say it's answered
        }
        return Effect(
            "answers",
            channel,
            root_ts,
            data,
            controls=(answered_button(root_ts, found[0].thread_id),),
            alone=poster if self.mode == "ephemeral" else None,
        )

    # --- "This answered it" -------------------------------------------------------------------

    def answered(self, action: Action, now: datetime) -> Note:
        """Resolve the question as self-served (its poster, or whoever holds it, says an
        earlier thread answered it). A press that cannot be done raises :class:`CommandError`
        and changes nothing: a thread resolved already, someone else, a value not ours."""
        parsed = answered_value(action.value)
        if parsed is None:
            raise CommandError("That button is not one I made, so I did nothing.")
        root_ts, answer_id = parsed
        ctx = CommandContext(action.channel, action.user, action.ts, root_ts)
        return self._settle(ctx, answer_id, now)

    def answered_command(self, ctx: CommandContext, now: datetime) -> Note:
        """``!answered`` in a thread: what the button does, where no button is drawn (on
        Mattermost), for a thread that was offered earlier threads. Which of them answered
        it is not said, so none is recorded."""
        if ctx.thread_ts is None:
            raise CommandError("Say `!answered` in the thread of the question it answered.")
        return self._settle(ctx, None, now)

    def _settle(self, ctx: CommandContext, answer_id: int | None, now: datetime) -> Note:
        root_ts = ctx.thread_ts or ctx.ts
        with self.store.transaction() as tx:
            thread = tx.thread(ctx.channel, root_ts)
            if thread is None or ctx.channel != self.channel_id:
                raise CommandError("I have not seen this question's post, so I did nothing.")
            if thread.resolved_at is not None:
                raise CommandError("This thread is resolved already: nothing changed.")
            if ctx.user not in (thread.poster, thread.assignee):
                raise CommandError(
                    "Only the person who asked, or whoever holds the thread, can say an earlier "
                    "thread answered it; `!resolve` in the thread resolves it otherwise."
                )
            link = ""
            if answer_id is not None:
                answer = tx.thread_by_id(answer_id)
                if answer is None or answer.resolved_at is None or answer.id == thread.id:
                    raise CommandError(
                        "That earlier thread is not one I suggested, so I did nothing."
                    )
                link = ": " + self.answers.link(answer.channel, answer.root_ts)
            elif not tx.claimed_once(offered_key(thread.id)):
                raise CommandError(
                    "I offered no earlier threads here, so I did nothing: "
                    "`!resolve` resolves the thread."
                )
            thread_id = thread.id
        self.commands.resolve(ctx, f"answered by an earlier thread{link}", now)
        with self.store.transaction() as tx:
            tx.add_self_served(f"thread:{thread_id}", now, ctx.user, "thread", thread_id, answer_id)
        return Note("Resolved: the earlier thread answered it. Thanks for saying so.")
