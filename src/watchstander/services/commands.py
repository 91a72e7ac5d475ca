"""The thread commands: ``!claim``, ``!unclaim``, ``!handoff``, ``!resolve``, ``!eta``,
``!thread`` and ``!threads``. Each checks what it may, records the command as an event of the
thread (once: its key is the command's own message), and lets triage say what changed.

A command that cannot be done raises :class:`CommandError` with one line saying why; it
changes nothing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from watchstander.domain.durations import DurationError, format_duration
from watchstander.domain.durations import parse_when as parse_when_text
from watchstander.domain.levels import Level
from watchstander.domain.markup import PERSON_ID, first_line
from watchstander.domain.thread import Kind, ThreadState
from watchstander.logs import in_thread
from watchstander.services.effects import (
    CommandContext,
    CommandError,
    Mention,
    Note,
    PeoplePort,
)
from watchstander.services.inbound import ts_to_datetime
from watchstander.services.thread_state import event_of, load_state
from watchstander.services.triage import TriageService
from watchstander.store import EventRow, ThreadRow

_BARE_ID = re.compile(r"[A-Za-z0-9]{8,64}")  # a person's id typed as it is (U024BE7LH)
LISTS = ("open", "mine", "breached")


class ThreadCommands:
    def __init__(self, triage: TriageService, people: PeoplePort | None = None) -> None:
        self.triage = triage
        self.store = triage.store
        self.people = people  # who the chat platform knows (None: it cannot say)

    def claim(self, ctx: CommandContext, now: datetime) -> Note | None:
        state = self._thread(ctx)
        if state.assignee == ctx.user:
            raise CommandError("You already have this thread.")
        if state.assignee is not None:
            raise CommandError(
                "{holder} has this thread: ask them to `!handoff` it to you, "
                "or add 👀 to watch it.",
                holder=Mention(state.assignee),
            )
        self._record(ctx, Kind.CLAIM, now)
        return None if state.level >= Level.URGENT else Note("Noted: this thread is yours.")

    def unclaim(self, ctx: CommandContext, now: datetime) -> Note | None:
        state = self._thread(ctx)
        if state.assignee != ctx.user:
            if state.assignee is None:
                raise CommandError("You do not hold this thread (nobody does).")
            raise CommandError(
                "You do not hold this thread ({holder} does).", holder=Mention(state.assignee)
            )
        self._record(ctx, Kind.UNCLAIM, now)
        return None if state.level >= Level.URGENT else Note("Released: this thread is unclaimed.")

    def handoff(self, ctx: CommandContext, target: str, now: datetime) -> Note | None:
        person = parse_user(target)
        if self.people is not None and not self.people.exists(person):
            raise CommandError(
                "'{person}' is not a person in this workspace: try `!handoff @alice`",
                person=person,
            )
        state = self._thread(ctx)
        if state.assignee not in (None, ctx.user):
            raise CommandError(
                "Only {holder}, who holds this thread, can hand it off.",
                holder=Mention(str(state.assignee)),
            )
        if person == state.assignee:
            raise CommandError("{person} already has this thread.", person=Mention(person))
        self._record(ctx, Kind.HANDOFF, now, target=person)
        return (
            None
            if state.level >= Level.URGENT
            else Note("Handed to {person}.", person=Mention(person))
        )

    def resolve(self, ctx: CommandContext, note: str, now: datetime) -> Note | None:
        state = self._thread(ctx)
        self._record(ctx, Kind.RESOLVE, now, text=note.strip()[:2000])
        return None if state.level >= Level.URGENT else Note("Resolved.")

    def eta(self, ctx: CommandContext, when: str, now: datetime) -> Note | None:
        state = self._thread(ctx)
        try:
            until = parse_when_text(when, ts_to_datetime(ctx.ts), self.triage.settings.tz)
        except DurationError as exc:
            raise CommandError("{why}. Example: `!eta 45m` or `!eta 15:30`", why=exc) from None
        if state.assignee != ctx.user:
            if state.assignee is None:
                raise CommandError(
                    "Only the assignee sets the next check-in (it is nobody yet): "
                    "`!claim` it first."
                )
            raise CommandError(
                "Only the assignee sets the next check-in (it is {holder}): `!claim` it first.",
                holder=Mention(state.assignee),
            )
        if state.level < Level.URGENT:
            raise CommandError("Check-ins are only kept on urgent and emergency threads.")
        self._record(ctx, Kind.ETA, now, until=until)
        return None

    def thread_info(self, ctx: CommandContext, now: datetime) -> dict[str, Any]:
        state = self._thread(ctx, open_only=False)
        clock = self.triage.clock
        return {
            "level": state.level.label,
            "poster": state.poster,
            "summary": first_line(state.root_text) or "(root post not seen)",
            "assignee": state.assignee,
            "watchers": list(state.watchers),
            "posted": clock(state.posted_at, now),
            "claimed": clock(state.claimed_at, now),
            "first_response": clock(state.first_response_at, now),
            "resolved": clock(state.resolved_at, now),
            "resolved_by": state.resolved_by,
            "quietly": state.closed_quietly,
            "close_after": format_duration(self.triage.policy.general_close_after),
            "next_checkin": clock(state.next_checkin_at, now) if state.watched else None,
            "breached": state.breached,
            "updates": len(state.updates),
        }

    def list_threads(self, which: str, user: str, now: datetime) -> dict[str, Any]:
        which = (which or "open").strip().lower()
        if which not in LISTS:
            raise CommandError(
                "'{which}' is not a list I keep: try `!threads`, `!threads mine` "
                "or `!threads breached`",
                which=which[:30],
            )
        with self.store.transaction() as tx:
            rows = tx.threads(
                assignee=user if which == "mine" else None,
                breached=True if which == "breached" else None,
            )
            items = [summary(row, now) for row in rows]
        return {"which": which, "threads": items}

    def _thread(self, ctx: CommandContext, *, open_only: bool = True) -> ThreadState:
        if ctx.thread_ts is None:
            raise CommandError(
                "This command works inside a #support thread: reply in the thread with it."
            )
        if ctx.channel != self.triage.channel_id:
            raise CommandError("This thread is not in the support channel I watch.")
        with self.store.transaction() as tx:
            thread = tx.thread(ctx.channel, ctx.thread_ts)
            if thread is None:
                raise CommandError("I have not seen this thread's post, so I cannot track it.")
            state = load_state(tx, thread, self.triage.policy)
        if open_only and not state.is_open:
            raise CommandError("This thread is resolved already.")
        return state

    def _record(
        self,
        ctx: CommandContext,
        kind: Kind,
        now: datetime,
        *,
        text: str = "",
        target: str = "",
        until: datetime | None = None,
    ) -> None:
        assert ctx.thread_ts is not None
        triage = self.triage
        with in_thread(ctx.channel, ctx.thread_ts), triage.locked(ctx.channel, ctx.thread_ts) as tx:
            thread = tx.thread(ctx.channel, ctx.thread_ts, lock=True)
            assert thread is not None
            row = EventRow(
                event_key=f"cmd:{ctx.channel}:{ctx.ts}",
                thread_id=thread.id,
                channel=ctx.channel,
                item_ts=ctx.ts,
                kind=kind.value,
                ts=ctx.ts,
                actor=ctx.user,
                at=ts_to_datetime(ctx.ts),
                text=text,
                target=target,
                until=until,
            )
            if not tx.add_event(row):
                return
            tx.audit(now, ctx.user, kind.value, thread, target or text)
            outcome = triage.refresh(tx, thread, [event_of(row, thread.root_ts)], now)
        triage.after(outcome, now)


def parse_user(text: str) -> str:
    """A person from a mention (``<@ID>`` in the core's markup) or an id typed bare (the
    people port then says whether the platform knows it)."""
    text = (text or "").strip()
    match = PERSON_ID.fullmatch(text)
    if match:
        return match.group(1)
    if _BARE_ID.fullmatch(text) and any(ch.isdigit() for ch in text):
        return text
    raise CommandError(
        "'{text}' is not a person I know: mention them, like `!handoff @alice`",
        text=" ".join(text.split())[:40],
    )


def summary(row: ThreadRow, now: datetime) -> dict[str, Any]:
    """A thread as the lists show it."""
    return {
        "channel": row.channel,
        "root_ts": row.root_ts,
        "level": Level(row.level).label,
        "summary": first_line(row.root_text, 60) or "(root post not seen)",
        "assignee": row.assignee,
        "age": format_duration(now - (row.posted_at or row.created_at)),
        "breached": row.breached,
    }
