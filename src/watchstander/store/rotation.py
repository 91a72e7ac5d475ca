"""Who is on call: the rotation, its overrides, and the handoffs the bot announced."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from watchstander.store.base import TxBase
from watchstander.store.models import HandoffRow, OverrideRow, RotationRow


class RotationTx(TxBase):
    """A transaction's rotation, overrides and handoffs."""

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

    def end_overrides(self, at: datetime) -> int:
        """No override from ``at`` on (a rotation imported whole): those to come are removed,
        the one in force ends at ``at``. How many there were."""
        rows = self.overrides(at)
        for row in rows:
            if row.start_at >= at:
                self.session.delete(row)
            else:
                row.end_at = at
        return len(rows)
