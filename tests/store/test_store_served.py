"""Self-served records and once-only keys, on a real database (both dialects): a key counts
once however often it is given, and the week's count is by source and by time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchstander.store import Store

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_a_key_is_claimed_once_ever(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.once("answers:7", NOW)
        assert not tx.once("answers:7", NOW + timedelta(days=3))
        assert tx.once("answers:8", NOW)
        assert tx.done_once("answers:7")
        assert not tx.done_once("nudge:U1:2026-11-24")
    with store.transaction() as tx:  # and it stays claimed after the transaction
        assert not tx.once("answers:7", NOW)


def test_self_served_counts_once_per_key_by_source_and_week(store: Store) -> None:
    with store.transaction() as tx:
        thread, _ = tx.ensure_thread("C0SUPPORT", "1000.000100", NOW)
        answer, _ = tx.ensure_thread("C0SUPPORT", "900.000100", NOW - timedelta(days=30))
        assert tx.add_self_served("form:V1", NOW, "U1", "form", None, answer.id)
        assert not tx.add_self_served("form:V1", NOW, "U1", "form", None, answer.id)
        assert tx.add_self_served("thread:1", NOW, "U2", "thread", thread.id, answer.id)
        assert tx.add_self_served("form:V2", NOW + timedelta(days=8), "U3", "form")
        # a thread of the week before, answered this week: it counts in its own week
        old, _ = tx.ensure_thread("C0SUPPORT", "800.000100", NOW - timedelta(days=3))
        tx.save_thread(old, {"posted_at": NOW - timedelta(days=3)})
        tx.save_thread(thread, {"posted_at": NOW})
        assert tx.add_self_served("thread:2", NOW, "U2", "thread", old.id, answer.id)
    with store.transaction() as tx:
        week = tx.self_served_between(NOW - timedelta(days=1), NOW + timedelta(days=6))
        assert week == {"form": 1, "thread": 1}
        before = tx.self_served_between(NOW - timedelta(days=8), NOW - timedelta(days=1))
        assert before == {"thread": 1}
        assert tx.self_served_thread(thread.id)
        assert not tx.self_served_thread(answer.id)


def test_the_offer_state_of_a_thread_in_one_statement(store: Store) -> None:
    with store.transaction() as tx:
        thread, _ = tx.ensure_thread("C0SUPPORT", "1000.000100", NOW)
        tx.save_thread(thread, {"level": 2})
        assert tx.offer_state("C0SUPPORT", "1000.000100") == (thread.id, 2, False, None)
        assert tx.offer_state("C0SUPPORT", "9.000100") is None  # not stored
        assert tx.add_page_once(thread, "watchstander/C0SUPPORT/1000.000100", NOW)
        tx.set_page_status("watchstander/C0SUPPORT/1000.000100", "triggered", "", NOW)
        assert tx.offer_state("C0SUPPORT", "1000.000100") == (thread.id, 2, False, "triggered")
        tx.save_thread(thread, {"resolved_at": NOW})
        assert tx.offer_state("C0SUPPORT", "1000.000100") == (thread.id, 2, True, "triggered")
        assert tx.once(f"answers:{thread.id}", NOW)
        assert tx.offer_state("C0SUPPORT", "1000.000100") is None  # offered already
