"""Questions the bot's suggestions answered (self-served), things done once per key, and the
channel's recent top-level posts (for the nudge)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, text, update

from watchstander.store.base import TxBase
from watchstander.store.models import OnceRow, PendingQuestionRow, SelfServedRow, ThreadRow
from watchstander.store.replicas import gone


class ServedTx(TxBase):
    """A transaction's self-served records and once-only keys."""

    def once(self, key: str, at: datetime) -> bool:
        """Claim ``key`` (at most 255 characters): True the first time ever, False after."""
        return self._insert_once(OnceRow, {"key": key[:255], "at": at}, ["key"])

    def claimed_once(self, key: str) -> bool:
        """Whether ``key`` was claimed with :meth:`once`."""
        query = select(OnceRow.key).where(OnceRow.key == key[:255])
        return self.connection.execute(query).first() is not None

    def offer_state(self, channel: str, root_ts: str) -> tuple[int, int, bool, str | None] | None:
        """For answers offered in a thread, one statement: its id, its level, whether it is
        resolved, and its page's status (None: no page); None when the thread is not stored
        or was offered answers already (``answers:<id>`` claimed)."""
        query = text(
            "SELECT t.id, t.level, t.resolved_at IS NOT NULL, p.status FROM threads t "
            "LEFT JOIN pages p ON p.thread_id = t.id "
            "WHERE t.channel = :channel AND t.root_ts = :root_ts AND NOT EXISTS "
            "(SELECT 1 FROM once o WHERE o.key = 'answers:' || CAST(t.id AS VARCHAR(20)))"
        )
        row = self.connection.execute(query, {"channel": channel, "root_ts": root_ts}).first()
        if row is None:
            return None
        return int(row[0]), int(row[1]), bool(row[2]), None if row[3] is None else str(row[3])

    def done_once(self, key: str) -> bool:
        """Whether ``key`` was claimed already."""
        return self.session.get(OnceRow, key[:255]) is not None

    def add_self_served(
        self,
        key: str,
        at: datetime,
        user: str | None,
        source: str,
        thread_id: int | None = None,
        answer_thread_id: int | None = None,
    ) -> bool:
        """Record a question answered by a suggestion; False (and nothing written) when
        ``key`` was recorded already."""
        values = {
            "key": key[:255],
            "at": at,
            "user": user,
            "source": source,
            "thread_id": thread_id,
            "answer_thread_id": answer_thread_id,
        }
        return self._insert_once(SelfServedRow, values, ["key"])

    def self_served_between(self, start: datetime, end: datetime) -> dict[str, int]:
        """How many questions asked in [start, end) were self-served, by source: a thread
        counts in the week it was posted (as the week's threads do, so that the share never
        passes 100%), a form answered before anything was posted when it was answered."""
        asked = func.coalesce(ThreadRow.posted_at, SelfServedRow.at)
        query = (
            select(SelfServedRow.source, func.count())
            .select_from(SelfServedRow)
            .outerjoin(ThreadRow, ThreadRow.id == SelfServedRow.thread_id)
            .where(asked >= start, asked < end)
            .group_by(SelfServedRow.source)
        )
        return {str(source): int(n) for source, n in self.session.execute(query)}

    def self_served_thread(self, thread_id: int) -> bool:
        """Whether the thread ``thread_id`` was resolved as self-served."""
        query = select(SelfServedRow.id).where(SelfServedRow.thread_id == thread_id).limit(1)
        return self.session.scalar(query) is not None

    def posts_between(
        self, channel: str, start: datetime, end: datetime, limit: int = 200
    ) -> list[tuple[str, str | None, str, datetime]]:
        """(root ts, poster, text, posted at) of the channel's top-level posts of [start, end],
        newest first, at most ``limit``."""
        query = (
            select(ThreadRow.root_ts, ThreadRow.poster, ThreadRow.root_text, ThreadRow.posted_at)
            .where(
                ThreadRow.channel == channel,
                ThreadRow.posted_at >= start,
                ThreadRow.posted_at <= end,
            )
            .order_by(ThreadRow.posted_at.desc(), ThreadRow.id.desc())
            .limit(limit)
        )
        return [
            (str(ts), poster, body or "", at)
            for ts, poster, body, at in self.session.execute(query)
            if at is not None
        ]

    # help forms taken, until their question is posted and its thread recorded
    def add_pending_question(
        self, key: str, at: datetime, user: str, body: str, taker: str | None = None
    ) -> bool:
        """Keep a form taken under ``key`` by ``taker`` (the process posting it): False
        (nothing written) when it was kept before."""
        values = {"key": key[:255], "at": at, "user": user[:32], "body": body, "taken_by": taker}
        return self._insert_once(PendingQuestionRow, values, ["key"])

    def pending_question(self, key: str) -> PendingQuestionRow | None:
        return self.session.get(PendingQuestionRow, key[:255])

    def pending_questions(self, taker: str, now: datetime) -> list[tuple[str, str | None]]:
        """The forms not yet done whose process is gone at ``now`` (not ``taker``), oldest
        first: (key, the process that took it)."""
        c = PendingQuestionRow
        query = select(c.key, c.taken_by).where(gone(c.taken_by, taker, now)).order_by(c.at)
        return [(str(key), holder) for key, holder in self.connection.execute(query)]

    def take_over_question(self, key: str, holder: str | None, taker: str) -> bool:
        """Take the form ``key`` from ``holder`` (gone): False when another took it first."""
        c = PendingQuestionRow
        statement = (
            update(c)
            .where(c.key == key, c.taken_by.is_not_distinct_from(holder))
            .values(taken_by=taker)
        )
        return int(getattr(self.connection.execute(statement), "rowcount", 0) or 0) == 1

    def question_posted(self, key: str, ts: str) -> None:
        self.session.execute(
            update(PendingQuestionRow).where(PendingQuestionRow.key == key).values(posted_ts=ts)
        )

    def question_done(self, key: str) -> None:
        self.session.execute(delete(PendingQuestionRow).where(PendingQuestionRow.key == key))
