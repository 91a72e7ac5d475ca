"""The store: the only package that speaks SQLAlchemy (typed 2.0 ORM), with its migrations.

Idempotency lives here: a unique key per Slack event (``events.event_key``), per thread
(channel + root ts), per message ts and per timed bot action (thread + kind + due time), so a
duplicated or reordered event, or a job that runs twice, changes nothing twice.

SQLite (the default, in WAL mode) serialises writers in this process with one lock; PostgreSQL
takes a row lock on the thread (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    bindparam,
    case,
    create_engine,
    event,
    func,
    literal,
    literal_column,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

MIGRATIONS = Path(__file__).with_name("migrations")
StoreError = SQLAlchemyError  # what the store raises when the database fails a statement


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _aware(value: Any) -> datetime | None:
    """A UTC time from an aggregate (which bypasses the column type)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return cast(datetime, value.astimezone(UTC))


class Base(DeclarativeBase):
    pass


class ThreadRow(Base):
    """A #support thread: its key, and the state last derived from its events."""

    __tablename__ = "threads"
    __table_args__ = (
        UniqueConstraint("channel", "root_ts", name="uq_threads_key"),
        Index(  # the timers: open threads by their next timed action
            "ix_threads_open_due",
            "next_due_at",
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_threads_posted", "posted_at", "level"),  # figures: counted from the index
        Index(  # the digest's open urgent and emergency threads, oldest first
            "ix_threads_open_loud",
            "posted_at",
            sqlite_where=text("resolved_at IS NULL AND level >= 1"),
            postgresql_where=text("resolved_at IS NULL AND level >= 1"),
        ),
    )
    # Also, made by migration 0006 and not mapped here: root_text's full-text index (SQLite:
    # the FTS5 table thread_search; PostgreSQL: the generated tsvector column ``search``).

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    root_ts: Mapped[str] = mapped_column(String(32))
    poster: Mapped[str | None] = mapped_column(String(32))
    root_text: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[int] = mapped_column(Integer, default=0)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    watchers: Mapped[str] = mapped_column(Text, default="[]")
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    resolve_note: Mapped[str] = mapped_column(Text, default="")
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_due_kind: Mapped[str | None] = mapped_column(String(32))
    said_level: Mapped[int] = mapped_column(Integer, default=0)
    said_assignee: Mapped[str | None] = mapped_column(String(32))
    said_resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    said_next_checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def watcher_list(self) -> list[str]:
        value = json.loads(self.watchers or "[]")
        return [str(v) for v in value]


class MessageRow(Base):
    """Every message seen in the channel, each ts mapped to its thread."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("channel", "ts", name="uq_messages_ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    user: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    is_root: Mapped[bool] = mapped_column(Boolean, default=False)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EventRow(Base):
    """Every Slack event and command applied to a thread, once (the processed-event record).

    Reactions live here too (``kind`` reaction_added / reaction_removed). A reaction on a
    message not seen yet waits with no thread until that message arrives.
    """

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("event_key", name="uq_events_key"),
        Index("ix_events_orphans", "channel", "item_ts"),
        Index("ix_events_reaction_at", "reaction", "at"),  # the review's tags of the week
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    item_ts: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[int] = mapped_column(Integer, default=0)
    reaction: Mapped[str] = mapped_column(String(100), default="")
    target: Mapped[str] = mapped_column(String(32), default="")
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ActionRow(Base):
    """A timed bot action (check-in, escalation, claim reminder, breach), taken once."""

    __tablename__ = "check_ins"
    __table_args__ = (UniqueConstraint("thread_id", "kind", "due_at", name="uq_check_ins_due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClaimRow(Base):
    """Who held a thread, from when to when (kept in step with the replayed state)."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"), index=True)
    user: Mapped[str] = mapped_column(String(32))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RotationRow(Base):
    """A rotation as set by ``!rotation set``; the newest row is the one in force."""

    __tablename__ = "rotations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    people: Mapped[str] = mapped_column(Text)  # JSON list of Slack user ids, in order
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    length_days: Mapped[int] = mapped_column(Integer)
    handoff_weekday: Mapped[int | None] = mapped_column(Integer)
    handoff_time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    set_by: Mapped[str | None] = mapped_column(String(32))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OverrideRow(Base):
    """Someone on call from ``start_at`` to ``end_at`` instead of the rotation's person."""

    __tablename__ = "overrides"
    __table_args__ = (Index("ix_overrides_end", "end_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person: Mapped[str] = mapped_column(String(32))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(32), default="override")
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PageRow(Base):
    """The one PagerDuty alert of an emergency thread (made before it is sent, so a thread
    is never paged twice, also across a restart in the middle of the retries)."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("thread_id", name="uq_pages_thread"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    dedup_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(
        String(16)
    )  # pending triggered failed acknowledged resolved
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HandoffRow(Base):
    """A change of the person on call that the bot announced. Each row follows the one
    before it (unique), so two looks at the same change record it once."""

    __tablename__ = "handoffs"
    __table_args__ = (UniqueConstraint("previous_id", name="uq_handoffs_previous"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    previous_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_person: Mapped[str | None] = mapped_column(String(32))
    to_person: Mapped[str] = mapped_column(String(32))


class IssueRow(Base):
    """The GitHub issue made from a thread for one kind (bug, postmortem, ...), once ever.

    A row is written ("making") before GitHub is asked, so two reviews at once make one."""

    __tablename__ = "issues"
    __table_args__ = (UniqueConstraint("thread_id", "kind", name="uq_issues_thread_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))  # making | made | failed
    number: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="open")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))
    detail: Mapped[str] = mapped_column(Text, default="")


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
_STATE_COLUMNS = [
    c for c in _THREADS.columns if c.key not in ("id", "channel", "root_ts", "created_at")
]
_SAVE_THREAD = (
    update(_THREADS)
    .where(_THREADS.c.id == bindparam("row_id"))
    .values({c: bindparam(f"v_{c.key}", type_=c.type) for c in _STATE_COLUMNS})
)
_ADD_AUDIT = cast(Table, AuditRow.__table__).insert()
_INSERT_ONCE: dict[tuple[str, str], Any] = {}
_NO_ID = 2**62  # above every thread id: "no upper bound" in an id range


_SECONDS = {  # seconds from the post to a thread's ``{}`` column, as each database counts
    "sqlite": "(julianday({}) - julianday(posted_at)) * 86400.0",
    "postgresql": "EXTRACT(EPOCH FROM ({} - posted_at))",
}


def _seconds(session: Session, column: Any) -> Any:
    """The same as an expression: seconds from a thread's post to ``column``."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", column - ThreadRow.posted_at)
    return (func.julianday(column) - func.julianday(ThreadRow.posted_at)) * 86400.0


def _term_search(
    terms: Sequence[str], dialect: str, columns: str, tail: str
) -> tuple[str, dict[str, Any]]:
    """SELECT term, <columns> over the full-text search of the root posts of threads ``:first``
    up to ``:last``, one row per (term, thread) that holds all the term's words. ``{id}`` and
    ``{term}`` in ``columns`` and ``tail`` name the thread id and the term.

    SQLite: the FTS5 table thread_search, its rowid range kept to the window. PostgreSQL: the
    tsvector column; a term with a word PostgreSQL counts as a stop-word would be searched
    without it (a pair as one word), so such a term finds nothing."""
    params: dict[str, Any] = {}
    if dialect == "postgresql":
        # the window's rows first (by id), then each term against their stored tsvectors: the
        # GIN index would walk each term's threads over the whole history instead
        names = {"id": "w.id", "term": "q.term"}
        params["terms"] = list(terms)
        sql = (
            "WITH q AS MATERIALIZED (SELECT term, plainto_tsquery('english', term) AS q "
            "FROM unnest(CAST(:terms AS text[])) AS t(term) "
            "WHERE numnode(plainto_tsquery('english', term)) "
            "= 2 * cardinality(string_to_array(term, ' ')) - 1), "
            "w AS MATERIALIZED (SELECT id, search FROM threads WHERE id >= :first AND id < :last) "
            f"SELECT q.term, {columns.format(**names)} FROM q JOIN w ON w.search @@ q.q "
            f"{tail.format(**names)}"
        )
        return sql, params
    names = {"id": "thread_search.rowid", "term": "terms.term"}
    rows = []
    for n, term in enumerate(terms):
        rows.append(f"(:t{n}, :q{n})")
        params[f"t{n}"] = term
        params[f"q{n}"] = " AND ".join('"' + w.replace('"', '""') + '"' for w in term.split())
    sql = (
        f"WITH terms(term, q) AS (VALUES {', '.join(rows)}) "
        f"SELECT terms.term, {columns.format(**names)} FROM terms "
        "JOIN thread_search ON thread_search MATCH terms.q "
        "AND thread_search.rowid >= :first AND thread_search.rowid < :last "
        f"{tail.format(**names)}"
    )
    return sql, params


def _insert_once_statement(model: type[Base], dialect: str, keys: tuple[str, ...]) -> Any:
    cached = _INSERT_ONCE.get((model.__tablename__, dialect))
    if cached is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = cast(Table, model.__table__)
        cached = insert(table).on_conflict_do_nothing(index_elements=list(keys))
        _INSERT_ONCE[(model.__tablename__, dialect)] = cached
    return cached


class Tx:
    """One unit of work: typed reads and writes inside a single transaction."""

    def __init__(self, session: Session, *, lock_rows: bool, orphans: set[tuple[str, str]]) -> None:
        self.session = session
        self._lock_rows = lock_rows
        self._orphans = orphans

    # threads
    def thread(self, channel: str, root_ts: str, *, lock: bool = False) -> ThreadRow | None:
        query = _THREAD_BY_KEY_LOCKED if lock and self._lock_rows else _THREAD_BY_KEY
        return self.session.scalars(query, {"channel": channel, "root_ts": root_ts}).first()

    def save_thread(self, thread: ThreadRow, values: dict[str, Any]) -> None:
        """Write a thread's derived state in one prebuilt UPDATE (no unit-of-work flush),
        and keep the loaded row in step without marking it dirty."""
        params = {f"v_{c.key}": values.get(c.key, getattr(thread, c.key)) for c in _STATE_COLUMNS}
        params["row_id"] = thread.id
        self.session.execute(_SAVE_THREAD, params)
        for key, value in values.items():
            set_committed_value(thread, key, value)

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

    def _insert_once(self, model: type[Base], values: dict[str, Any], keys: list[str]) -> bool:
        """INSERT unless a row with the same unique ``keys`` exists: True when it was new.

        One statement (``ON CONFLICT DO NOTHING``) on SQLite and PostgreSQL, so a duplicate
        costs no savepoint and no exception.
        """
        values = {key: value for key, value in values.items() if value is not None}
        dialect = self.session.get_bind().dialect.name
        statement = _insert_once_statement(model, dialect, tuple(keys))
        result = self.session.execute(statement, values)
        return int(getattr(result, "rowcount", 0) or 0) == 1

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
        if (thread.channel, ts) not in self._orphans:
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
        try:
            with self.session.begin_nested():
                self.session.add(
                    ActionRow(thread_id=thread.id, kind=kind, due_at=due_at, sent_at=now)
                )
                self.session.flush()
        except IntegrityError:
            return False
        return True

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
        self.session.execute(
            _ADD_AUDIT,
            {
                "at": at,
                "actor": actor,
                "action": action,
                "thread_id": None if thread is None else thread.id,
                "detail": detail[:2000],
            },
        )

    # pages
    def page(self, thread: ThreadRow) -> PageRow | None:
        return self.session.scalars(select(PageRow).where(PageRow.thread_id == thread.id)).first()

    def add_page_once(self, thread: ThreadRow, dedup_key: str, now: datetime) -> bool:
        """Record that this thread is paged: False when it already was."""
        values = {
            "thread_id": thread.id,
            "dedup_key": dedup_key,
            "status": "pending",
            "last_error": "",
            "created_at": now,
            "updated_at": now,
        }
        return self._insert_once(PageRow, values, ["thread_id"])

    def set_page_status(self, dedup_key: str, status: str, error: str, now: datetime) -> None:
        self.session.execute(
            update(PageRow)
            .where(PageRow.dedup_key == dedup_key)
            .values(status=status, last_error=error[:500], updated_at=now)
        )

    def pending_pages(self) -> Sequence[PageRow]:
        return self.session.scalars(select(PageRow).where(PageRow.status == "pending")).all()

    # the review
    def tagged_threads(
        self, names: Sequence[str], since: datetime
    ) -> tuple[Sequence[ThreadRow], Sequence[EventRow]]:
        """Threads that got one of the reactions ``names`` since ``since``, with all their
        reaction events: two statements, whatever the number of threads."""
        tagged = (
            select(EventRow.thread_id)
            .where(
                EventRow.kind == "reaction_added",
                EventRow.reaction.in_(list(names)),
                EventRow.at >= since,
                EventRow.thread_id.is_not(None),
            )
            .distinct()
        )
        threads = self.session.scalars(select(ThreadRow).where(ThreadRow.id.in_(tagged))).all()
        ids = [t.id for t in threads]
        reactions = self.session.scalars(  # by thread: the names are sorted out here, so
            select(EventRow)  # the database reads these threads' events, not a year of tags
            .where(
                EventRow.thread_id.in_(ids),
                EventRow.kind.in_(["reaction_added", "reaction_removed"]),
            )
            .order_by(EventRow.ts)
        ).all()
        wanted = set(names)
        return threads, [event for event in reactions if event.reaction in wanted]

    def issues_for(self, thread_ids: Sequence[int]) -> Sequence[IssueRow]:
        return self.session.scalars(
            select(IssueRow).where(IssueRow.thread_id.in_(list(thread_ids)))
        ).all()

    def claim_issue(self, thread_id: int, kind: str, now: datetime, stale: datetime) -> str | None:
        """Take the making of an issue: "new" the first time; "again" after a failure or a
        review that died half-way (GitHub may hold the issue: look for its marker first);
        None when another review has it, or it is made."""
        values = {
            "thread_id": thread_id,
            "kind": kind,
            "status": "making",
            "url": "",
            "state": "open",
            "updated_at": now,
        }
        if self._insert_once(IssueRow, values, ["thread_id", "kind"]):
            return "new"
        result = self.session.execute(
            update(IssueRow)
            .where(
                IssueRow.thread_id == thread_id,
                IssueRow.kind == kind,
                (IssueRow.status == "failed")
                | ((IssueRow.status == "making") & (IssueRow.updated_at < stale)),
            )
            .values(status="making", updated_at=now)
        )
        return "again" if int(getattr(result, "rowcount", 0) or 0) == 1 else None

    def issue_made(self, thread_id: int, kind: str, number: int, url: str, now: datetime) -> None:
        self.session.execute(
            update(IssueRow)
            .where(IssueRow.thread_id == thread_id, IssueRow.kind == kind)
            .values(status="made", number=number, url=url, updated_at=now)
        )

    def open_issues(self) -> Sequence[tuple[IssueRow, ThreadRow]]:
        """Issues the review made that are still open on GitHub, with their threads."""
        query = (
            select(IssueRow, ThreadRow)
            .join(ThreadRow, ThreadRow.id == IssueRow.thread_id)
            .where(IssueRow.status == "made", IssueRow.state == "open")
        )
        return [(issue, thread) for issue, thread in self.session.execute(query).all()]

    def close_issue(self, number: int, now: datetime) -> IssueRow | None:
        """Mark issue ``number`` closed: the row, only the first time."""
        result = self.session.execute(
            update(IssueRow)
            .where(IssueRow.number == number, IssueRow.status == "made", IssueRow.state == "open")
            .values(state="closed", updated_at=now)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            return None
        return self.session.scalars(select(IssueRow).where(IssueRow.number == number)).first()

    def issue_failed(self, thread_id: int, kind: str, now: datetime) -> None:
        """The making failed: the next review tries again, looking for the issue first."""
        self.session.execute(
            update(IssueRow)
            .where(
                IssueRow.thread_id == thread_id, IssueRow.kind == kind, IssueRow.status == "making"
            )
            .values(status="failed", updated_at=now)
        )

    # repeat topics
    def root_texts(self, since: datetime) -> list[str]:
        """The root posts of the threads posted since ``since``."""
        query = select(ThreadRow.root_text).where(ThreadRow.posted_at >= since)
        return [root or "" for root in self.session.scalars(query)]

    def topic_window(self, since: datetime, week: datetime) -> tuple[int, int, int, int] | None:
        """(threads posted since ``since``, the first of their ids, the first id posted since
        ``week``, threads posted since ``week``). Thread ids follow the order the bot first saw
        the threads, so the full-text search keeps to the window and the week by id."""
        this_week = ThreadRow.posted_at >= week
        query = select(
            func.count(),
            func.min(ThreadRow.id),
            func.min(case((this_week, ThreadRow.id))),
            func.sum(case((this_week, 1), else_=0)),
        ).where(ThreadRow.posted_at >= since)
        count, first, week_first, week_count = self.session.execute(query).one()
        if first is None or week_first is None:
            return None
        return int(count), int(first), int(week_first), int(week_count)

    def term_counts(
        self, terms: Sequence[str], first: int, before: int | None = None
    ) -> dict[str, int]:
        """For each term: in how many root posts of threads ``first`` (up to ``before``) the
        database's full-text search finds all its words, stemmed. One statement for all the
        terms, counted by the database; terms found nowhere are left out."""
        if not terms:
            return {}
        sql, params = _term_search(
            terms, self.session.get_bind().dialect.name, "count(*)", "GROUP BY {term}"
        )
        params |= {"first": first, "last": _NO_ID if before is None else before}
        return {str(term): int(n) for term, n in self.session.execute(text(sql), params)}

    def term_threads(
        self, terms: Sequence[str], first: int, per_term: int
    ) -> list[tuple[str, str, str, datetime]]:
        """(term, channel, root_ts, posted_at) of the newest ``per_term`` threads from thread
        ``first`` on whose root post holds the term: one statement for all the terms."""
        if not terms:
            return []
        inner, params = _term_search(
            terms,
            self.session.get_bind().dialect.name,
            "{id} AS id, row_number() OVER (PARTITION BY {term} ORDER BY {id} DESC) AS n",
            "",
        )
        sql = (
            f"SELECT hits.term, th.channel, th.root_ts, th.posted_at FROM ({inner}) AS hits "
            "JOIN threads th ON th.id = hits.id WHERE hits.n <= :per_term"
        )
        params |= {"first": first, "last": _NO_ID, "per_term": per_term}
        typed = text(sql).columns(term=Text, channel=String, root_ts=String, posted_at=UTCDateTime)
        found = self.session.execute(typed, params).all()
        return [(str(t), str(c), str(r), cast(datetime, p)) for t, c, r, p in found]

    # digests and figures: counted and ranked by the database, one statement each
    def open_threads(
        self,
        *,
        loud: bool,
        unanswered_before: datetime | None = None,
        since: datetime | None = None,
        limit: int,
    ) -> tuple[Sequence[ThreadRow], int, int]:
        """Open threads, urgent and emergency (``loud``) or general ones, oldest first (the
        first ``limit``), how many there are,
        and how many have nobody on them. ``unanswered_before``: only those posted before it
        with no first response yet (general questions past their target); ``since``: only
        those posted since then."""
        where: list[Any] = [
            ThreadRow.resolved_at.is_(None),
            # literal, not a parameter: SQLite only uses the partial index for the same words
            ThreadRow.level >= literal_column("1") if loud else ThreadRow.level == 0,
            ThreadRow.posted_at.is_not(None),
        ]
        if since is not None:
            where.append(ThreadRow.posted_at >= since)
        if unanswered_before is not None:
            where += [
                ThreadRow.first_response_at.is_(None),
                ThreadRow.posted_at < unanswered_before,
            ]
        counts = select(
            func.count(), func.sum(case((ThreadRow.assignee.is_(None), 1), else_=0))
        ).where(*where)
        total, unclaimed = self.session.execute(counts).one()
        rows: Sequence[ThreadRow] = []
        if limit and total:
            rows = self.session.scalars(
                select(ThreadRow).where(*where).order_by(ThreadRow.posted_at).limit(limit)
            ).all()
        return rows, int(total or 0), int(unclaimed or 0)

    def level_counts(
        self, start: datetime, end: datetime, targets: Mapping[int, float]
    ) -> dict[int, tuple[int, int, int, int]]:
        """Per level, of the threads posted in [start, end): (threads, answered, answered
        within the level's target in seconds, still open)."""
        seconds = _seconds(self.session, ThreadRow.first_response_at)
        target = case(
            *((ThreadRow.level == level, value) for level, value in targets.items()), else_=0.0
        )
        query = (
            select(
                ThreadRow.level,
                func.count(),
                func.count(ThreadRow.first_response_at),
                func.sum(case((seconds <= target, 1), else_=0)),
                func.sum(case((ThreadRow.resolved_at.is_(None), 1), else_=0)),
            )
            .where(ThreadRow.posted_at >= start, ThreadRow.posted_at < end)
            .group_by(ThreadRow.level)
        )
        return {
            int(level): (int(n), int(answered), int(within or 0), int(still or 0))
            for level, n, answered, within, still in self.session.execute(query)
        }

    def spreads(self, start: datetime, end: datetime) -> list[tuple[int, str, int, float, float]]:
        """(level, metric, n, median, p90) in seconds from the post, for the first response,
        the claim and the resolve of the threads posted in [start, end). The database ranks
        the times (window functions) and interpolates as ``percentile_cont`` does, in the same
        statement on SQLite and PostgreSQL."""
        parts = []
        for metric, column in (
            ("first_response", "first_response_at"),
            ("claim", "claimed_at"),
            ("resolve", "resolved_at"),
        ):
            parts.append(
                f"SELECT level, '{metric}' AS metric, {_SECONDS[self._dialect].format(column)} "
                f"AS s FROM threads WHERE posted_at >= :start AND posted_at < :end "
                f"AND {column} IS NOT NULL"
            )
        sql = (
            f"WITH d AS ({' UNION ALL '.join(parts)}), "
            "r AS (SELECT level, metric, s, "
            "row_number() OVER (PARTITION BY level, metric ORDER BY s) - 1 AS i, "
            "count(*) OVER (PARTITION BY level, metric) AS n FROM d), "
            "k AS (SELECT level, metric, s, i, n, (n - 1) / 2 AS lo50, "
            "((n - 1) % 2) / 2.0 AS f50, (9 * (n - 1)) / 10 AS lo90, "
            "((9 * (n - 1)) % 10) / 10.0 AS f90 FROM r) "
            "SELECT level, metric, n, "
            "max(CASE WHEN i = lo50 THEN s END) * (1 - f50) "
            "+ coalesce(max(CASE WHEN i = lo50 + 1 THEN s END), 0) * f50, "
            "max(CASE WHEN i = lo90 THEN s END) * (1 - f90) "
            "+ coalesce(max(CASE WHEN i = lo90 + 1 THEN s END), 0) * f90 "
            "FROM k WHERE i IN (lo50, lo50 + 1, lo90, lo90 + 1) "
            "GROUP BY level, metric, n, f50, f90"
        )
        params = {
            "start": UTCDateTime().process_bind_param(start, self.session.get_bind().dialect),
            "end": UTCDateTime().process_bind_param(end, self.session.get_bind().dialect),
        }
        self._serial()
        return [
            (int(level), str(metric), int(n), round(float(p50), 3), round(float(p90), 3))
            for level, metric, n, p50, p90 in self.session.execute(text(sql), params)
        ]

    def weekly_counts(self, bounds: Sequence[datetime]) -> dict[int, list[int]]:
        """Per level, threads posted in each [bounds[i], bounds[i + 1]): one statement, each
        week counted from the (posted_at, level) index alone."""
        weeks = [
            select(literal(n).label("week"), ThreadRow.level, func.count())
            .where(ThreadRow.posted_at >= lo, ThreadRow.posted_at < hi)
            .group_by(ThreadRow.level)
            for n, (lo, hi) in enumerate(itertools.pairwise(bounds))
        ]
        self._serial()
        out: dict[int, list[int]] = {}
        for week, level, count in self.session.execute(union_all(*weeks)):
            out.setdefault(int(level), [0] * (len(bounds) - 1))[int(week)] = int(count)
        return out

    def hour_buckets(
        self, start: datetime, end: datetime, timezone: str
    ) -> tuple[list[tuple[datetime, int]], bool]:
        """Threads posted in [start, end) counted per local hour (PostgreSQL: AT TIME ZONE)
        or per UTC quarter hour (SQLite, which knows no time zones; every zone's offset is a
        whole number of quarter hours). The flag says which: True for local hours."""
        if self._dialect == "postgresql":
            bucket = "date_trunc('hour', (posted_at AT TIME ZONE 'UTC') AT TIME ZONE :tz)"
        else:
            bucket = (
                "strftime('%Y-%m-%d %H:', posted_at) || "
                "printf('%02d', (CAST(strftime('%M', posted_at) AS INTEGER) / 15) * 15)"
            )
        sql = (
            f"SELECT {bucket} AS b, count(*) FROM threads "
            "WHERE posted_at >= :start AND posted_at < :end GROUP BY b"
        )
        dialect = self.session.get_bind().dialect
        params = {
            "start": UTCDateTime().process_bind_param(start, dialect),
            "end": UTCDateTime().process_bind_param(end, dialect),
            "tz": timezone,
        }
        out = []
        for bucket_value, count in self.session.execute(text(sql), params):
            when = (
                bucket_value
                if isinstance(bucket_value, datetime)
                else datetime.strptime(str(bucket_value), "%Y-%m-%d %H:%M")
            )
            out.append((when, int(count)))
        return out, self._dialect == "postgresql"

    def _serial(self) -> None:
        """PostgreSQL, this transaction: no parallel workers. The figures read a week's rows
        (or twelve index ranges); starting workers costs more than it saves (measured)."""
        if self._dialect == "postgresql":
            self.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    # handoffs
    def last_handoff(self) -> HandoffRow | None:
        return self.session.scalars(select(HandoffRow).order_by(HandoffRow.id.desc())).first()

    def add_handoff_once(self, previous: HandoffRow | None, at: datetime, to_person: str) -> bool:
        values = {
            "previous_id": None if previous is None else previous.id,
            "at": at,
            "from_person": None if previous is None else previous.to_person,
            "to_person": to_person,
        }
        return self._insert_once(HandoffRow, values, ["previous_id"])

    # rotation
    def rotation(self) -> RotationRow | None:
        return self.session.scalars(select(RotationRow).order_by(RotationRow.id.desc())).first()

    def set_rotation(self, row: RotationRow) -> None:
        self.session.add(row)

    def overrides(self, since: datetime) -> Sequence[OverrideRow]:
        """Overrides still in force or to come at ``since``, oldest first (later ones win)."""
        query = select(OverrideRow).where(OverrideRow.end_at > since).order_by(OverrideRow.id)
        return self.session.scalars(query).all()

    def add_override(self, row: OverrideRow) -> None:
        self.session.add(row)

    def count(self, table: type[Base]) -> int:
        return int(self.session.scalar(select(func.count()).select_from(table)) or 0)


class Store:
    """The database: an engine, a schema kept by Alembic, and transactions."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
                from sqlalchemy.pool import StaticPool

                kwargs["poolclass"] = StaticPool
            else:
                _ensure_parent(url)
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.RLock()
        # Messages that reactions are waiting for (kept in memory: Errbot is one process).
        self._orphans: set[tuple[str, str]] | None = None

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self._write_lock, self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        self.optimize()

    def optimize(self) -> None:
        """SQLite: refresh the query planner's statistics (quickly: ``analysis_limit`` reads a
        sample of each index). Done at start and by the daily digest; without statistics
        SQLite picks indexes by guesswork. PostgreSQL's autovacuum does this by itself."""
        if not self.is_sqlite:
            return
        with self._write_lock, self.engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA analysis_limit=400")
            connection.exec_driver_sql("ANALYZE")

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        lock = self._write_lock if self.is_sqlite else _NO_LOCK
        with lock, self._sessions() as session, session.begin():
            if self._orphans is None:
                waiting = select(EventRow.channel, EventRow.item_ts).where(
                    EventRow.thread_id.is_(None)
                )
                self._orphans = {(c, t) for c, t in session.execute(waiting).all()}
            yield Tx(session, lock_rows=not self.is_sqlite, orphans=self._orphans)

    @property
    def writer(self) -> AbstractContextManager[Any]:
        """The lock that serialises writers in this process (a no-op on PostgreSQL)."""
        return self._write_lock if self.is_sqlite else _NO_LOCK

    def dispose(self) -> None:
        self.engine.dispose()


_NO_LOCK: AbstractContextManager[Any] = nullcontext()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _ensure_parent(url: str) -> None:
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if path:
        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
