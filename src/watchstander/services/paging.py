"""Paging an emergency through PagerDuty: one alert per thread, ever.

The page row is written in the transaction that decides the page (so a thread is never paged
twice, also across a restart in the middle of the retries); the PagerDuty event is sent after
that transaction commits, and how it went is recorded and said in the thread. A claim
acknowledges the alert, a resolve resolves it, and PagerDuty's own acknowledge or resolve
(its webhook) is said in the thread once. A stop does not wait for PagerDuty: a trigger left
unanswered stays pending, and is sent again (same dedup key) at the next start; one a process
left when it died is sent by the next start, or by the lease's holder, as soon as that process
is known gone (store.replicas).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watchstander.adapters.pager import PagerError
from watchstander.domain.levels import Level
from watchstander.domain.markup import title_line
from watchstander.domain.said import Change, Said
from watchstander.domain.thread import Policy, ThreadState
from watchstander.services.effects import Effect, PagerPort, Speaker
from watchstander.services.metrics import NO_METRICS, Metrics
from watchstander.services.oncall import OnCall
from watchstander.services.thread_state import load_state
from watchstander.stopping import Abandoned, unless_stopping
from watchstander.store import ONE_PROCESS, Store, ThreadRow, Tx

log = logging.getLogger(__name__)

STATUS = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}
WEBHOOK_STATUS = {"incident.acknowledged": "acknowledged", "incident.resolved": "resolved"}


@dataclass(frozen=True)
class PageOp:
    """A PagerDuty event to send once the transaction that decided it has committed."""

    action: str  # trigger | acknowledge | resolve
    dedup_key: str
    channel: str
    thread_ts: str
    summary: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


def dedup_key(channel: str, root_ts: str) -> str:
    return f"watchstander/{channel}/{root_ts}"


class Paging:
    def __init__(
        self,
        store: Store,
        pager: PagerPort,
        *,
        source: str,
        policy: Policy,
        say: Speaker,
        oncall: Callable[[datetime], OnCall],
        link: Callable[[str, str], str] | None = None,
        stopping: threading.Event | None = None,
        metrics: Metrics = NO_METRICS,
        taker: str = ONE_PROCESS,
    ) -> None:
        self.store = store
        self.taker = taker  # this process, as the rows it takes name it
        self.metrics = metrics
        self.stopping = stopping or threading.Event()  # set: the process is stopping
        self.pager = pager
        self.source = source  # the support channel's name, as PagerDuty shows it
        self.policy = policy
        self.say = say
        self.oncall = oncall
        self.link = link

    def decide(
        self,
        tx: Tx,
        thread: ThreadRow,
        state: ThreadState,
        said: Said,
        found: list[Change],
        now: datetime,
    ) -> list[PageOp]:
        """The PagerDuty events these changes call for, the page row taken in ``tx``."""
        ops = []
        emergency = any(c.kind == "announce" and c.level is Level.EMERGENCY for c in found)
        key = dedup_key(thread.channel, thread.root_ts)
        if emergency and tx.add_page_once(thread, key, now, self.taker):
            ops.append(self.op("trigger", thread, state))
        page = tx.page(thread) if not ops else None
        if page is not None and page.status != "resolved":
            if not state.is_open and not said.resolved:
                ops.append(self.op("resolve", thread, state))
            elif state.assignee is not None and said.assignee is None:
                ops.append(self.op("acknowledge", thread, state))
        return ops

    def escalation(self, tx: Tx, thread: ThreadRow) -> PageOp | None:
        """Two unanswered check-ins on a paged emergency: trigger it again, escalated."""
        if tx.page(thread) is None:
            return None
        return self.op("trigger", thread, load_state(tx, thread, self.policy), escalated=True)

    def op(
        self, action: str, thread: ThreadRow, state: ThreadState, *, escalated: bool = False
    ) -> PageOp:
        summary = title_line(state.root_text, 900) or (
            "(a post of tags only)" if state.root_text.strip() else "(the post was not seen)"
        )
        if escalated:
            summary = f"Escalated, no update after two check-ins: {summary}"
        details = {
            "level": state.level.label,
            "poster": state.poster or "",
            "assignee": state.assignee or "",
            "thread": self.link(thread.channel, thread.root_ts) if self.link else "",
        }
        key = dedup_key(thread.channel, thread.root_ts)
        return PageOp(action, key, thread.channel, thread.root_ts, summary, details)

    def send(self, op: PageOp, now: datetime) -> Effect | None:
        """Send one PagerDuty event and record how it went; a trigger's outcome is to be said.
        `Abandoned` when the process stops before PagerDuty answers (nothing is recorded: a
        trigger stays pending)."""
        error = ""
        try:
            unless_stopping(lambda: self._call(op), self.stopping, f"PagerDuty {op.action}")
        except PagerError as exc:
            error = str(exc)
            log.warning("PagerDuty %s for %s failed: %s", op.action, op.thread_ts, error)
        self.metrics.paged(op.action, failed=bool(error))
        with self.store.transaction() as tx:
            if op.action == "trigger":
                tx.set_page_status(op.dedup_key, "failed" if error else "triggered", error, now)
            elif not error:
                tx.set_page_status(op.dedup_key, STATUS[op.action], "", now)
        if op.action != "trigger":
            return None
        oncall = self.oncall(now)
        data = {"oncall": oncall.primary, "secondary": oncall.secondary, "error": error}
        return Effect("page_failed" if error else "paged", op.channel, op.thread_ts, data)

    def _call(self, op: PageOp) -> None:
        if op.action == "trigger":
            link = op.details.get("thread") or None
            self.pager.trigger(op.dedup_key, op.summary, self.source, link=link, details=op.details)
        elif op.action == "acknowledge":
            self.pager.acknowledge(op.dedup_key)
        else:
            self.pager.resolve(op.dedup_key)

    def webhook(self, kind: str, key: str, agent: str, now: datetime) -> bool:
        """PagerDuty says an incident was acknowledged or resolved there: said in the thread,
        once. False when it is not about one of our pages (or changes nothing)."""
        if kind not in WEBHOOK_STATUS or not key.startswith("watchstander/"):
            return False
        _, channel, root_ts = key.split("/", 2)
        status = WEBHOOK_STATUS[kind]
        with self.store.transaction() as tx:
            thread = tx.thread(channel, root_ts, lock=True)
            page = tx.page(thread) if thread is not None else None
            if page is None or page.status in (status, "resolved"):
                return False
            tx.set_page_status(key, status, "", now)
            tx.audit(now, None, f"pagerduty:{status}", thread, agent[:200])
        self.say(Effect(f"pd_{status}", channel, root_ts, {"agent": agent[:200]}))
        return True

    def resume(self, now: datetime, sent: Callable[[str, datetime], None] | None = None) -> int:
        """Send again the triggers that a process gone (stopped, or dead) left unanswered,
        each taken over first (another process taking over at the same time takes the
        others); the dedup key keeps it one alert. ``sent(dedup_key, now)`` after each; how
        many were taken over."""
        with self.store.transaction() as tx:
            pending = [(p.dedup_key, p.taken_by) for p in tx.pending_pages(self.taker, now)]
        taken = 0
        for key, holder in pending:
            _, channel, root_ts = key.split("/", 2)
            with self.store.transaction() as tx:
                thread = tx.thread(channel, root_ts)
                if thread is None or not tx.take_over_page(key, holder, self.taker):
                    continue
                tx.audit(now, None, "took_over:page", thread, holder or "")
                op = self.op("trigger", thread, load_state(tx, thread, self.policy))
            taken += 1
            log.info("Sending the page of %s that %s left unanswered", root_ts, holder)
            try:
                result = self.send(op, now)
            except Abandoned:  # stopping again: still pending, for the start after
                log.info("Stopping: the page of %s is sent at the next start", root_ts)
                break
            if result is not None:
                self.say(result)
            if sent is not None:
                sent(key, now)
        return taken
