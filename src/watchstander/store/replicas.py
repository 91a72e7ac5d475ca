"""The processes alive on the database, and the work each took.

Every process renews its row in ``replicas`` on each tick of the lease (holder or not). A
piece of work in flight (an issue "making", a page "pending", a scheduled job of the day not
done) names the process that took it (``taken_by``, the lease's holder id). A process is gone
when its row is missing or expired: what it took is taken over at once, by a compare-and-set on
``taken_by``, so two processes taking over at once take each piece once. A row taken before
these columns existed (``taken_by`` NULL) was taken by a process now gone.

SQLite is one process: no process renews a row there, so every other taker is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update

from watchstander.store.base import TxBase
from watchstander.store.models import AuditRow, IssueRow, OnceRow, PageRow, ReplicaRow

ONE_PROCESS = "one-process"  # the taker of services not told which process they run in
TOOK_OVER = "took_over:"  # the audit's action for work taken over: took_over:<what>


def alive(now: datetime) -> Any:
    """The holders alive at ``now``."""
    return select(ReplicaRow.holder).where(ReplicaRow.expires_at > now)


def gone(column: Any, taker: str, now: datetime) -> ColumnElement[bool]:
    """``column`` (a taker) names a process gone at ``now``, for ``taker`` (this process,
    alive whatever the table says)."""
    return or_(column.is_(None), and_(column != taker, column.not_in(alive(now))))


class ReplicasTx(TxBase):
    """A transaction's part of the processes alive, and of the scheduled jobs they run."""

    def beat(self, holder: str, now: datetime, until: datetime) -> None:
        """``holder`` is alive until ``until``."""
        found = self.connection.execute(
            update(ReplicaRow).where(ReplicaRow.holder == holder).values(expires_at=until)
        )
        if not int(getattr(found, "rowcount", 0) or 0):
            values = {"holder": holder, "started_at": now, "expires_at": until}
            self._insert_once(ReplicaRow, values, ["holder"])

    def forget_replicas(self, holders: Sequence[str]) -> None:
        """These processes stopped (or are known dead): their work is taken over at once."""
        if holders:
            self.connection.execute(delete(ReplicaRow).where(ReplicaRow.holder.in_(holders)))

    def live_replicas(self, now: datetime) -> list[str]:
        return list(self.connection.execute(alive(now).order_by(ReplicaRow.holder)).scalars())

    def is_gone(self, holder: str | None, taker: str, now: datetime) -> bool:
        """Whether ``holder`` (a row's taker) is gone, for ``taker``."""
        if holder is None:
            return True
        if holder == taker:
            return False
        query = select(ReplicaRow.holder).where(
            ReplicaRow.holder == holder, ReplicaRow.expires_at > now
        )
        return self.connection.execute(query).first() is None

    # --- the scheduled jobs of the day (the digest, the review), in the ``once`` table ----------

    def take_daily(self, key: str, taker: str, now: datetime) -> bool:
        """Run ``key`` (``scheduled:<job>:<day>``): True the first time ever, False after."""
        values = {"key": key[:255], "at": now, "taken_by": taker}
        return self._insert_once(OnceRow, values, ["key"])

    def daily_done(self, key: str, now: datetime) -> None:
        self.connection.execute(update(OnceRow).where(OnceRow.key == key).values(done_at=now))

    def unfinished_daily(self, taker: str, now: datetime) -> list[tuple[str, str | None]]:
        """The scheduled jobs of a day begun by a process now gone and not done: (key, taker)."""
        c = OnceRow
        query = select(c.key, c.taken_by).where(
            c.key.like("scheduled:%"),
            c.taken_by.is_not(None),
            c.done_at.is_(None),
            gone(c.taken_by, taker, now),
        )
        return [(str(key), holder) for key, holder in self.connection.execute(query)]

    def take_over_daily(self, key: str, holder: str | None, taker: str, now: datetime) -> bool:
        """Take the job ``key`` from ``holder`` (gone): False when another took it first."""
        c = OnceRow
        statement = (
            update(c)
            .where(c.key == key, c.done_at.is_(None), c.taken_by.is_not_distinct_from(holder))
            .values(taken_by=taker)
        )
        return int(getattr(self.connection.execute(statement), "rowcount", 0) or 0) == 1

    # --- what the digest says of it --------------------------------------------------------------

    def taken_over_since(self, since: datetime | None, now: datetime) -> dict[str, int]:
        """Work taken over from gone processes since ``since``, by what it was."""
        query = (
            select(AuditRow.action, func.count())
            .where(AuditRow.action.like(f"{TOOK_OVER}%"), AuditRow.at <= now)
            .group_by(AuditRow.action)
        )
        if since is not None:
            query = query.where(AuditRow.at > since)
        return {str(a).removeprefix(TOOK_OVER): int(n) for a, n in self.connection.execute(query)}

    def in_flight(self) -> dict[str, int]:
        """Issues being made and pages being sent now, by any process."""
        issues = select(func.count()).select_from(IssueRow).where(IssueRow.status == "making")
        pages = select(func.count()).select_from(PageRow).where(PageRow.status == "pending")
        return {
            "issue": int(self.connection.execute(issues).scalar() or 0),
            "page": int(self.connection.execute(pages).scalar() or 0),
        }

    def last_audit(self, action: str, before: datetime) -> datetime | None:
        query = select(func.max(AuditRow.at)).where(AuditRow.action == action, AuditRow.at < before)
        found: datetime | None = self.connection.execute(query).scalar()  # max() keeps UTC
        return found
