"""Messages decided and not yet said (the ``owed`` table): written in the transaction that
decided them, deleted once said, taken over when the process that took them is gone (see
:mod:`watchstander.store.replicas`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, insert, select, update

from watchstander.store.base import TxBase
from watchstander.store.models import OwedRow
from watchstander.store.replicas import gone

_OWED = cast(Table, OwedRow.__table__)


IN_DOUBT = ":in-doubt"  # a taker's name + this: rows its process will not say (gone)


class OwedTx(TxBase):
    """A transaction's part of the messages owed."""

    owed_written: tuple[int, ...] = ()  # the ids this transaction kept

    def owe(self, effects: Sequence[str], holder: str, now: datetime) -> list[int]:
        """Keep each message (as JSON), taken by ``holder`` at ``now``: their ids."""
        statement = insert(_OWED).returning(_OWED.c.id)
        ids = [
            int(self.connection.execute(statement, {
                "effect": effect, "taken_by": holder[:128], "taken_at": now
            }).scalar_one())
            for effect in effects
        ]  # fmt: skip
        self.owed_written = (*self.owed_written, *ids)
        return ids

    def disown(self, ids: Sequence[int], holder: str) -> int:
        """Of these rows, those ``holder`` still has (their transaction committed after
        all) are given up: named by a taker that is gone, for the takers of work left
        (who look in the thread first). How many."""
        if not ids:
            return 0
        result = self.connection.execute(
            update(_OWED)
            .where(_OWED.c.id.in_(list(ids)), _OWED.c.taken_by == holder[:128])
            .values(taken_by=holder[: 128 - len(IN_DOUBT)] + IN_DOUBT)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def paid(self, ids: Sequence[int]) -> None:
        """The messages were said (or given up): forget them."""
        if ids:
            self.connection.execute(delete(_OWED).where(_OWED.c.id.in_(list(ids))))

    def owed_left(self, taker: str, now: datetime) -> bool:
        """Whether a process gone at ``now`` left messages unsaid."""
        query = select(_OWED.c.id).where(gone(_OWED.c.taken_by, taker, now)).limit(1)
        return self.connection.execute(query).first() is not None

    def take_owed(self, taker: str, now: datetime, limit: int = 100) -> list[tuple[int, str]]:
        """The messages that processes gone at ``now`` took and did not say, oldest first,
        now taken by ``taker``: (id, JSON). A row another took over first is left to it."""
        rows = self.connection.execute(
            select(_OWED.c.id, _OWED.c.effect, _OWED.c.taken_by)
            .where(gone(_OWED.c.taken_by, taker, now))
            .order_by(_OWED.c.id)
            .limit(limit)
        ).all()
        taken: list[tuple[int, str]] = []
        for row_id, effect, holder in rows:
            result = self.connection.execute(
                update(_OWED)
                .where(_OWED.c.id == row_id, _OWED.c.taken_by == holder)
                .values(taken_by=taker[:128], taken_at=now)
            )
            if int(getattr(result, "rowcount", 0) or 0) == 1:
                taken.append((int(row_id), str(effect)))
        return taken
