"""Messages decided and not yet said (the ``owed`` table): written in the transaction that
decided them, deleted once said, taken up after a process died in between."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, insert, select, update

from watchstander.store.base import TxBase
from watchstander.store.models import OwedRow

_OWED = cast(Table, OwedRow.__table__)


class OwedTx(TxBase):
    """A transaction's part of the messages owed."""

    def owe(self, effects: Sequence[str], holder: str, now: datetime) -> list[int]:
        """Keep each message (as JSON), taken by ``holder`` at ``now``: their ids."""
        statement = insert(_OWED).returning(_OWED.c.id)
        return [
            int(self.connection.execute(statement, {
                "effect": effect, "taken_by": holder[:128], "taken_at": now
            }).scalar_one())
            for effect in effects
        ]  # fmt: skip

    def paid(self, ids: Sequence[int]) -> None:
        """The messages were said (or given up): forget them."""
        if ids:
            self.connection.execute(delete(_OWED).where(_OWED.c.id.in_(list(ids))))

    def take_owed(
        self, before: datetime, holder: str, now: datetime, limit: int = 100
    ) -> list[tuple[int, str]]:
        """The messages another process took before ``before`` and did not say, oldest
        first, now taken by ``holder``: (id, JSON). A row taken again meanwhile is left."""
        rows = self.connection.execute(
            select(_OWED.c.id, _OWED.c.effect, _OWED.c.taken_at)
            .where(_OWED.c.taken_at < before, _OWED.c.taken_by != holder[:128])
            .order_by(_OWED.c.id)
            .limit(limit)
        ).all()
        taken: list[tuple[int, str]] = []
        for row_id, effect, taken_at in rows:
            result = self.connection.execute(
                update(_OWED)
                .where(_OWED.c.id == row_id, _OWED.c.taken_at == taken_at)
                .values(taken_by=holder[:128], taken_at=now)
            )
            if int(getattr(result, "rowcount", 0) or 0) == 1:
                taken.append((int(row_id), str(effect)))
        return taken
