"""The card: the bot's first reply in an urgent or emergency thread, updated in place to
show the thread's state (level, who has it, the next check-in, the page). The thread still
gets its own posts for claims, check-ins and escalations; the card is what a glance reads.

A card is always drawn from the thread as the store holds it, read and shown while the
thread's lock is held: two changes a moment apart can never leave the older one shown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from watchstander.domain.levels import Level
from watchstander.domain.thread import ThreadState
from watchstander.services.effects import CardPort, Effect
from watchstander.services.thread_state import load_state
from watchstander.services.thread_words import ThreadWords
from watchstander.settings import Settings
from watchstander.store import Store, StoreError, ThreadRow, Tx, first_line

log = logging.getLogger(__name__)

CARD_TEMPLATE = "announce"  # the effect whose message becomes the card
Lock = Callable[[str, str], AbstractContextManager[None]]  # a thread's lock (channel, root ts)


@dataclass(frozen=True)
class Card:
    ts: str  # the bot's message to update
    effect: Effect


class ThreadCards:
    def __init__(
        self, store: Store, settings: Settings, words: ThreadWords, update: CardPort, lock: Lock
    ) -> None:
        self.store = store
        self.policy = settings.policy
        self.words = words
        self._update = update
        self._lock = lock

    def card(
        self, tx: Tx, thread: ThreadRow, now: datetime, state: ThreadState | None = None
    ) -> Card | None:
        """The thread's card as its ``state`` stands in ``tx``; None when it has none."""
        ts = thread.card_ts
        if not ts:
            return None
        state = state or load_state(tx, thread, self.policy)
        page = tx.page(thread)
        effect = self.words.card(thread, state, page.status if page else None, now)
        return Card(ts, effect)

    def kept(self, effect: Effect) -> bool:
        """Whether ``effect`` is a thread's first announcement whose message is its card
        already (posted, then shown in place as the thread changed: its words are gone)."""
        if effect.template != CARD_TEMPLATE or not effect.controls or effect.thread_ts is None:
            return False
        with self.store.transaction() as tx:
            thread = tx.thread(effect.channel, effect.thread_ts)
        return thread is not None and bool(thread.card_ts)

    def remember(self, effect: Effect, ts: str | None) -> bool:
        """Keep the ts of a thread's first announcement: its card. True when the card must
        be shown again: the thread moved on while the announcement was on its way (a 👀 a
        moment after the post), or the thread had a card already (a raised level announces
        again; the first reply stays the card)."""
        if effect.template != CARD_TEMPLATE or not ts or effect.thread_ts is None:
            return False
        with self._lock(effect.channel, effect.thread_ts), self.store.transaction() as tx:
            tx.hold(effect.channel, effect.thread_ts)
            found = tx.set_card(effect.channel, effect.thread_ts, ts)
        if found is None:
            return False
        kept, (level, assignee, resolved) = found
        shown = (effect.data.get("level"), effect.data.get("assignee"), False)
        return not kept or shown != (Level(level).label, assignee, resolved)

    def refresh(self, channel: str, root_ts: str, now: datetime) -> None:
        """Show the thread's card as it stands now, holding the thread's lock from the read
        to the platform's answer; nothing when it has none. On PostgreSQL the transaction
        (and the database's lock on the thread) lasts until the platform answered, so that
        another process's card waits; on SQLite (one process) it ends before."""
        with self._lock(channel, root_ts):
            shown = False
            try:
                with self.store.transaction() as tx:
                    tx.hold(channel, root_ts)
                    thread = tx.thread(channel, root_ts)
                    card = self.card(tx, thread, now) if thread is not None else None
                    if card is not None and not self.store.is_sqlite:
                        self._update(card.effect, card.ts)
                        shown = True
                        return
            except StoreError as error:
                if not shown:
                    raise
                # the card is shown and nothing was to be written: the transaction that held
                # the lock was ended meanwhile (idle too long, see IDLE_IN_TRANSACTION_S)
                log.warning("The card of %s was shown, then: %s", root_ts, first_line(error))
                return
            if card is not None:
                self._update(card.effect, card.ts)
