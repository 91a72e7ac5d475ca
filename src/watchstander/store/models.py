"""The tables: every mapped row, and the column type that keeps times aware and in UTC.

Indexes made by migrations and not mapped here are noted on the rows they serve.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Self, cast

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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


class Base(DeclarativeBase):
    @classmethod
    def loaded(cls, **values: Any) -> Self:
        """A row holding ``values`` as if the ORM had loaded them, in no session.

        What the ORM's own loader does: the values go straight into the instance's dict,
        without the constructor's event per attribute (the constructors of a thread and its
        event cost a tenth of a millisecond on the way from a post to its answer)."""
        row = cast(Self, cls.__mapper__.class_manager.new_instance())
        row.__dict__.update(values)
        return row


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
        Index(  # the threads resolved since a time (their meanings made, see MeaningRow)
            "ix_threads_resolved",
            "resolved_at",
            sqlite_where=text("resolved_at IS NOT NULL"),
            postgresql_where=text("resolved_at IS NOT NULL"),
        ),
        Index(  # the digest's open urgent and emergency threads, oldest first
            "ix_threads_open_loud",
            "posted_at",
            sqlite_where=text("resolved_at IS NULL AND level >= 1"),
            postgresql_where=text("resolved_at IS NULL AND level >= 1"),
        ),
    )
    # Also, made by migrations 0006-7 and not mapped here: root_text's full-text index (SQLite:
    # the FTS5 table thread_search, brought up to date by each search (see store.search);
    # PostgreSQL: the generated tsvector column ``search``).

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
    card_ts: Mapped[str | None] = mapped_column(String(32))  # the bot's first reply, kept current
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
        Index(  # reactions waiting for their message
            "ix_events_orphans",
            "channel",
            "item_ts",
            sqlite_where=text("thread_id IS NULL"),
            postgresql_where=text("thread_id IS NULL"),
        ),
        Index(  # the review's tags of the week (its query says reaction <> '' as a literal)
            "ix_events_reaction_at",
            "reaction",
            "at",
            sqlite_where=text("reaction <> ''"),
            postgresql_where=text("reaction <> ''"),
        ),
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
    taken_by: Mapped[str | None] = mapped_column(String(128))  # the process sending it (pending)


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
    taken_by: Mapped[str | None] = mapped_column(String(128))  # the process making it (making)


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))
    detail: Mapped[str] = mapped_column(Text, default="")


class SelfServedRow(Base):
    """A question answered by an earlier thread the bot suggested (issue 14): from the help
    form ("This answers it": no thread was posted) or in a thread ("This answered it": the
    thread resolved as self-served). One row per ``key``: a second press counts once."""

    __tablename__ = "self_served"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))  # form | thread
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))  # the question's
    answer_thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))


class OnceRow(Base):
    """Something the bot does once per key, ever: the answers offered in a thread
    ("answers:<thread id>"), a person's nudge of the day ("nudge:<user>:<date>")."""

    __tablename__ = "once"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A scheduled job of the day ("scheduled:digest:<day>"): the process running it, and when
    # it was done (None while it runs, or when its process died before the end)
    taken_by: Mapped[str | None] = mapped_column(String(128))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PendingQuestionRow(Base):
    """A help form taken and not yet fully posted: what the person submitted (the form's
    values and its context, as JSON), kept until the question is in #support and its thread
    is recorded, so that a process stopped or killed half-way posts it at the next start."""

    __tablename__ = "pending_questions"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    user: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    posted_ts: Mapped[str | None] = mapped_column(String(32))  # set once it is posted
    taken_by: Mapped[str | None] = mapped_column(String(128))  # the process posting it


class LeaseRow(Base):
    """Who runs the scheduled work when several processes share the database: the holder
    until ``expires_at``; ``generation`` grows each time the lease changes hands (a fence)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    generation: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReplicaRow(Base):
    """A live process on the database: every process renews its row on each tick of the
    lease (holder or not) until ``expires_at``. Work taken by a process whose row is gone or
    expired is taken over at once (see store.replicas)."""

    __tablename__ = "replicas"

    holder: Mapped[str] = mapped_column(String(128), primary_key=True)  # as the lease names it
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OwedRow(Base):
    """A message the bot decided to say (in the transaction that decided it) and has not yet
    said: deleted once said, so that a process killed in between leaves it to be said by the
    next start or the lease's holder. ``effect`` is the message as JSON; ``taken_at``: when
    a process last took it to say."""

    __tablename__ = "owed"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    effect: Mapped[str] = mapped_column(Text)
    taken_by: Mapped[str] = mapped_column(String(128))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class MeaningRow(Base):
    """What a resolved thread is about as a sentence model reads it (the optional meaning
    extra): its root post and the line that resolved it as one vector (float32, unit length),
    made for the resolution at ``resolved_at`` by ``model``. Rows only grow in ``id``, so
    each process loads what is new since it last looked."""

    __tablename__ = "meanings"
    __table_args__ = ({"sqlite_autoincrement": True},)  # an id is never given out again

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), unique=True
    )
    model: Mapped[str] = mapped_column(String(64))
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
