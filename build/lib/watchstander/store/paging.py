"""The PagerDuty alerts of emergency threads, one per thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from watchstander.store.base import TxBase
from watchstander.store.models import PageRow, ThreadRow


class PagesTx(TxBase):
    """A transaction's pages."""

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
