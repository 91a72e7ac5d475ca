"""Triage: record #support traffic, decide with the domain, store, say what to say.

Every entry point takes ``now``; nothing here reads a clock. Messages go out as
:class:`Effect` records through ``say`` (the one rendering path) after the transaction that
decided them has committed; PagerDuty is paged through :mod:`watchstander.services.paging`.
The thread commands (``!claim`` and the others) are in :mod:`watchstander.services.commands`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from watchstander.domain.durations import parse_commitment
from watchstander.domain.levels import Level, parse_level
from watchstander.domain.said import Said, changes, said_after
from watchstander.domain.thread import Event, Kind, ThreadState, replay
from watchstander.logs import in_thread
from watchstander.services.effects import CardPort, Effect, NoTimers, PagerPort, Speaker, Timers
from watchstander.services.inbound import InboundMessage, InboundReaction, ts_to_datetime
from watchstander.services.metrics import NO_METRICS, Metrics
from watchstander.services.oncall import OnCall
from watchstander.services.owed import Owed
from watchstander.services.paging import PageOp, Paging
from watchstander.services.thread_card import ThreadCards
from watchstander.services.thread_state import (
    event_of,
    load_state,
    state_values,
    steps_reached,
    store_state,
)
from watchstander.services.thread_words import ThreadWords
from watchstander.services.triage_timers import TimedActions
from watchstander.settings import Settings
from watchstander.stopping import Abandoned
from watchstander.store import ONE_PROCESS, EventRow, Store, StoreError, ThreadRow, Tx

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    effects: list[Effect]
    timer: tuple[str, str, datetime | None] | None
    pages: list[PageOp] = field(default_factory=list)
    card: tuple[str, str] | None = None  # (channel, root ts) of a thread whose card changed
    owed: list[int] = field(default_factory=list)  # the effects' rows, kept until said
    took: list[tuple[str, str, float]] = field(default_factory=list)  # (step, level, seconds)


class TriageService(TimedActions):
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        channel_id: str,
        emit: Speaker,
        oncall: Callable[[datetime], OnCall],
        timers: Timers | None = None,
        group_handles: Callable[[], Mapping[str, str]] | None = None,
        pager: PagerPort | None = None,
        link: Callable[[str, str], str] | None = None,
        stopping: threading.Event | None = None,
        update: CardPort | None = None,
        metrics: Metrics = NO_METRICS,
        taker: str = ONE_PROCESS,  # this process, as the pages and messages it takes name it
        forget_after: float = 0.0,  # seconds said messages wait to be forgotten together
    ) -> None:
        self.store, self.metrics, self.settings = store, metrics, settings
        self.owed = Owed(store, taker, forget_after=forget_after)
        self.policy = settings.policy
        self.channel_id = channel_id
        self.say = emit
        self.oncall = oncall
        self.timers: Timers = timers or NoTimers()
        self._group_handles = group_handles or (lambda: {})
        self.paging = (
            Paging(
                store,
                pager,
                source=f"#{settings.support_channel}",
                policy=self.policy,
                say=emit,
                oncall=oncall,
                link=link,
                stopping=stopping,
                metrics=metrics,
                taker=taker,
            )
            if pager is not None
            else None
        )
        self.words = ThreadWords(settings, oncall, paging=self.paging is not None)
        self.cards = ThreadCards(store, settings, self.words, update, self.lock) if update else None
        self._locks = [threading.Lock() for _ in range(64)]
        # Called with each new root post, once it was recorded and answered (and paged)
        self.posted: list[Callable[[InboundMessage, datetime], None]] = []

    # --- chat events ----------------------------------------------------------------------------

    def handle_message(self, msg: InboundMessage, now: datetime) -> bool:
        """Record a message of the support channel; False when it changed nothing."""
        if msg.from_bot or not msg.user or msg.channel != self.channel_id or not msg.ts:
            return False
        with in_thread(msg.channel, msg.root_ts):
            return self._message(msg, now)

    def _message(self, msg: InboundMessage, now: datetime) -> bool:
        at = ts_to_datetime(msg.edited_ts or msg.ts)
        self.metrics.event_lag((now - at).total_seconds())
        level = self._level(msg.text) if msg.level is None else msg.level
        kind = Kind.EDIT if msg.is_edit else Kind.POST if msg.thread_ts is None else Kind.REPLY
        until = parse_commitment(msg.text, at, self.settings.tz) if kind is Kind.REPLY else None
        with self.locked(msg.channel, msg.root_ts, msg.ts) as tx:
            row = EventRow.loaded(
                event_key=msg.key,
                thread_id=None,
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
            outcome = self._open(tx, row, now) if kind is Kind.POST else None
            if outcome is None:
                outcome = self._record(tx, msg, row, now)
        if outcome is None:
            return False
        if kind is Kind.POST:  # recorded once: a redelivered post changes nothing
            self.metrics.thread_opened(level.label)
        self.after(outcome, now)
        for hook in self.posted if kind is Kind.POST else ():
            hook(msg, now)
        return True

    def _open(self, tx: Tx, row: EventRow, now: datetime) -> Outcome | None:
        """A new thread from its root post: its state is that post's alone, so it is written
        whole, in one statement, before anything is read (the common case of a post in
        #support). None when the thread exists already, or reactions wait for the post."""
        if tx.awaited(row.channel, row.item_ts):
            return None
        event = event_of(row, row.item_ts)
        state = replay([event], self.policy)
        values = {"channel": row.channel, "root_ts": row.item_ts, "created_at": now}
        thread = tx.open_thread(values | state_values(state, self.policy, now))
        if thread is None:
            return None
        row.thread_id = thread.id
        tx.add_event(row)  # new: no thread held it before
        return self._outcome(
            tx, thread, state, Said(), [event], now, moved=thread.next_due_at is not None
        )

    def _record(self, tx: Tx, msg: InboundMessage, row: EventRow, now: datetime) -> Outcome | None:
        """A message of a thread that may hold other events: recorded, then the thread replayed."""
        kind = Kind(row.kind)
        thread, made = tx.ensure_thread(msg.channel, msg.root_ts, now, likely_new=kind is Kind.POST)
        row.thread_id = thread.id
        if not tx.add_event(row):
            return None
        event = event_of(row, thread.root_ts)
        adopted = 0
        if msg.is_edit:
            tx.update_message_text(msg.channel, msg.ts, msg.text)
        elif kind is Kind.REPLY:  # a root needs no row of its own: it is its thread's key
            tx.add_message(thread, msg.ts, msg.user, msg.text, row.at)
        if not msg.is_edit:
            adopted = tx.adopt_orphans(thread, msg.ts)
        # A thread this call made holds only this event (and what it adopted).
        known = [event] if made and not adopted else None
        return self.refresh(tx, thread, [event], now, events=known)

    def handle_reaction(self, reaction: InboundReaction, now: datetime) -> bool:
        if reaction.channel != self.channel_id:
            return False
        at = ts_to_datetime(reaction.event_ts)
        self.metrics.event_lag((now - at).total_seconds())
        kind = Kind.REACTION_ADDED if reaction.added else Kind.REACTION_REMOVED
        with self.store.transaction() as probe:
            known = probe.thread_of_message(reaction.channel, reaction.item_ts)
            root_ts = known.root_ts if known else None
        with (
            in_thread(reaction.channel, root_ts or reaction.item_ts),
            self.locked(reaction.channel, root_ts or reaction.item_ts) as tx,
        ):
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
            outcome = self.refresh(tx, thread, [event_of(row, thread.root_ts)], now)
        self.after(outcome, now)
        return True

    # --- the shared path: replay, store, say ----------------------------------------------------

    @contextmanager
    def lock(self, channel: str, *keys: str) -> Iterator[None]:
        """Serialise work on the same thread (or message) in this process.

        Striped locks, taken in stripe order so that two callers never wait on each other.
        """
        stripes = sorted({hash((channel, key)) % len(self._locks) for key in keys})
        with ExitStack() as stack:
            for stripe in stripes:
                stack.enter_context(self._locks[stripe])
            yield

    @contextmanager
    def locked(self, channel: str, *keys: str) -> Iterator[Tx]:
        """A transaction that holds the thread's (or message's) locks: this process's, and
        on PostgreSQL the database's, so that replicas take turns on a thread as well."""
        with self.lock(channel, *keys):
            tx: Tx | None = None
            try:
                with self.store.transaction() as tx:
                    tx.hold(channel, *keys)
                    yield tx
            except StoreError:  # perhaps as it committed: what it kept to say is in doubt
                if tx is not None:
                    self.owed.doubt(tx.owed_written)
                raise

    def refresh(
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
        state = load_state(tx, thread, self.policy, events)
        said = Said(
            level=Level(thread.said_level),
            assignee=thread.said_assignee,
            resolved=thread.said_resolved,
            next_checkin_at=thread.said_next_checkin_at,
        )
        holder = (thread.assignee, thread.claimed_at, thread.resolved_at)
        before = (thread.first_response_at, thread.claimed_at, thread.resolved_at)
        store_state(tx, thread, state, self.policy, now)
        if holder != (thread.assignee, thread.claimed_at, thread.resolved_at):
            tx.sync_claims(thread, [(c.user, c.at, c.released_at) for c in state.claims])
        moved = reschedule or thread.next_due_at != due_before
        outcome = self._outcome(tx, thread, state, said, new, now, moved=moved)
        outcome.took = steps_reached(before, state)
        return outcome

    def _outcome(
        self,
        tx: Tx,
        thread: ThreadRow,
        state: ThreadState,
        said: Said,
        new: Iterable[Event],
        now: datetime,
        *,
        moved: bool,
    ) -> Outcome:
        """What the thread must be told (audited), the pages to send, and its timer if it
        ``moved``; all decided in ``tx``, done after it commits."""
        found = changes(said, state, list(new))
        effects = [self.words.change(thread, state, change, now) for change in found]
        for change in found:
            tx.audit(now, change.assignee, f"said:{change.kind}", thread, change.level.label)
        pages = (
            self.paging.decide(tx, thread, state, said, found, now)
            if self.paging is not None
            else []
        )
        timer = (thread.channel, thread.root_ts, thread.next_due_at) if moved else None
        card = (thread.channel, thread.root_ts) if thread.card_ts else None
        shown = card if said_after(state) != said else None
        return Outcome(effects, timer, pages, shown, self.owed.owe(tx, effects, now))

    def after(self, outcome: Outcome, now: datetime) -> None:
        """Page first (for an emergency that is what matters most), then say what was
        decided and how the page went, then (re)schedule the thread's timer."""
        for step, level, seconds in outcome.took:  # committed: now it counts
            self.metrics.took(step, level, seconds)
        paging = self.paging
        triggers = [op for op in outcome.pages if op.action == "trigger"]
        try:
            results = [paging.send(op, now) for op in triggers] if paging is not None else []
        except Abandoned:  # stopping: the page stays pending, sent and said at the next start
            log.info("Stopping: the page of %s is sent at the next start", triggers[0].thread_ts)
            results, outcome.pages = [], []
        cards = {outcome.card} if outcome.card is not None else set()  # to show again, last
        for effect in outcome.effects:
            if self._said(effect):
                cards.add((effect.channel, str(effect.thread_ts)))
        self.owed.paid(outcome.owed)
        for result in results:
            if result is not None:
                self.say(result)
        for op in outcome.pages:
            cards.add((op.channel, op.thread_ts))  # the card says how the page went
            if op.action != "trigger" and paging is not None:
                try:
                    paging.send(op, now)
                except Abandoned:
                    log.info("Stopping: PagerDuty's %s of %s was not sent", op.action, op.thread_ts)
        if self.cards is not None:
            for channel, root_ts in sorted(cards):
                self.cards.refresh(channel, root_ts, now)
        if outcome.timer is not None:
            self.timers.set(*outcome.timer)

    def _said(self, effect: Effect) -> bool:
        """Say ``effect``: whether its thread's card must be shown again."""
        ts = self.say(effect)
        return self.cards is not None and self.cards.remember(effect, ts)

    def settle_owed(
        self,
        now: datetime,
        *,
        seen: Callable[[Effect, datetime], bool] = lambda effect, since: False,
    ) -> int:
        """Say what a process that died after deciding it left unsaid (see :class:`Owed`),
        unless ``seen`` finds it in its thread, or it is an announcement that became the
        thread's card (shown in place since: its first words are gone)."""

        def say(effect: Effect) -> None:
            if self._said(effect) and self.cards is not None and effect.thread_ts:
                self.cards.refresh(effect.channel, effect.thread_ts, now)

        def said(effect: Effect, since: datetime) -> bool:
            return (self.cards is not None and self.cards.kept(effect)) or seen(effect, since)

        return self.owed.settle(now, say, seen=said)

    def pagerduty_event(self, kind: str, dedup_key: str, agent: str, now: datetime) -> bool:
        """A PagerDuty webhook (see :meth:`Paging.webhook`); False with paging off."""
        if self.paging is None or not self.paging.webhook(kind, dedup_key, agent, now):
            return False
        self._page_moved(dedup_key, now)
        return True

    def resume_pages(self, now: datetime) -> int:
        return 0 if self.paging is None else self.paging.resume(now, self._page_moved)

    def _page_moved(self, dedup_key: str, now: datetime) -> None:
        """A thread's page changed outside a thread event: its card says so."""
        if self.cards is not None:
            _, channel, root_ts = dedup_key.split("/", 2)
            self.cards.refresh(channel, root_ts, now)

    def clock(self, at: datetime | None, now: datetime) -> str | None:
        """A moment as people in TIMEZONE read it (see :class:`ThreadWords`)."""
        return self.words.clock(at, now)

    # --- what is said ---------------------------------------------------------------------------

    def _level(self, text: str) -> Level:
        return parse_level(
            text,
            oncall_handle=self.settings.oncall_handle,
            emergency_tags=self.settings.emergency_tags,
            group_handles=self._group_handles(),
        ).level
