"""What resolved threads are about, as a sentence model's vectors (the ``meanings`` table):
the threads that have none yet for their last resolution, keeping them, and reading them
back in the order they were kept."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, insert, or_, select

from watchstander.store.lease import LeaseTx
from watchstander.store.models import MeaningRow, ThreadRow

_MEANINGS = cast(Table, MeaningRow.__table__)


class MeaningsTx(LeaseTx):
    """A transaction's part of the meanings of resolved threads."""

    def unmeant(
        self,
        model: str,
        limit: int,
        *,
        below_id: int | None = None,
        resolved_since: datetime | None = None,
    ) -> list[ThreadRow]:
        """Up to ``limit`` resolved threads with no vector of ``model`` for their last
        resolution: of the ids below ``below_id``, highest first (a walk down the whole
        history, a page at a time), or of those resolved since ``resolved_since``, the latest
        resolution first (what was resolved lately, from the index on ``resolved_at``)."""
        query = (
            select(ThreadRow)
            .outerjoin(MeaningRow, MeaningRow.thread_id == ThreadRow.id)
            .where(
                ThreadRow.resolved_at.is_not(None),
                or_(
                    MeaningRow.id.is_(None),
                    MeaningRow.model != model,
                    MeaningRow.resolved_at != ThreadRow.resolved_at,
                ),
            )
        )
        if below_id is not None:
            query = query.where(ThreadRow.id < below_id).order_by(ThreadRow.id.desc())
        if resolved_since is not None:
            query = query.where(ThreadRow.resolved_at >= resolved_since)
            query = query.order_by(ThreadRow.resolved_at.desc())
        return list(self.session.scalars(query.limit(limit)))

    def keep_meanings(self, model: str, made: Sequence[tuple[int, datetime, bytes]]) -> None:
        """Keep each (thread id, the resolution it was made for, vector), in place of what the
        thread had: the new rows get new ids, so other processes load them too."""
        if not made:
            return
        # PostgreSQL: writers one at a time, so that their rows' ids commit in order and a
        # process loading "after the last id" skips none (SQLite has one writer already)
        self.hold("meanings", "kept")
        ids = [thread_id for thread_id, _, _ in made]
        self.connection.execute(delete(_MEANINGS).where(_MEANINGS.c.thread_id.in_(ids)))
        self.connection.execute(
            insert(_MEANINGS),
            [
                {"thread_id": i, "model": model, "resolved_at": at, "vector": vector}
                for i, at, vector in made
            ],
        )

    def meanings_after(self, model: str, after_id: int, limit: int) -> list[tuple[int, int, bytes]]:
        """(row id, thread id, vector) of up to ``limit`` rows of ``model`` kept after row
        ``after_id``, in the order they were kept."""
        query = (
            select(_MEANINGS.c.id, _MEANINGS.c.thread_id, _MEANINGS.c.vector)
            .where(_MEANINGS.c.id > after_id, _MEANINGS.c.model == model)
            .order_by(_MEANINGS.c.id)
            .limit(limit)
        )
        return [(int(i), int(t), bytes(v)) for i, t, v in self.connection.execute(query)]
