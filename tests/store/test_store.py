"""The store on a real database: schema from migrations, idempotent keys, aware times."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import StatementError

from watchstander.store import Base, EventRow, Store, ThreadRow

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


FULL_TEXT = {"search", "ix_threads_search", "thread_search"}  # 0006-7, not mapped: see ThreadRow


def not_full_text(_obj: object, name: str | None, *_rest: object) -> bool:
    return not (name or "").startswith(tuple(FULL_TEXT))


def test_migrations_build_exactly_the_models(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": not_full_text})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migrate_twice_is_harmless(store: Store) -> None:
    store.migrate()
    with store.transaction() as tx:
        assert tx.count(ThreadRow) == 0


def test_times_come_back_aware_and_in_utc(store: Store) -> None:
    cet = timezone(timedelta(hours=1))
    with store.transaction() as tx:
        row, made = tx.ensure_thread("C1", "1.000100", NOW.astimezone(cet))
        assert made
        row.posted_at = NOW.astimezone(cet)
    with store.transaction() as tx:
        again = tx.thread("C1", "1.000100")
        assert again is not None
        assert again.posted_at == NOW
        assert again.posted_at.tzinfo == UTC


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive") as refused, store.transaction() as tx:
        tx.ensure_thread("C1", "1.0", NOW.replace(tzinfo=None))
    # SQLAlchemy wraps the ValueError of UTCDateTime.process_bind_param; a database's own
    # error (DBAPIError, a subclass of StatementError) would be some other failure
    assert type(refused.value) is StatementError
    assert isinstance(refused.value.orig, ValueError)


def test_an_event_key_is_recorded_once(store: Store) -> None:
    def row() -> EventRow:
        return EventRow(
            event_key="msg:C1:1.0", channel="C1", item_ts="1.0", kind="post", ts="1.0", at=NOW
        )

    with store.transaction() as tx:
        thread, _ = tx.ensure_thread("C1", "1.0", NOW)
        first = row()
        first.thread_id = thread.id
        assert tx.add_event(first)
        assert not tx.add_event(row())
    with store.transaction() as tx:
        assert tx.count(EventRow) == 1


def test_a_timed_action_is_taken_once(store: Store) -> None:
    with store.transaction() as tx:
        thread, _ = tx.ensure_thread("C1", "1.0", NOW)
        assert tx.record_action(thread, "checkin", NOW, NOW)
        assert not tx.record_action(thread, "checkin", NOW, NOW + timedelta(seconds=5))
        assert tx.record_action(thread, "checkin", NOW + timedelta(minutes=30), NOW)


def test_threads_made_at_once_end_as_one(store: Store) -> None:
    barrier = threading.Barrier(6)
    ids: list[int] = []
    made: list[bool] = []

    def make() -> None:
        barrier.wait()
        with store.transaction() as tx:
            row, new = tx.ensure_thread("C1", "7.0", NOW, likely_new=True)
            ids.append(row.id)
            made.append(new)

    workers = [threading.Thread(target=make) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
        assert not worker.is_alive(), "a transaction hung"
    assert len(ids) == 6
    assert len(set(ids)) == 1
    assert made.count(True) == 1
