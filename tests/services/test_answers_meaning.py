"""Answers from past threads with the meaning extra, on a real database, model and index: a
question in other words than its thread's finds it, an unrelated one (even sharing the
feature's words) finds nothing, an open or later thread or the question's own is never
suggested, and a thread not made into a vector yet is still found by its words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchstander.adapters.minilm import MiniLM
from watchstander.services.answers import AnswerService
from watchstander.services.meanings import Meanings
from watchstander.store import Store, Tx

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CHANNEL = "C0SUPPORT"


def thread(tx: Tx, n: int, root: str, note: str, *, resolved: bool = True) -> int:
    at = NOW - timedelta(days=30) + timedelta(hours=n)
    row, _ = tx.ensure_thread(CHANNEL, f"{1000 + n}.000100", at)
    values: dict[str, object] = {"root_text": root, "posted_at": at, "resolve_note": note}
    if resolved:
        values |= {"resolved_at": at + timedelta(minutes=30), "resolved_by": "U0DEV"}
    tx.save_thread(row, values)
    return row.id


def answers(store: Store, model: MiniLM, *, make: bool = True) -> AnswerService:
    from watchstander.adapters.nearest import Nearest

    meanings = Meanings(store, model, Nearest())
    while make and meanings.make(NOW):
        pass
    meanings.load()
    return AnswerService(store, lambda c, t: f"https://slack/archives/{c}/p{t}", meanings=meanings)


HISTORY = {
    "sso": ("SSO login loops back to the Okta page", "ACS URL had a trailing slash"),
    "export": ("CSV export of the revenue report times out", "export a month at a time"),
    "currency": ("invoices show the wrong currency", "set it in Billing > Currency"),
}


def history(tx: Tx) -> dict[str, int]:
    ids = {name: thread(tx, n, *HISTORY[name]) for n, name in enumerate(HISTORY, start=1)}
    ids["open"] = thread(tx, 4, "users keep getting bounced back to okta", "", resolved=False)
    return ids


def test_other_words_for_the_same_problem_find_the_thread(store: Store, model: MiniLM) -> None:
    with store.transaction() as tx:
        ids = history(tx)
    asked = "okta keeps redirecting in a circle"
    by_words = AnswerService(store, lambda c, t: "")
    assert by_words.suggest(asked, NOW) == []  # no word of it is in the thread's
    found = answers(store, model).suggest(asked, NOW)
    assert [(s.thread_id, s.line, s.matched) for s in found] == [
        (ids["sso"], "ACS URL had a trailing slash", 0)
    ]  # not the open thread, nearer still in words
    assert found[0].score > 0.58


def test_an_unrelated_question_gets_nothing_even_with_the_features_words(
    store: Store, model: MiniLM
) -> None:
    with store.transaction() as tx:
        history(tx)
    service = answers(store, model)
    assert service.suggest("can the revenue report show a target line?", NOW) == []
    assert service.suggest("does okta provisioning create teams automatically?", NOW) == []
    assert service.suggest("how do I add a second billing contact?", NOW) == []


def test_its_own_thread_and_later_resolutions_are_never_suggested(
    store: Store, model: MiniLM
) -> None:
    with store.transaction() as tx:
        ids = history(tx)
    service = answers(store, model)
    asked = "SSO login loops back to the Okta page"
    assert ids["sso"] not in [s.thread_id for s in service.suggest(asked, NOW, ids["sso"])]
    early = NOW - timedelta(days=30)  # before any was resolved
    assert service.suggest(asked, early) == []


def test_a_thread_without_a_vector_yet_is_found_by_its_words(store: Store, model: MiniLM) -> None:
    with store.transaction() as tx:
        ids = history(tx)
    service = answers(store, model, make=False)  # nothing made yet
    found = service.suggest("CSV export of the revenue report times out again", NOW)
    assert [s.thread_id for s in found] == [ids["export"]]


def test_nearer_threads_that_may_not_answer_leave_room_for_one_that_may(
    store: Store, model: MiniLM
) -> None:
    """The nearest threads may be the question's own or posted after it: the threads kept
    are the nearest of those that may answer it."""
    with store.transaction() as tx:
        first = thread(tx, 1, "okta login loops forever", "ACS URL had a trailing slash")
        own = thread(tx, 2, "okta keeps redirecting in a circle", "cleared the cookies")
        for n in (3, 4, 5):  # later, and nearer still
            thread(tx, n, "okta keeps redirecting in a circle!", "a later fix")
    found = answers(store, model).suggest("okta keeps redirecting in a circle", NOW, own)
    assert [s.thread_id for s in found] == [first]
