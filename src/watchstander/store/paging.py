"""The PagerDuty alerts of emergency threads, one per thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from watchstander.store.models import PageRow, ThreadRow
from watchstander.store.replicas import ReplicasTx, gone


class PagesTx(ReplicasTx):
    """A transaction's pages."""

    def page(self, thread: ThreadRow) -> PageRow | None:
        return self.session.scalars(select(PageRow).where(PageRow.thread_id == thread.id)).first()

    def add_page_once(
        self, thread: ThreadRow, dedup_key: str, now: datetime, taker: str | None = None
    ) -> bool:
        """Record that this thread is paged, the trigger to be sent by ``taker`` (this
        process): False when it already was."""
        values = {
            "thread_id": thread.id,
            "dedup_key": dedup_key,
            "status": "pending",
            "last_error": "",
            "created_at": now,
            "updated_at": now,
            "taken_by": taker,
        }
        return self._insert_once(PageRow, values, ["thread_id"])

    def set_page_status(self, dedup_key: str, status: str, error: str, now: datetime) -> None:
        self.session.execute(
            update(PageRow)
            .where(PageRow.dedup_key == dedup_key)
            .values(status=status, last_error=error[:500], updated_at=now)
        )

    def pending_pages(self, taker: str, now: datetime) -> Sequence[PageRow]:
        """Triggers not yet answered whose process is gone at ``now`` (not ``taker``)."""
        return self.session.scalars(
            select(PageRow).where(PageRow.status == "pending", gone(PageRow.taken_by, taker, now))
        ).all()

    def take_over_page(self, dedup_key: str, holder: str | None, taker: str) -> bool:
        """Take a pending trigger from ``holder`` (gone): False when another took it first."""
        result = self.connection.execute(
            update(PageRow)
            .where(
                PageRow.dedup_key == dedup_key,
                PageRow.status == "pending",
                PageRow.taken_by.is_not_distinct_from(holder),
            )
            .values(taken_by=taker)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1
