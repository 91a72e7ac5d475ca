"""Threads and what happens in them: messages, events (reactions too), timed actions,
claims and the audit log. The hot path of one Slack event runs through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from watchstander.store.base import TxBase
from watchstander.store.models import (
    ActionRow,
    AuditRow,
    ClaimRow,
    EventRow,
    MessageRow,
    ThreadRow,
)

# Statements built once: the hot path (one Slack event) runs these with parameters only, so
# SQLAlchemy spends no time building and keying them again.
_THREAD_BY_KEY = select(ThreadRow).where(
    ThreadRow.channel == bindparam("channel"), ThreadRow.root_ts == bindparam("root_ts")
)
_THREAD_BY_KEY_LOCKED = _THREAD_BY_KEY.with_for_update()
_THREAD_OF_MESSAGE = select(MessageRow.thread_id).where(
    MessageRow.channel == bindparam("channel"), MessageRow.ts == bindparam("ts")
)
_EVENTS_OF_THREAD = select(EventRow).where(EventRow.thread_id == bindparam("thread_id"))
_ACTIONS_OF_THREAD = select(ActionRow).where(ActionRow.thread_id == bindparam("thread_id"))
_EVENTS = cast(Table, EventRow.__table__)
_ORPHAN = (
    select(_EVENTS.c.id)
    .where(
        _EVENTS.c.thread_id.is_(None),
        _EVENTS.c.channel == bindparam("channel"),
        _EVENTS.c.item_ts == bindparam("ts"),
    )
    .limit(1)
)
_ADOPT_ORPHANS = (
    update(_EVENTS)
    .where(
        _EVENTS.c.thread_id.is_(None),
        _EVENTS.c.channel == bindparam("in_channel"),
        _EVENTS.c.item_ts == bindparam("in_ts"),
    )
    .values(thread_id=bindparam("owner"))
)
_THREADS = cast(Table, ThreadRow.__table__)
_STATE_COLUMNS = frozenset(
    c.key for c in _THREADS.columns if c.key not in ("id", "channel", "root_ts", "created_at")
)
_ADD_AUDIT = cast(Table, AuditRow.__table__).insert()


def _aware(value: Any) -> datetime | None:
    """A UTC time from an aggregate (which bypasses the column type)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return cast(datetime, value.astimezone(UTC))


class ThreadsTx(TxBase):
    """A transaction's threads, messages, events, timed actions, claims and audit log."""

    _lock_rows: bool  # PostgreSQL: lock a thread's row (SELECT ... FOR UPDATE) to write it
    _orphans: set[tuple[str, str]]  # (channel, ts) of messages that reactions wait for

    # threads
    def thread(self, channel: str, root_ts: str, *, lock: bool = False) -> ThreadRow | None:
        query = _THREAD_BY_KEY_LOCKED if lock and self._lock_rows else _THREAD_BY_KEY
        return self.session.scalars(query, {"channel": channel, "root_ts": root_ts}).first()

    def save_thread(self, thread: ThreadRow, values: dict[str, Any]) -> None:
        """Write what changed of a thread's derived state in one UPDATE (no unit-of-work
        flush; the root text, and so its full-text index, only when it changed), and keep the
        loaded row in step without marking it dirty."""
        changed = {
            key: value
            for key, value in values.items()
            if key in _STATE_COLUMNS and getattr(thread, key) != value
        }
        if not changed:
            return
        statement = update(_THREADS).where(_THREADS.c.id == thread.id).values(changed)
        self.connection.execute(statement)
        for key, value in changed.items():
            set_committed_value(thread, key, value)

    def open_thread(self, values: dict[str, Any]) -> ThreadRow | None:
        """A new thread with its whole state in one statement: the row (not loaded in the
        session: nothing else is stored for it yet), or None when the thread exists already."""
        row_id = self._insert_new(ThreadRow, values, ["channel", "root_ts"])
        return None if row_id is None else ThreadRow.loaded(id=row_id, **values)

    def awaited(self, channel: str, ts: str) -> bool:
        """Whether reactions that came first wait for the message ``ts``. On PostgreSQL the
        database says (another process may have recorded them); on SQLite, one process,
        the set kept in memory does."""
        if self._lock_rows:
            found = self.connection.execute(_ORPHAN, {"channel": channel, "ts": ts}).first()
            return found is not None
        return (channel, ts) in self._orphans

    def thread_by_id(self, thread_id: int) -> ThreadRow | None:
        return self.session.get(ThreadRow, thread_id)

    def ensure_thread(
        self, channel: str, root_ts: str, now: datetime, *, likely_new: bool = False
    ) -> tuple[ThreadRow, bool]:
        """The thread row, made if new, and whether this call made it.

        Two makers at once end with one row. ``likely_new`` (a top-level post) tries the
        insert first, which saves a lookup in the common case.
        """
        if not likely_new:
            row = self.thread(channel, root_ts, lock=True)
            if row is not None:
                return row, False
        values = {"channel": channel, "root_ts": root_ts, "created_at": now, "updated_at": now}
        made = self._insert_once(ThreadRow, values, ["channel", "root_ts"])
        row = self.thread(channel, root_ts, lock=True)
        assert row is not None
        return row, made

    def thread_of_message(self, channel: str, ts: str) -> ThreadRow | None:
        """The thread a message belongs to: by its own row, or as a thread's root."""
        thread_id = self.session.scalar(_THREAD_OF_MESSAGE, {"channel": channel, "ts": ts})
        if thread_id is not None:
            return self.session.get(ThreadRow, thread_id)
        return self.thread(channel, ts)

    def threads(
        self,
        *,
        open_only: bool = True,
        assignee: str | None = None,
        breached: bool | None = None,
        min_level: int = 0,
        limit: int = 50,
    ) -> Sequence[ThreadRow]:
        query = select(ThreadRow).where(ThreadRow.level >= min_level)
        if open_only:
            query = query.where(ThreadRow.resolved_at.is_(None))
        if assignee is not None:
            query = query.where(ThreadRow.assignee == assignee)
        if breached is not None:
            query = query.where(ThreadRow.breached.is_(breached))
        query = query.order_by(ThreadRow.level.desc(), ThreadRow.root_ts).limit(limit)
        return self.session.scalars(query).all()

    def threads_of(self, person: str, *, limit: int) -> tuple[Sequence[ThreadRow], int]:
        """The open threads ``person`` posted or holds, the loudest and then the oldest first
        (at most ``limit``), and how many there are in all."""
        where = (
            ThreadRow.resolved_at.is_(None),
            or_(ThreadRow.poster == person, ThreadRow.assignee == person),
        )
        query = select(ThreadRow).where(*where)
        query = query.order_by(ThreadRow.level.desc(), ThreadRow.root_ts).limit(limit)
        rows = self.session.scalars(query).all()
        if len(rows) < limit:
            return rows, len(rows)
        counted = select(func.count()).select_from(ThreadRow).where(*where)
        return rows, int(self.session.scalar(counted) or 0)

    def due_threads(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        """Open threads whose next timed action is due by ``now``, oldest first."""
        query = (
            select(ThreadRow.channel, ThreadRow.root_ts)
            .where(ThreadRow.resolved_at.is_(None), ThreadRow.next_due_at <= now)
            .order_by(ThreadRow.next_due_at)
            .limit(limit)
        )
        return [(channel, root_ts) for channel, root_ts in self.session.execute(query).all()]

    def earliest_due(self) -> datetime | None:
        query = select(func.min(ThreadRow.next_due_at)).where(ThreadRow.resolved_at.is_(None))
        value = self.session.scalar(query)
        return _aware(value)

    # messages and events
    def add_message(
        self, thread: ThreadRow, ts: str, user: str | None, text: str, at: datetime
    ) -> None:
        values = {
            "thread_id": thread.id,
            "channel": thread.channel,
            "ts": ts,
            "user": user,
            "text": text,
            "is_root": ts == thread.root_ts,
            "posted_at": at,
        }
        self._insert_once(MessageRow, values, ["channel", "ts"])

    def update_message_text(self, channel: str, ts: str, text: str) -> None:
        self.session.execute(
            update(MessageRow)
            .where(MessageRow.channel == channel, MessageRow.ts == ts)
            .values(text=text)
        )

    def set_card(
        self, channel: str, root_ts: str, ts: str
    ) -> tuple[bool, tuple[int, str | None, bool]] | None:
        """The bot's first reply in the thread becomes its card (updated as the thread
        changes), in one statement: whether it did (False: the thread has one already, which
        stays) and what the thread was last told (level, assignee, resolved); None when the
        thread is not stored."""
        statement = (
            update(_THREADS)
            .where(_THREADS.c.channel == channel, _THREADS.c.root_ts == root_ts)
            .values(card_ts=func.coalesce(_THREADS.c.card_ts, ts[:32]))
            .returning(
                _THREADS.c.card_ts,
                _THREADS.c.said_level,
                _THREADS.c.said_assignee,
                _THREADS.c.said_resolved,
            )
        )
        row = self.connection.execute(statement).first()
        if row is None:
            return None
        return row[0] == ts[:32], (int(row[1]), row[2], bool(row[3]))

    def add_event(self, row: EventRow) -> bool:
        """Record an event once: False when its key was seen before (a redelivery)."""
        values = {column.key: getattr(row, column.key) for column in EventRow.__table__.columns}
        values.pop("id", None)
        made = self._insert_once(EventRow, values, ["event_key"])
        if made and row.thread_id is None:
            self._orphans.add((row.channel, row.item_ts))
        return made

    def adopt_orphans(self, thread: ThreadRow, ts: str) -> int:
        """Attach reactions that arrived before their message ``ts`` to its thread."""
        if not self._lock_rows and (thread.channel, ts) not in self._orphans:
            return 0  # nothing waits for this message: no statement
        self._orphans.discard((thread.channel, ts))
        params = {"in_channel": thread.channel, "in_ts": ts, "owner": thread.id}
        result = self.session.execute(_ADOPT_ORPHANS, params)
        return int(getattr(result, "rowcount", 0) or 0)

    def events(self, thread: ThreadRow) -> Sequence[EventRow]:
        return self.session.scalars(_EVENTS_OF_THREAD, {"thread_id": thread.id}).all()

    def actions(self, thread: ThreadRow) -> Sequence[ActionRow]:
        return self.session.scalars(_ACTIONS_OF_THREAD, {"thread_id": thread.id}).all()

    def record_action(self, thread: ThreadRow, kind: str, due_at: datetime, now: datetime) -> bool:
        """Take a timed action once: False when it was already taken for that due time."""
        values = {"thread_id": thread.id, "kind": kind, "due_at": due_at, "sent_at": now}
        return self._insert_once(ActionRow, values, ["thread_id", "kind", "due_at"])

    def sync_claims(self, thread: ThreadRow, claims: Sequence[tuple[str, datetime, Any]]) -> None:
        rows = self.session.scalars(
            select(ClaimRow).where(ClaimRow.thread_id == thread.id).order_by(ClaimRow.id)
        ).all()
        current = [(r.user, r.claimed_at, r.released_at) for r in rows]
        if current == list(claims):
            return
        for row in rows:
            self.session.delete(row)
        for user, claimed_at, released_at in claims:
            self.session.add(
                ClaimRow(
                    thread_id=thread.id, user=user, claimed_at=claimed_at, released_at=released_at
                )
            )

    def audit(
        self, at: datetime, actor: str | None, action: str, thread: ThreadRow | None, detail: str
    ) -> None:
        self.connection.execute(
            _ADD_AUDIT,
            {
                "at": at,
                "actor": actor,
                "action": action,
                "thread_id": None if thread is None else thread.id,
                "detail": detail[:2000],
            },
        )
