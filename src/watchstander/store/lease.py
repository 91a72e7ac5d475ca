"""The lease on scheduled work, and locks that hold across processes for a transaction."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import Table, case, or_, select, text, update

from watchstander.store.base import TxBase
from watchstander.store.models import LeaseRow

_LEASES = cast(Table, LeaseRow.__table__)
_XACT_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


class Held(NamedTuple):
    holder: str
    generation: int
    expires_at: datetime


class LeaseTx(TxBase):
    """A transaction's part of the lease (one row per lease name)."""

    def take_lease(self, name: str, holder: str, now: datetime, until: datetime) -> int | None:
        """Hold ``name`` for ``holder`` until ``until`` when it is free, expired by ``now``
        or held by ``holder`` already: its generation (one more than before when it changed
        hands), or None when another holds it."""
        c = _LEASES.c
        statement = (
            update(_LEASES)
            .where(c.name == name, or_(c.holder == holder, c.expires_at <= now))
            .values(
                holder=holder,
                expires_at=until,
                generation=case((c.holder == holder, c.generation), else_=c.generation + 1),
                taken_at=case((c.holder == holder, c.taken_at), else_=now),
            )
            .returning(c.generation)
        )
        generation = self.connection.execute(statement).scalar()
        if generation is not None:
            return int(generation)
        values = {"name": name, "holder": holder, "generation": 1, "expires_at": until}
        return 1 if self._insert_once(LeaseRow, values | {"taken_at": now}, ["name"]) else None

    def lease(self, name: str) -> Held | None:
        """Who holds ``name``, in which generation, until when (None: never taken)."""
        c = _LEASES.c
        query = select(c.holder, c.generation, c.expires_at).where(c.name == name)
        row = self.connection.execute(query).first()
        return None if row is None else Held(str(row[0]), int(row[1]), row[2])

    def release_lease(self, name: str, holder: str, now: datetime) -> bool:
        """Let ``name`` go at ``now`` if ``holder`` holds it (the next taker need not wait)."""
        c = _LEASES.c
        statement = update(_LEASES).where(c.name == name, c.holder == holder).values(expires_at=now)
        return bool(self.connection.execute(statement).rowcount)

    def hold(self, channel: str, *keys: str) -> None:
        """PostgreSQL: lock each thread or message (``keys``: their ts) of ``channel`` until
        this transaction ends, across processes (an advisory lock each, taken in one order,
        so two holders never wait on each other). SQLite: nothing (one process, whose
        writers take one lock already)."""
        if self._dialect_name != "postgresql":
            return
        for key in sorted({_lock_key(f"{channel}/{key}") for key in keys}):
            self.connection.execute(_XACT_LOCK, {"key": key})


def _lock_key(key: str) -> int:
    """A stable signed 64-bit number for ``key`` (Python's hash() differs per process)."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
