"""Triage's timed actions: check-ins, reminders, escalations and quiet closes, each taken
once when it comes due (a mixin of :class:`~watchstander.services.triage.TriageService`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING

from watchstander.domain.levels import Level
from watchstander.domain.thread import Event, Kind, due
from watchstander.logs import in_thread
from watchstander.services.effects import Effect
from watchstander.services.thread_state import load_state
from watchstander.store import Store, StoreError, ThreadRow, Tx

if TYPE_CHECKING:
    from watchstander.domain.thread import Policy
    from watchstander.services.metrics import Metrics
    from watchstander.services.owed import Owed
    from watchstander.services.paging import Paging
    from watchstander.services.thread_words import ThreadWords
    from watchstander.services.triage import Outcome

log = logging.getLogger("watchstander.services.triage")


class TimedActions:
    """What the service has and these use:"""

    store: Store
    policy: Policy
    words: ThreadWords
    paging: Paging | None
    metrics: Metrics
    owed: Owed
    locked: Callable[..., AbstractContextManager[Tx]]

    def refresh(
        self,
        tx: Tx,
        thread: ThreadRow,
        new: list[Event],
        now: datetime,
        *,
        reschedule: bool = False,
        events: list[Event] | None = None,
    ) -> Outcome:
        raise NotImplementedError

    def after(self, outcome: Outcome, now: datetime) -> None:
        raise NotImplementedError

    def on_timer(self, channel: str, root_ts: str, now: datetime) -> list[Effect]:
        """Take every timed action of the thread that has come due (each once)."""
        taken: list[Effect] = []
        actions: list[tuple[str, str]] = []  # (kind, level) of each action taken
        escalated = False
        with in_thread(channel, root_ts), self.locked(channel, root_ts) as tx:
            thread = tx.thread(channel, root_ts, lock=True)
            if thread is None:
                return []
            for _ in range(8):
                state = load_state(tx, thread, self.policy)
                action = due(state, self.policy, now)
                if action is None:
                    break
                if tx.record_action(thread, action.kind.value, action.at, now):
                    actions.append((action.kind.value, state.level.label))
                    if action.kind is not Kind.QUIET_CLOSE:  # closed without a word
                        taken.append(self.words.action(thread, state, action, now))
                    escalated = escalated or (
                        action.kind is Kind.ESCALATION and state.level is Level.EMERGENCY
                    )
                    tx.audit(now, None, action.kind.value, thread, f"due {action.at.isoformat()}")
            outcome = self.refresh(tx, thread, [], now, reschedule=True)
            if escalated and self.paging is not None:
                op = self.paging.escalation(tx, thread)
                outcome.pages += [op] if op is not None else []
            outcome.effects[:0] = taken
            outcome.owed[:0] = self.owed.owe(tx, taken, now)
        for kind, level in actions:
            self.metrics.timed_action(kind, level)
        with in_thread(channel, root_ts):
            self.after(outcome, now)
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
                except StoreError:
                    log.exception("timed action of %s/%s failed; it stays due", channel, root_ts)
            done += len(due_now)
            if len(due_now) < batch:
                return done

    def earliest_due(self) -> datetime | None:
        with self.store.transaction() as tx:
            return tx.earliest_due()
