"""The processes alive and the work each took, on a real database (both dialects): a process
is alive while its heartbeat is renewed; work it took is left to it, taken over once when it
is gone (expired, forgotten, or a row from before takers were recorded); the digest's counts."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update

from watchstander.store import IssueRow, Store, StoreError

PG_URL = os.environ.get("WATCHSTANDER_TEST_DATABASE_URL", "")

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
A, B, C = "host:1:a", "host:2:b", "host:3:c"


def later(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def test_a_process_is_alive_while_its_heartbeat_is_renewed(store: Store) -> None:
    with store.transaction() as tx:
        tx.beat(A, NOW, later(15))
        tx.beat(B, NOW, later(15))
        tx.beat(A, later(5), later(20))  # renewed
    with store.transaction() as tx:
        assert tx.live_replicas(later(16)) == [A]
        assert not tx.is_gone(A, C, later(16))
        assert tx.is_gone(B, C, later(16))  # expired
        assert not tx.is_gone(B, B, later(16))  # a process is alive to itself
        assert tx.is_gone(None, C, NOW)  # taken before takers were recorded
        tx.forget_replicas([A])  # stopped
    with store.transaction() as tx:
        assert tx.live_replicas(later(16)) == []
        assert tx.is_gone(A, C, later(1))


def test_an_issue_is_left_to_a_live_taker_and_taken_over_once_from_a_gone_one(
    store: Store,
) -> None:
    with store.transaction() as tx:
        thread, _ = tx.ensure_thread("C0SUPPORT", "1000.000100", NOW)
        tx.beat(A, NOW, later(15))
        assert tx.claim_issue(thread.id, "bug", NOW, A) == ("new", None)
    with store.transaction() as tx:
        assert tx.claim_issue(thread.id, "bug", later(1), B) == ("busy", A)
        assert tx.claim_issue(thread.id, "bug", later(1), A) == ("busy", A)  # its own, running
        assert tx.unfinished_issues(B, later(1)) == []
        assert [r.taken_by for r in tx.unfinished_issues(B, later(15))] == [A]
        assert tx.unfinished_issues(A, later(15)) == []  # never its own
    with store.transaction() as tx:
        assert tx.claim_issue(thread.id, "bug", later(15), B) == ("resumed", A)
    with store.transaction() as tx:
        assert tx.claim_issue(thread.id, "bug", later(15), C) == ("resumed", B)  # B never beat
        tx.issue_failed(thread.id, "bug", later(16))
    with store.transaction() as tx:
        assert tx.claim_issue(thread.id, "bug", later(17), A) == ("again", None)
        tx.issue_made(thread.id, "bug", 7, "https://github/7", later(18))
    with store.transaction() as tx:
        assert tx.claim_issue(thread.id, "bug", later(19), B) == ("made", None)
        assert tx.in_flight() == {"issue": 0, "page": 0}


def test_rows_taken_before_takers_were_recorded_are_taken_over(store: Store) -> None:
    with store.transaction() as tx:
        thread, _ = tx.ensure_thread("C0SUPPORT", "1000.000100", NOW)
        tx.claim_issue(thread.id, "postmortem", NOW, A)
        tx.add_page_once(thread, "watchstander/C0SUPPORT/1000.000100", NOW)
        tx.add_pending_question("form-post:V1", NOW, "U1", "{}")
        tx.session.execute(update(IssueRow).values(taken_by=None))
    with store.transaction() as tx:
        assert tx.in_flight() == {"issue": 1, "page": 1}
        assert [r.kind for r in tx.unfinished_issues(B, NOW)] == ["postmortem"]
        assert [p.taken_by for p in tx.pending_pages(B, NOW)] == [None]
        assert tx.pending_questions(B, NOW) == [("form-post:V1", None)]
        assert tx.take_over_page("watchstander/C0SUPPORT/1000.000100", None, B)
        assert not tx.take_over_page("watchstander/C0SUPPORT/1000.000100", None, C)
        assert tx.take_over_question("form-post:V1", None, B)
        assert not tx.take_over_question("form-post:V1", None, C)
        assert tx.claim_issue(thread.id, "postmortem", NOW, B) == ("resumed", None)
    with store.transaction() as tx:
        assert tx.pending_pages(C, NOW)[0].taken_by == B  # B never beat: gone for C
        assert tx.pending_pages(B, NOW) == []
        assert tx.pending_questions(B, NOW) == []


def test_a_job_of_the_day_is_taken_over_once_when_its_process_is_gone(store: Store) -> None:
    key = "scheduled:digest:2026-11-24"
    with store.transaction() as tx:
        tx.beat(A, NOW, later(15))
        assert tx.take_daily(key, A, NOW)
        assert not tx.take_daily(key, B, NOW)
        assert tx.once("answers:7", NOW)  # once-only keys are not jobs
    with store.transaction() as tx:
        assert tx.unfinished_daily(B, later(1)) == []  # A runs it
        assert tx.unfinished_daily(B, later(15)) == [(key, A)]
        assert tx.take_over_daily(key, A, B, later(15))
        assert not tx.take_over_daily(key, A, C, later(15))
        tx.daily_done(key, later(16))
    with store.transaction() as tx:
        assert tx.unfinished_daily(C, later(60)) == []


def test_the_digest_counts_work_taken_over_since_the_last_digest(store: Store) -> None:
    with store.transaction() as tx:
        thread, _ = tx.ensure_thread("C0SUPPORT", "1000.000100", NOW)
        tx.audit(NOW, None, "took_over:issue", thread, A)
        tx.audit(later(1), None, "digest", None, "")
        tx.audit(later(2), None, "took_over:page", thread, A)
        tx.audit(later(3), None, "took_over:issue", thread, B)
        tx.audit(later(4), None, "took_over:issue", thread, B)
    with store.transaction() as tx:
        assert tx.last_audit("digest", later(5)) == later(1)
        assert tx.last_audit("digest", later(1)) is None
        assert tx.taken_over_since(later(1), later(5)) == {"page": 1, "issue": 2}
        assert tx.taken_over_since(None, later(5)) == {"page": 1, "issue": 3}


def test_an_issue_left_making_before_the_upgrade_is_taken_over_after_it(
    database_url: str,
) -> None:
    """Rows taken by a version that did not record takers: gone, taken over at the first
    start of this one (the ten-minute wait of that version is not kept)."""
    old = Store(database_url)
    try:
        old.migrate("0013")
        with old.transaction() as tx:
            thread, _ = tx.ensure_thread("C0SUPPORT", "1000.000100", NOW)
            tx.connection.execute(
                text(
                    "INSERT INTO issues (thread_id, kind, status, url, state, updated_at) "
                    "VALUES (:id, 'bug', 'making', '', 'open', :at)"
                ),
                {"id": thread.id, "at": NOW.replace(tzinfo=None)},
            )
        old.migrate()
        with old.transaction() as tx:
            assert [r.taken_by for r in tx.unfinished_issues(A, NOW)] == [None]
            assert tx.claim_issue(thread.id, "bug", NOW, A) == ("resumed", None)
    finally:
        old.dispose()


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL: set WATCHSTANDER_TEST_DATABASE_URL")
def test_a_postgresql_connection_gives_up_on_a_silent_server_in_about_a_minute() -> None:
    """libpq's own timeouts, unless the URL sets them: a firewall that drops the packets is a
    failed statement within a minute, not a hang for the system's TCP timeouts."""
    separator = "&" if "?" in PG_URL else "?"
    for url, timeout in ((PG_URL, "10"), (f"{PG_URL}{separator}connect_timeout=3", "3")):
        store = Store(url)
        try:
            with store.engine.connect() as connection:
                dsn = connection.connection.dbapi_connection.dsn  # type: ignore[union-attr]
        finally:
            store.dispose()
        given = dict(part.split("=", 1) for part in dsn.split())
        assert given["connect_timeout"] == timeout
        assert (given["keepalives_idle"], given["keepalives_count"]) == ("30", "3")


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL: set WATCHSTANDER_TEST_DATABASE_URL")
def test_a_transaction_left_idle_lets_go_of_its_locks(store: Store) -> None:
    """A process frozen in a transaction (SIGSTOP, a hung call) holding a thread's lock: the
    server ends that transaction once idle for the bound, so another process waiting for the
    lock goes on; the frozen one finds its transaction failed when it wakes."""
    if store.is_sqlite:
        pytest.skip("PostgreSQL's own bound (SQLite is one process)")
    frozen = Store(PG_URL, idle_in_transaction_s=1)
    other = Store(PG_URL)
    done = threading.Event()

    def waits() -> None:
        with other.transaction() as mine:
            mine.hold("C0SUPPORT", "1000.000100")
        done.set()

    def frozen_while_another_waits() -> None:
        with frozen.transaction() as tx:
            tx.hold("C0SUPPORT", "1000.000100")  # and then nothing, as if frozen
            waiter = threading.Thread(target=waits, daemon=True)
            waiter.start()
            assert done.wait(30), "the waiting process never got the lock"

    try:
        with pytest.raises(StoreError):  # ended by the server: its commit fails
            frozen_while_another_waits()
    finally:
        frozen.dispose()
        other.dispose()
