"""The card: the bot's first reply in an urgent or emergency thread, updated in place to
show the thread's state (level, who has it, the next check-in, the page). The thread still
gets its own posts for claims, check-ins and escalations; the card is what a glance reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watchstander.domain.levels import Level
from watchstander.domain.thread import ThreadState
from watchstander.services.effects import CardPort, Effect
from watchstander.services.thread_state import load_state
from watchstander.services.thread_words import ThreadWords
from watchstander.settings import Settings
from watchstander.store import Store, ThreadRow, Tx

CARD_TEMPLATE = "announce"  # the effect whose message becomes the card


@dataclass(frozen=True)
class Card:
    ts: str  # the bot's message to update
    effect: Effect


class ThreadCards:
    def __init__(
        self, store: Store, settings: Settings, words: ThreadWords, update: CardPort
    ) -> None:
        self.store = store
        self.policy = settings.policy
        self.words = words
        self._update = update

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

    def remember(self, effect: Effect, ts: str | None, now: datetime) -> Card | None:
        """Keep the ts of a thread's announcement, which becomes its card. The thread may
        have moved on while the announcement was on its way (a 👀 a moment after the post):
        then the card as it now stands, to show. Call it holding the thread's lock."""
        if effect.template != CARD_TEMPLATE or not ts or effect.thread_ts is None:
            return None
        with self.store.transaction() as tx:
            tx.set_card(effect.channel, effect.thread_ts, ts)
            thread = tx.thread(effect.channel, effect.thread_ts)
            if thread is None:
                return None
            shown = (effect.data.get("level"), effect.data.get("assignee"), False)
            now_said = (Level(thread.said_level).label, thread.said_assignee, thread.said_resolved)
            if shown == now_said:
                return None
            thread.card_ts = ts
            return self.card(tx, thread, now)

    def show(self, card: Card | None) -> None:
        if card is not None:
            self._update(card.effect, card.ts)

    def refresh(self, channel: str, root_ts: str, now: datetime) -> None:
        """Show the thread's card as it stands now (after a page changed, say)."""
        with self.store.transaction() as tx:
            thread = tx.thread(channel, root_ts)
            card = self.card(tx, thread, now) if thread is not None else None
        self.show(card)
