"""The look for earlier resolved threads like a question, on a real database (both dialects):
the most alike first, never an open thread nor the question's own, and no text breaks it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchstander.store import Store, ThreadRow, Tx
from watchstander.store.answers import search_words

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CHANNEL = "C0SUPPORT"


def add(tx: Tx, n: int, text: str, *, resolved: bool = True) -> ThreadRow:
    at = NOW + timedelta(minutes=n)
    row, made = tx.ensure_thread(CHANNEL, f"{1000 + n}.000100", at)
    assert made
    values: dict[str, object] = {"root_text": text, "posted_at": at}
    if resolved:
        values |= {"resolved_at": at + timedelta(minutes=1), "resolved_by": "U0DEV"}
    tx.save_thread(row, values)
    return row


def similar(store: Store, *terms: str, before: int | None = None) -> list[tuple[str, int]]:
    with store.transaction() as tx:
        found = tx.similar_resolved(list(terms), limit=3, before_id=before)
    return [(hit.root_ts, hit.matched) for hit in found]


def test_the_most_alike_resolved_thread_ranks_first(store: Store) -> None:
    with store.transaction() as tx:
        add(tx, 1, "the invoice pdf shows the wrong currency for EU customers")
        add(tx, 2, "csv export of the revenue report times out")
        add(tx, 3, "the export button is grey")
        add(tx, 4, "password reset emails never arrive")
    found = similar(store, "revenue", "reports", "exported", "timing", "slow")
    assert found[0] == ("1002.000100", 4)  # stemmed: report, export, time
    assert [ts for ts, _ in found] == ["1002.000100", "1003.000100"]
    assert similar(store, "kubernetes", "helm") == []


def test_open_threads_and_the_question_itself_are_never_suggested(store: Store) -> None:
    with store.transaction() as tx:
        add(tx, 1, "sso login loops back to the okta page", resolved=False)
        old = add(tx, 2, "sso login with okta fails for new users")
        own = add(tx, 3, "okta sso login loops forever")
        later = add(tx, 4, "okta sso login loops after the upgrade")
    assert similar(store, "okta", "sso", "login", "loops", before=own.id) == [("1002.000100", 3)]
    assert similar(store, "okta", "sso", "login", "loops", before=old.id) == []
    everything = similar(store, "okta", "sso", "login", "loops")
    assert "1001.000100" not in [ts for ts, _ in everything]  # open: never
    assert everything[0][0] in {own.root_ts, later.root_ts}


def test_resolved_after_the_question_is_not_an_answer_yet(store: Store) -> None:
    with store.transaction() as tx:
        add(tx, 1, "webhook deliveries are retried twice")
        found = tx.similar_resolved(["webhook", "retried"], resolved_before=NOW)
    assert found == []


def indexed_upto(store: Store) -> int | None:
    """SQLite: the highest thread id the full-text index holds (None on PostgreSQL)."""
    if not store.is_sqlite:
        return None
    with store.engine.begin() as connection:
        mark = connection.exec_driver_sql("SELECT indexed_upto FROM thread_search_progress")
        return int(mark.scalar_one())


def test_the_look_for_answers_indexes_only_when_a_resolved_thread_waits(store: Store) -> None:
    """The look that follows each post stays a read while only open threads were posted
    since the index was last brought up to date; a thread resolved since is indexed and
    found at the next look."""
    with store.transaction() as tx:
        add(tx, 1, "webhook deliveries are retried twice")
    assert similar(store, "webhook", "retried") == [("1001.000100", 2)]
    mark = indexed_upto(store)
    with store.transaction() as tx:
        add(tx, 2, "webhook deliveries retried three times", resolved=False)
        pending = add(tx, 3, "webhook retried with an old payload", resolved=False)
    assert similar(store, "webhook", "retried") == [("1001.000100", 2)]
    assert indexed_upto(store) == mark  # nothing written
    with store.transaction() as tx:
        tx.save_thread(pending, {"resolved_at": NOW + timedelta(hours=1), "resolved_by": "U0DEV"})
    assert sorted(similar(store, "webhook", "retried")) == [
        ("1001.000100", 2),
        ("1003.000100", 2),
    ]
    assert mark is None or indexed_upto(store) == pending.id


HOSTILE = [
    '"unbalanced quote',
    "NEAR(export invoice, 2)",
    "export AND invoice OR NOT",
    "root_text:export",
    "expo* ^invoice -billing +sso",
    "{export invoice} (sso) [x] 'single' `tick` \\ / ; -- DROP TABLE threads",
    "ǅemo Ｅｘｐｏｒｔ 输出 発票 ﷺ \u200b\u0000 \U0001f525 é\u0301",
    "export " * 50_000,
    "a" * 100_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_odd_text_does_not_break_the_query(store: Store, text: str) -> None:
    with store.transaction() as tx:
        add(tx, 1, "export of invoices to csv drops the last row")
        add(tx, 2, text.replace("\0", ""))  # PostgreSQL stores no NUL; the search gets it
    words = text.split()
    with store.transaction() as tx:
        found = tx.similar_resolved(words, limit=3)
        tx.similar_resolved([text], limit=3)
    if "export" in search_words(words):
        assert "1001.000100" in [hit.root_ts for hit in found]


def test_search_words_keep_no_operator() -> None:
    assert search_words(['"sso"', "NEAR(a", "b)", "AND", "col:umn*", "x^2"]) == [
        "sso",
        "a",
        "b",
        "col",
        "umn",
        "x",
        "2",
    ]


def test_the_found_threads_and_their_replies_until_resolved_in_one_go(store: Store) -> None:
    with store.transaction() as tx:
        done = add(tx, 1, "export drops the last row")
        still_open = add(tx, 2, "export is blank", resolved=False)
        tx.add_message(done, "1001.000100", "U0POSTER", "export drops the last row", NOW)
        after = NOW + timedelta(minutes=3)  # after the resolution (at 2 minutes): not an answer
        for ts, who, body, at in (
            ("1001.000300", "U0DEV", "use the v2 exporter", NOW + timedelta(seconds=40)),
            ("1001.000200", "U0DEV", "looking", NOW + timedelta(seconds=20)),
            ("1001.000400", "U0DEV", "reopened?", after),
        ):
            tx.add_message(done, ts, who, body, at)
    with store.transaction() as tx:
        rows = tx.resolved_threads([done.id, still_open.id, 999])
        replies = tx.replies_until_resolved([done.id, still_open.id])
        assert list(rows) == [done.id]
        assert tx.resolved_threads([]) == {}
        assert tx.replies_until_resolved([]) == {}
    assert replies == {done.id: [("U0DEV", "looking"), ("U0DEV", "use the v2 exporter")]}


def common_similar(store: Store, *terms: str) -> list[str]:
    with store.transaction() as tx:
        found = tx.similar_resolved(list(terms), limit=3, common=1)
    return [hit.root_ts for hit in found]


def test_a_common_word_finds_threads_only_with_another_word_of_the_question(store: Store) -> None:
    with store.transaction() as tx:
        add(tx, 1, "the export times out")
        add(tx, 2, "the export is blank")
        add(tx, 3, "csv export drops the last row")
        add(tx, 4, "the csv import is slow")
        add(tx, 5, "pdf invoice has the wrong vat")
    # past one post, "export" (3 posts) and "csv" (2) are common; "vat" (1) is rare
    assert common_similar(store, "export", "csv", "vat") == ["1005.000100", "1003.000100"]
    assert common_similar(store, "export", "csv") == ["1003.000100"]  # both: only together
    assert set(common_similar(store, "export")) <= {"1001.000100", "1002.000100", "1003.000100"}
    assert len(common_similar(store, "export")) == 3  # a common word alone still finds threads
    assert common_similar(store, "export", "vat") == ["1005.000100"]  # the rare word leads
