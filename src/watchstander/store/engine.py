"""``Store``: the engine, the schema kept by Alembic, and transactions with their locks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from watchstander.store.models import Base, EventRow
from watchstander.store.search import SEARCH_CATCH_UP
from watchstander.store.tx import Tx

MIGRATIONS = Path(__file__).with_name("migrations")
StoreError = SQLAlchemyError  # what the store raises when the database fails a statement
# A PostgreSQL server that stops answering (a firewall that drops its packets) is noticed in
# about a minute, not the system's TCP timeouts of many minutes: a connection not made in 10 s
# fails, and an idle one is probed after 30 s, then every 10 s, given up after 3 misses.
LIBPQ_TIMEOUTS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}

# A process paused or frozen in a transaction (SIGSTOP, a suspended VM, a platform call that
# hangs while a thread's card holds the thread's lock) holds its locks: another replica that
# needs them would wait until it wakes. The server ends such a transaction (and its
# connection) once idle this long; the frozen process finds it failed when it wakes.
IDLE_IN_TRANSACTION_S = 20


def first_line(error: BaseException) -> str:
    """What the database said, in one line (for a log line without a traceback: a database
    gone away fails every event for a while, and each traceback would say the same)."""
    lines = str(error).splitlines()
    return lines[0][:200] if lines else type(error).__name__


class Store:
    """The database: an engine, a schema kept by Alembic, and transactions."""

    def __init__(
        self, url: str, *, echo: bool = False, idle_in_transaction_s: float = IDLE_IN_TRANSACTION_S
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
                from sqlalchemy.pool import StaticPool

                kwargs["poolclass"] = StaticPool
            else:
                _ensure_parent(url)
                # The warmest connection first: one transaction at a time takes the writer lock,
                # so one connection serves nearly all of them and keeps its page cache (a
                # connection whose file another one changed reads its pages again).
                kwargs["pool_use_lifo"] = True
        else:
            kwargs["pool_pre_ping"] = True
            given = make_url(url)
            if given.get_driver_name() in ("psycopg2", "psycopg"):  # libpq: a URL's own win
                kwargs["connect_args"] = {
                    k: v for k, v in LIBPQ_TIMEOUTS.items() if k not in given.query
                }
                if "options" not in given.query:
                    idle = round(idle_in_transaction_s * 1000)
                    kwargs["connect_args"]["options"] = (
                        f"-c idle_in_transaction_session_timeout={idle}"
                    )
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.RLock()
        # Messages that reactions are waiting for (kept in memory on SQLite: one process).
        self._orphans: set[tuple[str, str]] | None = None

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to the newest Alembic revision (or to ``revision``)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self._write_lock, self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        if revision == "head":  # an older schema (a test of an upgrade) has no search upkeep
            self.optimize()

    def revision(self) -> str | None:
        """The schema's Alembic revision, as the database says (None: not migrated)."""
        from alembic.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def optimize(self) -> None:
        """SQLite: bring the full-text index up to date (a search does it too, but then a
        day of posts at most is left for it) and refresh the query planner's statistics
        (quickly: ``analysis_limit`` reads a sample of each index). Done at start and by the
        daily digest; without statistics SQLite picks indexes by guesswork. PostgreSQL's
        autovacuum does this by itself."""
        if not self.is_sqlite:
            return
        with self._write_lock, self.engine.begin() as connection:
            for statement in SEARCH_CATCH_UP:
                connection.exec_driver_sql(statement)
            connection.exec_driver_sql("PRAGMA analysis_limit=400")
            connection.exec_driver_sql("ANALYZE")

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        lock = self._write_lock if self.is_sqlite else _NO_LOCK
        # One transaction on one connection; the ORM session, when a part of the work needs
        # one, joins it (its own begin and commit cost as much again as the statements of a
        # new thread, which needs none) and is flushed before the connection commits.
        with lock, self.engine.begin() as connection:
            if self._orphans is None:
                waiting = select(EventRow.channel, EventRow.item_ts).where(
                    EventRow.thread_id.is_(None)
                )
                self._orphans = {(c, t) for c, t in connection.execute(waiting).all()}
            tx = Tx(connection, self._sessions, lock_rows=not self.is_sqlite, orphans=self._orphans)
            try:
                yield tx
                tx.flush()
            finally:
                tx.close()

    def ping(self) -> None:
        """A trivial query on a connection of its own (no writer's lock): StoreError when
        the database does not answer."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    @property
    def writer(self) -> AbstractContextManager[Any]:
        """The lock that serialises writers in this process (a no-op on PostgreSQL)."""
        return self._write_lock if self.is_sqlite else _NO_LOCK

    def dispose(self) -> None:
        self.engine.dispose()

    def drop_everything(self) -> None:
        """Every table the bot makes dropped (its schema, Alembic's version, APScheduler's
        jobs), so that the next :meth:`migrate` starts from nothing: for the tests and the
        benchmarks, on a database of their own."""
        with self.engine.begin() as connection:
            Base.metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            connection.exec_driver_sql("DROP TABLE IF EXISTS apscheduler_jobs")


_NO_LOCK: AbstractContextManager[Any] = nullcontext()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _ensure_parent(url: str) -> None:
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if path:
        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
