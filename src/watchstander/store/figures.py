"""The digests' and figures' counts, spreads and buckets, counted by the database."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    case,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from watchstander.store.base import TxBase
from watchstander.store.models import ThreadRow, UTCDateTime

_SECONDS = {  # seconds from the post to a thread's ``{}`` column, as each database counts
    "sqlite": "(julianday({}) - julianday(posted_at)) * 86400.0",
    "postgresql": "EXTRACT(EPOCH FROM ({} - posted_at))",
}


def _seconds(session: Session, column: Any) -> Any:
    """The same as an expression: seconds from a thread's post to ``column``."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", column - ThreadRow.posted_at)
    return (func.julianday(column) - func.julianday(ThreadRow.posted_at)) * 86400.0


class FiguresTx(TxBase):
    """A transaction's digests and figures: counted and ranked by the database, one
    statement each."""

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

    def open_loud_counts(self) -> dict[int, int]:
        """Open urgent and emergency threads, by level: one statement on the partial index."""
        query = (
            select(ThreadRow.level, func.count())
            .where(ThreadRow.resolved_at.is_(None), ThreadRow.level >= literal_column("1"))
            .group_by(ThreadRow.level)
        )
        return {int(level): int(n) for level, n in self.connection.execute(query)}

    def level_counts(
        self, start: datetime, end: datetime, targets: Mapping[int, float], now: datetime
    ) -> dict[int, tuple[int, int, int, int, int]]:
        """Per level, of the threads posted in [start, end): (threads, answered, answered
        within the level's target in seconds, still open, pending: open, unanswered and not
        yet at their target at ``now``, so neither in nor out of it)."""
        seconds = _seconds(self.session, ThreadRow.first_response_at)
        target = case(
            *((ThreadRow.level == level, value) for level, value in targets.items()), else_=0.0
        )
        not_yet_due = or_(
            false(),
            *(
                and_(ThreadRow.level == level, ThreadRow.posted_at > now - timedelta(seconds=value))
                for level, value in targets.items()
            ),
        )
        pending = and_(
            ThreadRow.first_response_at.is_(None), ThreadRow.resolved_at.is_(None), not_yet_due
        )
        query = (
            select(
                ThreadRow.level,
                func.count(),
                func.count(ThreadRow.first_response_at),
                func.sum(case((seconds <= target, 1), else_=0)),
                func.sum(case((ThreadRow.resolved_at.is_(None), 1), else_=0)),
                func.sum(case((pending, 1), else_=0)),
            )
            .where(ThreadRow.posted_at >= start, ThreadRow.posted_at < end)
            .group_by(ThreadRow.level)
        )
        return {
            int(level): (int(n), int(answered), int(within or 0), int(still or 0), int(wait or 0))
            for level, n, answered, within, still, wait in self.session.execute(query)
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
            # naive on purpose: local hours (PostgreSQL) or UTC quarter hours (SQLite), as
            # the flag returned says; the figures' domain places them in TIMEZONE
            when = (
                bucket_value
                if isinstance(bucket_value, datetime)
                else datetime.fromisoformat(str(bucket_value))
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
