"""The full-text search of root posts on a real database. On SQLite the index is brought up to
date by the search itself (migration 0007): what a search finds must not depend on whether a
thread was stored, edited or deleted before or after the index last caught up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, text

from watchstander.store import Store, ThreadRow, Tx

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CHANNEL = "C0SUPPORT"


def add(tx: Tx, n: int, text: str) -> ThreadRow:
    row, made = tx.ensure_thread(CHANNEL, f"{1000 + n}.000100", NOW + timedelta(minutes=n))
    assert made
    tx.save_thread(row, {"root_text": text, "posted_at": NOW + timedelta(minutes=n)})
    return row


def found(store: Store, *terms: str) -> dict[str, int]:
    """What a search finds; on SQLite, the index it searched must then hold exactly the
    threads' root posts (FTS5's own check of an index against its content table)."""
    with store.transaction() as tx:
        counts = tx.term_counts(list(terms), first=0)
        if store.is_sqlite:
            check = "INSERT INTO thread_search(thread_search) VALUES ('integrity-check')"
            tx.session.connection().exec_driver_sql(check)
        return counts


def test_a_thread_is_found_whenever_the_index_caught_up(store: Store) -> None:
    with store.transaction() as tx:
        add(tx, 1, "the revenue report does not tie out")
    assert found(store, "revenue report", "export button") == {"revenue report": 1}
    with store.transaction() as tx:  # stored after a search: found by the next one
        add(tx, 2, "where is the export button?")
        add(tx, 3, "the revenue reports are late")
    assert found(store, "revenue report", "export button") == {
        "revenue report": 2,
        "export button": 1,
    }


def test_an_edit_is_searched_as_edited_before_and_after_indexing(store: Store) -> None:
    with store.transaction() as tx:
        early = add(tx, 1, "the revenue report does not tie out")
    assert found(store, "revenue report") == {"revenue report": 1}  # indexed now
    with store.transaction() as tx:
        late = add(tx, 2, "where is the export button?")
        tx.save_thread(late, {"root_text": "where is the import button?"})  # not indexed yet
        tx.save_thread(early, {"root_text": "the invoice total does not tie out"})
    assert found(store, "revenue report", "export button", "import button", "invoice total") == {
        "import button": 1,
        "invoice total": 1,
    }


def test_a_deleted_thread_is_not_found(store: Store) -> None:
    with store.transaction() as tx:
        add(tx, 1, "the revenue report does not tie out")
    assert found(store, "revenue report") == {"revenue report": 1}
    with store.transaction() as tx:
        add(tx, 2, "the revenue report is empty")
        tx.session.execute(delete(ThreadRow))
    assert found(store, "revenue report") == {}
    with store.transaction() as tx:
        add(tx, 3, "a revenue report again")
    assert found(store, "revenue report") == {"revenue report": 1}


def test_the_daily_upkeep_indexes_what_was_posted(store: Store) -> None:
    """SQLite: ``optimize`` (at start and with the daily digest) leaves a search nothing to
    index; then FTS5's own check finds the index whole without a search having run."""
    with store.transaction() as tx:
        first = add(tx, 1, "the revenue report does not tie out")
        add(tx, 2, "where is the export button?")
    store.optimize()
    if store.is_sqlite:
        with store.engine.begin() as connection:
            upto = connection.exec_driver_sql("SELECT indexed_upto FROM thread_search_progress")
            assert upto.scalar() == first.id + 1
            check = "INSERT INTO thread_search(thread_search) VALUES ('integrity-check')"
            connection.exec_driver_sql(check)
    assert found(store, "export button") == {"export button": 1}


def test_threads_indexed_before_the_upgrade_stay_found(tmp_path: Path) -> None:
    """A SQLite database from before 0007 (its index kept by an insert trigger) upgraded."""
    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        store.migrate("0006")
        with store.engine.begin() as connection:  # as the code of 0006 wrote a thread
            connection.execute(
                text(
                    "INSERT INTO threads (channel, root_ts, root_text, level, watchers, "
                    "breached, resolve_note, said_level, said_resolved, created_at, updated_at)"
                    " VALUES (:c, '1001.000100', 'the revenue report does not tie out', 0, "
                    "'[]', 0, '', 0, 0, '2026-11-24 09:01:00', '2026-11-24 09:01:00')"
                ),
                {"c": CHANNEL},
            )
        store.migrate()
        with store.transaction() as tx:
            add(tx, 2, "the revenue report is empty")
            old = tx.thread(CHANNEL, "1001.000100")
            assert old is not None
            tx.save_thread(old, {"root_text": "where is the export button?"})
        assert found(store, "revenue report", "export button") == {
            "revenue report": 1,
            "export button": 1,
        }
    finally:
        store.dispose()


WORDS = ["revenue", "report", "export", "button", "invoice", "total"]
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "edit", "delete", "search"]),
        st.integers(0, 5),
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS)
def test_search_agrees_with_the_posts_whatever_the_order(steps: list) -> None:  # type: ignore[type-arg]
    """Posts added, edited and deleted in any order, searched in between: each search finds
    exactly the threads whose root post holds the word, and the index stays whole."""
    folder = TemporaryDirectory()
    store = Store(f"sqlite:///{Path(folder.name) / 'search.db'}")
    try:
        store.migrate()
        texts: dict[int, str] = {}  # the model: thread number -> root post
        made = 0
        for action, pick, words in steps:
            with store.transaction() as tx:
                live = sorted(texts)
                if action == "add" or (action != "search" and not live):
                    made += 1
                    add(tx, made, " ".join(words))
                    texts[made] = " ".join(words)
                elif action == "edit":
                    n = live[pick % len(live)]
                    row = tx.thread(CHANNEL, f"{1000 + n}.000100")
                    assert row is not None
                    tx.save_thread(row, {"root_text": " ".join(words)})
                    texts[n] = " ".join(words)
                elif action == "delete":
                    n = live[-1 - pick % len(live)]  # the newest ones most often
                    tx.session.execute(
                        delete(ThreadRow).where(ThreadRow.root_ts == f"{1000 + n}.000100")
                    )
                    del texts[n]
            if action == "search":
                expected = {w: sum(w in t.split() for t in texts.values()) for w in WORDS}
                assert found(store, *WORDS) == {w: n for w, n in expected.items() if n}
        expected = {w: sum(w in t.split() for t in texts.values()) for w in WORDS}
        assert found(store, *WORDS) == {w: n for w, n in expected.items() if n}
    finally:
        store.dispose()
        folder.cleanup()
