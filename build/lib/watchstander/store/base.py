"""What every part of a ``Tx`` stands on: its session, and inserting a row once."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from watchstander.store.models import Base

_INSERT_ONCE: dict[tuple[str, str, bool], Any] = {}


def _insert_once_statement(
    model: type[Base], dialect: str, keys: tuple[str, ...], returning: bool = False
) -> Any:
    cached = _INSERT_ONCE.get((model.__tablename__, dialect, returning))
    if cached is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        table = cast(Table, model.__table__)
        cached = insert(table).on_conflict_do_nothing(index_elements=list(keys))
        if returning:
            cached = cached.returning(table.c.id)
        _INSERT_ONCE[(model.__tablename__, dialect, returning)] = cached
    return cached


class TxBase:
    """The session a transaction's reads and writes go through, and what they share."""

    connection: Connection  # in a transaction
    _sessions: sessionmaker[Session]
    _session: Session | None = None

    @property
    def session(self) -> Session:
        """The ORM session, joined to the connection's transaction: made when first asked
        for (the statements of a new thread need none)."""
        if self._session is None:
            self._session = self._sessions(bind=self.connection)
        return self._session

    def flush(self) -> None:
        """Write what the session holds (before the transaction commits)."""
        if self._session is not None:
            self._session.flush()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _insert_once(self, model: type[Base], values: dict[str, Any], keys: list[str]) -> bool:
        """INSERT unless a row with the same unique ``keys`` exists: True when it was new.

        One statement (``ON CONFLICT DO NOTHING``) on SQLite and PostgreSQL, so a duplicate
        costs no savepoint and no exception.
        """
        values = {key: value for key, value in values.items() if value is not None}
        statement = _insert_once_statement(model, self._dialect_name, tuple(keys))
        result = self.connection.execute(statement, values)
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def _insert_new(self, model: type[Base], values: dict[str, Any], keys: list[str]) -> int | None:
        """INSERT unless a row with the same unique ``keys`` exists: the new row's id, or None
        (one statement, ``ON CONFLICT DO NOTHING RETURNING id``)."""
        values = {key: value for key, value in values.items() if value is not None}
        statement = _insert_once_statement(model, self._dialect_name, tuple(keys), True)
        found = self.connection.execute(statement, values).scalar()
        return None if found is None else int(found)

    @property
    def _dialect_name(self) -> str:
        return self.connection.dialect.name

    def count(self, table: type[Base]) -> int:
        return int(self.session.scalar(select(func.count()).select_from(table)) or 0)
