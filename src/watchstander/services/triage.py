"""Triage use cases: record #support traffic, decide with the domain, store, say what to say.

Every entry point takes ``now``; nothing here reads a clock. Messages to the channel go out
as :class:`Effect` records through the ``emit`` callable the plugin supplies (which renders
their template), after the transaction that decided them has committed.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from watchstander.domain.durations import DurationError, format_duration, parse_commitment
from watchstander.domain.durations import parse_when as parse_when_text
from watchstander.domain.levels import Level, first_line, parse_level
from watchstander.domain.thread import (
    Change,
    Due,
    Event,
    Kind,
    Said,
    ThreadState,
    changes,
    due,
    next_due,
    replay,
    said_after,
)
from watchstander.services.inbound import (
    InboundMessage,
    InboundReaction,
    datetime_to_ts,
    ts_to_datetime,
)
from watchstander.services.oncall import OnCall
from watchstander.settings import Settings
from watchstander.store import EventRow, Store, ThreadRow, Tx

log = logging.getLogger(__name__)

_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class Effect:
    """Something to post: a template name and its data, in a thread of a channel."""

    template: str
    channel: str
    thread_ts: str | None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PageOp:
    """A PagerDuty event to send once the transaction that decided it has committed."""

    action: str  # trigger | acknowledge | resolve
    dedup_key: str
    channel: str
    thread_ts: str
    summary: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    effects: list[Effect]
    timer: tuple[str, str, datetime | None] | None
    pages: list[PageOp] = field(default_factory=list)


class PagerPort(Protocol):
    def trigger(
        self,
        dedup_key: str,
        summary: str,
        source: str,
        *,
        severity: str = ...,
        link: str | None = ...,
        details: Mapping[str, Any] | None = ...,
    ) -> None: ...

    def acknowledge(self, dedup_key: str) -> None: ...

    def resolve(self, dedup_key: str) -> None: ...


class CommandError(ValueError):
    """A command that cannot be done; the message is the one line to show."""


class Timers(Protocol):
    def set(self, channel: str, root_ts: str, at: datetime | None) -> None: ...


class NoTimers:
    def set(self, channel: str, root_ts: str, at: datetime | None) -> None:
        return None


@dataclass(frozen=True)
class CommandContext:
    channel: str
    user: str
    ts: str
    thread_ts: str | None


class TriageService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        channel_id: str,
        emit: Callable[[Effect], None],
        oncall: Callable[[datetime], OnCall],
        timers: Timers | None = None,
        group_handles: Callable[[], Mapping[str, str]] | None = None,
        pager: PagerPort | None = None,
        link: Callable[[str, str], str] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.policy = settings.policy
        self.channel_id = channel_id
        self.emit = emit
        self.oncall = oncall
        self.timers: Timers = timers or NoTimers()
        self._group_handles = group_handles or (lambda: {})
        self.pager = pager
        self._link = link
        self._locks = [threading.Lock() for _ in range(64)]

    # --- Slack events -------------------------------------------------------------------------

    def handle_message(self, msg: InboundMessage, now: datetime) -> bool:
        """Record a message of the support channel; False when it changed nothing."""
        if msg.from_bot or not msg.user or msg.channel != self.channel_id or not msg.ts:
            return False
        at = ts_to_datetime(msg.edited_ts or msg.ts)
        level = self._level(msg.text)
        kind = Kind.EDIT if msg.is_edit else Kind.POST if msg.thread_ts is None else Kind.REPLY
        until = parse_commitment(msg.text, at, self.settings.tz) if kind is Kind.REPLY else None
        with self._lock(msg.channel, msg.root_ts, msg.ts), self.store.transaction() as tx:
            thread, made = tx.ensure_thread(
                msg.channel, msg.root_ts, now, likely_new=kind is Kind.POST
            )
            row = EventRow(
                event_key=msg.key,
                thread_id=thread.id,
                channel=msg.channel,
                item_ts=msg.ts,
                kind=kind.value,
                ts=msg.edited_ts or msg.ts,
                actor=msg.user,
                at=at,
                text=msg.text,
                level=int(level),
                until=until,
            )
            if not tx.add_event(row):
                return False
            event = self._event(row, thread)
            adopted = 0
            if msg.is_edit:
                tx.update_message_text(msg.channel, msg.ts, msg.text)
            else:
                tx.add_message(thread, msg.ts, msg.user, msg.text, at)
                adopted = tx.adopt_orphans(thread, msg.ts)
            # A thread this call made holds only this event (and what it adopted).
            known = [event] if made and not adopted else None
            outcome = self._refresh(tx, thread, [event], now, events=known)
        self._after(outcome, now)
        return True

    def handle_reaction(self, reaction: InboundReaction, now: datetime) -> bool:
        if reaction.channel != self.channel_id:
            return False
        at = ts_to_datetime(reaction.event_ts)
        kind = Kind.REACTION_ADDED if reaction.added else Kind.REACTION_REMOVED
        with self.store.transaction() as probe:
            known = probe.thread_of_message(reaction.channel, reaction.item_ts)
            root_ts = known.root_ts if known else None
        lock_key = root_ts or reaction.item_ts
        with self._lock(reaction.channel, lock_key), self.store.transaction() as tx:
            thread = tx.thread_of_message(reaction.channel, reaction.item_ts)
            if thread is not None:
                thread = tx.thread(thread.channel, thread.root_ts, lock=True)
            row = EventRow(
                event_key=reaction.key,
                thread_id=None if thread is None else thread.id,
                channel=reaction.channel,
                item_ts=reaction.item_ts,
                kind=kind.value,
                ts=reaction.event_ts,
                actor=reaction.user,
                at=at,
                reaction=reaction.name[:100],
            )
            if not tx.add_event(row):
                return False
            if thread is None:
                log.debug("reaction on a message not seen yet; kept until it arrives")
                return True
            outcome = self._refresh(tx, thread, [self._event(row, thread)], now)
        self._after(outcome, now)
        return True

    # --- timers -------------------------------------------------------------------------------

    def on_timer(self, channel: str, root_ts: str, now: datetime) -> list[Effect]:
        """Take every timed action of the thread that has come due (each once)."""
        taken: list[Effect] = []
        escalated = False
        with self._lock(channel, root_ts), self.store.transaction() as tx:
            thread = tx.thread(channel, root_ts, lock=True)
            if thread is None:
                return []
            for _ in range(8):
                state = self._replay(tx, thread)
                action = due(state, self.policy, now)
                if action is None:
                    break
                if tx.record_action(thread, action.kind.value, action.at, now):
                    taken.append(self._action_effect(thread, state, action, now))
                    escalated = escalated or (
                        action.kind is Kind.ESCALATION and state.level is Level.EMERGENCY
                    )
                    tx.audit(now, None, action.kind.value, thread, f"due {action.at.isoformat()}")
            outcome = self._refresh(tx, thread, [], now, reschedule=True)
            if escalated and self.pager is not None and tx.page(thread) is not None:
                state = self._replay(tx, thread)
                outcome.pages.append(self._page_op("trigger", thread, state, escalated=True))
        outcome.effects[:0] = taken
        self._after(outcome, now)
        return taken

    def run_due(self, now: datetime, batch: int = 200) -> int:
        """Take the timed actions of every thread that has one due by ``now``."""
        done = 0
        while True:
            with self.store.transaction() as tx:
                due_now = tx.due_threads(now, batch)
            for channel, root_ts in due_now:
                try:
                    self.on_timer(channel, root_ts, now)
                except Exception:
                    log.exception("timed action of %s/%s failed; it stays due", channel, root_ts)
            done += len(due_now)
            if len(due_now) < batch:
                return done

    def earliest_due(self) -> datetime | None:
        with self.store.transaction() as tx:
            return tx.earliest_due()

    # --- commands -----------------------------------------------------------------------------

    def claim(self, ctx: CommandContext, now: datetime) -> str | None:
        state = self._command_thread(ctx)
        if state.assignee == ctx.user:
            raise CommandError("You already have this thread.")
        if state.assignee is not None:
            raise CommandError(
                f"<@{state.assignee}> has this thread: ask them to `!handoff` it to you, "
                "or add 👀 to watch it."
            )
        self._record_command(ctx, Kind.CLAIM, now)
        return None if state.level >= Level.URGENT else "Noted: this thread is yours."

    def unclaim(self, ctx: CommandContext, now: datetime) -> str | None:
        state = self._command_thread(ctx)
        if state.assignee != ctx.user:
            holder = f"<@{state.assignee}> does" if state.assignee else "nobody does"
            raise CommandError(f"You do not hold this thread ({holder}).")
        self._record_command(ctx, Kind.UNCLAIM, now)
        return None if state.level >= Level.URGENT else "Released: this thread is unclaimed."

    def handoff(self, ctx: CommandContext, target: str, now: datetime) -> str | None:
        target = self.parse_user(target)
        state = self._command_thread(ctx)
        if state.assignee not in (None, ctx.user):
            raise CommandError(f"Only <@{state.assignee}>, who holds this thread, can hand it off.")
        if target == state.assignee:
            raise CommandError(f"<@{target}> already has this thread.")
        self._record_command(ctx, Kind.HANDOFF, now, target=target)
        return None if state.level >= Level.URGENT else f"Handed to <@{target}>."

    def resolve(self, ctx: CommandContext, note: str, now: datetime) -> str | None:
        state = self._command_thread(ctx)
        self._record_command(ctx, Kind.RESOLVE, now, text=note.strip()[:2000])
        return None if state.level >= Level.URGENT else "Resolved."

    def eta(self, ctx: CommandContext, when: str, now: datetime) -> str | None:
        state = self._command_thread(ctx)
        at = ts_to_datetime(ctx.ts)
        try:
            until = parse_when_text(when, at, self.settings.tz)
        except DurationError as exc:
            raise CommandError(f"{exc}. Example: `!eta 45m` or `!eta 15:30`") from None
        if state.assignee != ctx.user:
            who = f"<@{state.assignee}>" if state.assignee else "nobody yet"
            raise CommandError(
                f"Only the assignee sets the next check-in (it is {who}): `!claim` it first."
            )
        if state.level < Level.URGENT:
            raise CommandError("Check-ins are only kept on urgent and emergency threads.")
        self._record_command(ctx, Kind.ETA, now, until=until)
        return None

    def thread_info(self, ctx: CommandContext, now: datetime) -> dict[str, Any]:
        state = self._command_thread(ctx)
        return {
            "level": state.level.label,
            "poster": state.poster,
            "summary": first_line(state.root_text) or "(root post not seen)",
            "assignee": state.assignee,
            "watchers": list(state.watchers),
            "posted": self._clock(state.posted_at, now),
            "claimed": self._clock(state.claimed_at, now),
            "first_response": self._clock(state.first_response_at, now),
            "resolved": self._clock(state.resolved_at, now),
            "resolved_by": state.resolved_by,
            "next_checkin": self._clock(state.next_checkin_at, now) if state.watched else None,
            "breached": state.breached,
            "updates": len(state.updates),
        }

    def list_threads(self, which: str, user: str, now: datetime) -> dict[str, Any]:
        which = (which or "open").strip().lower()
        if which not in ("open", "mine", "breached"):
            raise CommandError(
                f"'{which[:30]}' is not a list I keep: try `!threads`, `!threads mine` "
                "or `!threads breached`"
            )
        with self.store.transaction() as tx:
            rows = tx.threads(
                assignee=user if which == "mine" else None,
                breached=True if which == "breached" else None,
            )
            items = [self._summary(row, now) for row in rows]
        return {"which": which, "threads": items}

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def parse_user(text: str) -> str:
        text = (text or "").strip()
        match = _USER.match(text)
        if match:
            return match.group(1)
        if re.fullmatch(r"[UW][A-Z0-9]{2,}", text):
            return text
        raise CommandError(
            f"'{text[:40]}' is not a person I know: mention them, like `!handoff @alice`"
        )

    @contextmanager
    def _lock(self, channel: str, *keys: str) -> Iterator[None]:
        """Serialise work on the same thread (or message) in this process.

        Striped locks, taken in stripe order so that two callers never wait on each other.
        """
        stripes = sorted({hash((channel, key)) % len(self._locks) for key in keys})
        with ExitStack() as stack:
            for stripe in stripes:
                stack.enter_context(self._locks[stripe])
            yield

    def _level(self, text: str) -> Level:
        return parse_level(
            text,
            oncall_handle=self.settings.oncall_handle,
            emergency_tags=self.settings.emergency_tags,
            group_handles=self._group_handles(),
        ).level

    def _command_thread(self, ctx: CommandContext) -> ThreadState:
        if ctx.thread_ts is None:
            raise CommandError(
                "This command works inside a #support thread: reply in the thread with it."
            )
        if ctx.channel != self.channel_id:
            raise CommandError("This thread is not in the support channel I watch.")
        with self.store.transaction() as tx:
            thread = tx.thread(ctx.channel, ctx.thread_ts)
            if thread is None:
                raise CommandError("I have not seen this thread's post, so I cannot track it.")
            state = self._replay(tx, thread)
        if not state.is_open:
            raise CommandError("This thread is resolved already.")
        return state

    def _record_command(
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
        with self._lock(ctx.channel, ctx.thread_ts), self.store.transaction() as tx:
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
            outcome = self._refresh(tx, thread, [self._event(row, thread)], now)
        self._after(outcome, now)

    def _event(self, row: EventRow, thread: ThreadRow) -> Event:
        return Event(
            kind=Kind(row.kind),
            ts=row.ts,
            actor=row.actor,
            at=row.at,
            text=row.text or "",
            level=Level(row.level or 0),
            reaction=row.reaction or "",
            target=row.target or "",
            on_root=row.item_ts == thread.root_ts,
            until=row.until,
        )

    def _replay(self, tx: Tx, thread: ThreadRow, events: list[Event] | None = None) -> ThreadState:
        if events is not None:  # a new thread: nothing else is stored for it yet
            return replay(events, self.policy)
        events = [self._event(row, thread) for row in tx.events(thread)]
        events += [
            Event(kind=Kind(a.kind), ts=datetime_to_ts(a.sent_at), actor=None, at=a.sent_at)
            for a in tx.actions(thread)
        ]
        return replay(events, self.policy)

    def _refresh(
        self,
        tx: Tx,
        thread: ThreadRow,
        new: Iterable[Event],
        now: datetime,
        *,
        reschedule: bool = False,
        events: list[Event] | None = None,
    ) -> Outcome:
        """Replay, store the new state, and say what changed. The timer comes back only when
        the thread's next due time moved (or ``reschedule``: its job has just run)."""
        due_before = thread.next_due_at
        state = self._replay(tx, thread, events)
        said = Said(
            level=Level(thread.said_level),
            assignee=thread.said_assignee,
            resolved=thread.said_resolved,
            next_checkin_at=thread.said_next_checkin_at,
        )
        found = changes(said, state, list(new))
        holder = (thread.assignee, thread.claimed_at, thread.resolved_at)
        self._store_state(tx, thread, state, now)
        if holder != (thread.assignee, thread.claimed_at, thread.resolved_at):
            tx.sync_claims(thread, [(c.user, c.at, c.released_at) for c in state.claims])
        effects = [self._change_effect(thread, state, change, now) for change in found]
        for change in found:
            tx.audit(now, change.assignee, f"said:{change.kind}", thread, change.level.label)
        pages = self._pages(tx, thread, state, said, found, now)
        if not reschedule and thread.next_due_at == due_before:
            return Outcome(effects, None, pages)
        return Outcome(effects, (thread.channel, thread.root_ts, thread.next_due_at), pages)

    def _pages(
        self,
        tx: Tx,
        thread: ThreadRow,
        state: ThreadState,
        said: Said,
        found: list[Change],
        now: datetime,
    ) -> list[PageOp]:
        """The PagerDuty events these changes call for: a thread is paged once, ever."""
        if self.pager is None:
            return []
        ops = []
        emergency = any(c.kind == "announce" and c.level is Level.EMERGENCY for c in found)
        if emergency and tx.add_page_once(thread, self.dedup_key(thread), now):
            ops.append(self._page_op("trigger", thread, state))
        page = tx.page(thread) if not ops else None
        if page is not None and page.status not in ("resolved",):
            if not state.is_open and not said.resolved:
                ops.append(self._page_op("resolve", thread, state))
            elif state.assignee is not None and said.assignee is None:
                ops.append(self._page_op("acknowledge", thread, state))
        return ops

    def dedup_key(self, thread: ThreadRow) -> str:
        return f"watchstander/{thread.channel}/{thread.root_ts}"

    def _page_op(
        self, action: str, thread: ThreadRow, state: ThreadState, *, escalated: bool = False
    ) -> PageOp:
        summary = first_line(state.root_text, 900) or "(the post was not seen)"
        if escalated:
            summary = f"Escalated, no update after two check-ins: {summary}"
        details = {
            "level": state.level.label,
            "poster": state.poster or "",
            "assignee": state.assignee or "",
            "thread": self._link(thread.channel, thread.root_ts) if self._link else "",
        }
        return PageOp(
            action, self.dedup_key(thread), thread.channel, thread.root_ts, summary, details
        )

    def _store_state(self, tx: Tx, thread: ThreadRow, state: ThreadState, now: datetime) -> None:
        upcoming = next_due(state, self.policy)
        said = said_after(state)
        tx.save_thread(
            thread,
            {
                "poster": state.poster,
                "root_text": state.root_text,
                "level": int(state.level),
                "posted_at": state.posted_at,
                "raised_at": state.raised_at,
                "assignee": state.assignee,
                "claimed_at": state.claimed_at,
                "watchers": json.dumps(state.watchers),
                "first_response_at": state.first_response_at,
                "last_update_at": state.last_update_at,
                "next_checkin_at": state.next_checkin_at,
                "breached": state.breached,
                "resolved_at": state.resolved_at,
                "resolved_by": state.resolved_by,
                "resolve_note": state.resolve_note,
                "next_due_at": upcoming.at if upcoming else None,
                "next_due_kind": upcoming.kind.value if upcoming else None,
                "said_level": int(said.level),
                "said_assignee": said.assignee,
                "said_resolved": said.resolved,
                "said_next_checkin_at": said.next_checkin_at,
                "updated_at": now,
            },
        )

    def _after(self, outcome: Outcome, now: datetime) -> None:
        """Page first (for an emergency that is what matters most), then say what was
        decided and how the page went, then (re)schedule the thread's timer."""
        triggers = [op for op in outcome.pages if op.action == "trigger"]
        results = [self._send_page(op, now) for op in triggers]
        for effect in outcome.effects:
            self._say(effect)
        for result in results:
            if result is not None:
                self._say(result)
        for op in outcome.pages:
            if op.action != "trigger":
                self._send_page(op, now)
        if outcome.timer is not None:
            self.timers.set(*outcome.timer)

    def _say(self, effect: Effect) -> None:
        try:
            self.emit(effect)
        except Exception:
            log.exception("could not post %s in %s", effect.template, effect.thread_ts)

    def _send_page(self, op: PageOp, now: datetime) -> Effect | None:
        """Send one PagerDuty event and record how it went; a trigger's outcome is said."""
        assert self.pager is not None
        error = ""
        try:
            if op.action == "trigger":
                source = f"#{self.settings.support_channel}"
                link = op.details.get("thread") or None
                self.pager.trigger(op.dedup_key, op.summary, source, link=link, details=op.details)
            elif op.action == "acknowledge":
                self.pager.acknowledge(op.dedup_key)
            else:
                self.pager.resolve(op.dedup_key)
        except Exception as exc:  # the adapter's PagerError, or anything it let through
            error = str(exc) or type(exc).__name__
            log.warning("PagerDuty %s for %s failed: %s", op.action, op.thread_ts, error)
        status = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}
        with self.store.transaction() as tx:
            if op.action == "trigger":
                tx.set_page_status(op.dedup_key, "failed" if error else "triggered", error, now)
            elif not error:
                tx.set_page_status(op.dedup_key, status[op.action], "", now)
        if op.action != "trigger":
            return None
        oncall = self.oncall(now)
        data = {"oncall": oncall.primary, "secondary": oncall.secondary, "error": error}
        return Effect("page_failed" if error else "paged", op.channel, op.thread_ts, data)

    def pagerduty_event(self, kind: str, dedup_key: str, agent: str, now: datetime) -> bool:
        """A PagerDuty webhook: an acknowledge or resolve done there is said in the thread,
        once. False when it is not about one of our pages (or changes nothing)."""
        status = {"incident.acknowledged": "acknowledged", "incident.resolved": "resolved"}
        if kind not in status or not dedup_key.startswith("watchstander/"):
            return False
        _, channel, root_ts = dedup_key.split("/", 2)
        with self.store.transaction() as tx:
            thread = tx.thread(channel, root_ts, lock=True)
            page = tx.page(thread) if thread is not None else None
            if page is None or page.status in (status[kind], "resolved"):
                return False
            tx.set_page_status(dedup_key, status[kind], "", now)
            tx.audit(now, None, f"pagerduty:{status[kind]}", thread, agent[:200])
        self._say(Effect(f"pd_{status[kind]}", channel, root_ts, {"agent": agent[:200]}))
        return True

    def story(
        self, channel: str, root_ts: str
    ) -> tuple[ThreadState, datetime | None, datetime | None, list[tuple[str, str]]] | None:
        """What a post-mortem needs: the state, when it was paged and acknowledged, its bugs."""
        with self.store.transaction() as tx:
            thread = tx.thread(channel, root_ts)
            if thread is None:
                return None
            state = self._replay(tx, thread)
            page = tx.page(thread)
            bugs = [
                (first_line(state.root_text, 60), row.url)
                for row in tx.issues_for([thread.id])
                if row.kind == "bug" and row.status == "made"
            ]
        paged = page.created_at if page is not None else None
        acked = page.updated_at if page is not None and page.status == "acknowledged" else None
        return state, paged, acked, bugs

    def resume_pages(self, now: datetime) -> int:
        """Send again the triggers a restart interrupted (the dedup key keeps it one alert)."""
        if self.pager is None:
            return 0
        with self.store.transaction() as tx:
            pending = [(p.thread_id, p.dedup_key) for p in tx.pending_pages()]
        for _, key in pending:
            _, channel, root_ts = key.split("/", 2)
            with self.store.transaction() as tx:
                thread = tx.thread(channel, root_ts)
                if thread is None:
                    continue
                op = self._page_op("trigger", thread, self._replay(tx, thread))
            result = self._send_page(op, now)
            if result is not None:
                self._say(result)
        return len(pending)

    def _change_effect(
        self, thread: ThreadRow, state: ThreadState, change: Change, now: datetime
    ) -> Effect:
        data = self._about(change.level, change.assignee, now)
        data.update(
            {
                "previous": change.previous,
                "poster": state.poster,
                "next_checkin": self._clock(change.at, now),
                "resolved_by": state.resolved_by,
                "note": state.resolve_note,
                "paging": self.pager is not None,
            }
        )
        return Effect(change.kind, thread.channel, thread.root_ts, data)

    def _about(self, level: Level, assignee: str | None, now: datetime) -> dict[str, Any]:
        """What every message about a thread can name: its level, its assignee, who is on call."""
        oncall = self.oncall(now)
        return {
            "level": level.label,
            "emergency": level is Level.EMERGENCY,
            "assignee": assignee,
            "oncall": oncall.primary,
            "secondary": oncall.secondary,
        }

    def _action_effect(
        self, thread: ThreadRow, state: ThreadState, action: Due, now: datetime
    ) -> Effect:
        oncall = self.oncall(now)
        escalate_to = oncall.primary
        if escalate_to in (None, state.assignee):
            escalate_to = oncall.secondary
        interval = self.policy.interval(state.level)
        data = self._about(state.level, state.assignee, now)
        data.update(
            {
                "escalate_to": escalate_to,
                "age": format_duration(now - (state.raised_at or now)),
                "next_checkin": self._clock(now + interval, now),
                "unanswered": state.unanswered,
            }
        )
        return Effect(action.kind.value, thread.channel, thread.root_ts, data)

    def _summary(self, row: ThreadRow, now: datetime) -> dict[str, Any]:
        return {
            "channel": row.channel,
            "root_ts": row.root_ts,
            "level": Level(row.level).label,
            "summary": first_line(row.root_text, 60) or "(root post not seen)",
            "assignee": row.assignee,
            "age": format_duration(now - (row.posted_at or row.created_at)),
            "breached": row.breached,
        }

    def _clock(self, at: datetime | None, now: datetime) -> str | None:
        if at is None:
            return None
        local = at.astimezone(self.settings.tz).strftime("%H:%M")
        delta = at - now
        if abs(delta) >= timedelta(minutes=1):
            delta = timedelta(minutes=round(delta.total_seconds() / 60))
        if delta.total_seconds() >= 0:
            return f"{local} {self.settings.timezone} (in {format_duration(delta)})"
        return f"{local} {self.settings.timezone} ({format_duration(-delta)} ago)"
