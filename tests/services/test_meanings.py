"""The meaning extra end to end below the chat: resolved threads made into vectors by the
process that leads (the latest resolutions first, then the whole history), kept in the
database, loaded by every process; a thread resolved again gets a new vector; the loop stops
when told and a database that fails is one log line. Real model, index and database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from watchstander.adapters.minilm import MiniLM
from watchstander.services import meanings as meanings_module
from watchstander.services.meanings import Meanings
from watchstander.store import Store, ThreadRow, Tx

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CHANNEL = "C0SUPPORT"


def made(store: Store, model: MiniLM) -> Meanings:
    from watchstander.adapters.nearest import Nearest

    return Meanings(store, model, Nearest())


def thread(tx: Tx, n: int, root: str, note: str = "", resolved: datetime | None = NOW) -> ThreadRow:
    at = NOW - timedelta(days=30) + timedelta(minutes=n)
    row, _ = tx.ensure_thread(CHANNEL, f"{1000 + n}.000100", at)
    values: dict[str, object] = {"root_text": root, "posted_at": at, "resolve_note": note}
    if resolved is not None:
        values |= {"resolved_at": resolved - timedelta(minutes=100 - n), "resolved_by": "U0DEV"}
    tx.save_thread(row, values)
    return row


def drain(meanings: Meanings, now: datetime = NOW) -> int:
    total, rounds = 0, 0
    while (done := meanings.make(now)) and rounds < 100:
        total, rounds = total + done, rounds + 1
    assert rounds < 100, "make never ran out of work"
    return total


def kept(store: Store) -> int:
    with store.engine.begin() as connection:
        return int(connection.execute(text("SELECT count(*) FROM meanings")).scalar_one())


def test_resolved_threads_are_found_by_meaning_in_every_process(
    store: Store, model: MiniLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(meanings_module, "BATCH", 2)  # several pages of the history
    with store.transaction() as tx:
        thread(tx, 1, "SSO login loops back to the Okta page", "ACS URL had a trailing slash")
        thread(tx, 2, "CSV export of the revenue report times out", "export it a month at a time")
        thread(tx, 3, "invoices show the wrong currency", "set it in Billing > Currency")
        thread(tx, 4, "webhook deliveries are retried twice", resolved=None)  # open: none
        thread(tx, 5, "password reset emails never arrive", "they were in the spam folder")
    leader = made(store, model)
    assert drain(leader) == 4
    assert kept(store) == 4
    assert leader.make(NOW + timedelta(minutes=1)) == 0  # nothing left: nothing made again
    standby = made(store, model)  # another process: loads, makes nothing
    assert standby.load() == 4
    assert standby.load() == 0
    asked = standby.vector("users get bounced back to okta over and over when signing in")
    assert standby.nearest(asked, 3, floor=0.4)[0][0] == 1
    assert all(thread_id != 4 for thread_id, _ in standby.nearest(asked, 5, floor=-1.0))


def test_a_thread_resolved_again_gets_a_new_vector(store: Store, model: MiniLM) -> None:
    with store.transaction() as tx:
        row = thread(tx, 1, "the mobile app crashes on start", "reinstall it")
    meanings = made(store, model)
    assert drain(meanings) == 1
    assert meanings.load() == 1
    later = NOW + timedelta(hours=2)
    with store.transaction() as tx:
        note = "fixed in release 4.2: update the app"
        tx.save_thread(row, {"resolve_note": note, "resolved_at": later})
    assert drain(meanings, later + timedelta(minutes=1)) == 1
    assert kept(store) == 1  # replaced, not added
    assert meanings.load() == 1  # the new row, loaded in the old one's place
    asked = meanings.vector("which release fixed the app crashing when it starts?")
    assert meanings.closeness(asked, [row.id])[row.id] > 0.4


@pytest.mark.parametrize("recent", [False, True], ids=["history", "recent"])
def test_a_stop_ends_a_batch_after_the_models_current_chunk(
    store: Store, model: MiniLM, recent: bool
) -> None:
    """A process told to stop in the middle of a batch (of the history's walk or of the
    latest resolutions) stops within one call of the model (a fraction of a second, not a
    whole batch) and keeps what it made; the rest is made in a later round."""
    count = meanings_module.CHUNK * 2 + 3
    assert count < meanings_module.BATCH  # one batch, in several chunks
    with store.transaction() as tx:
        for n in range(count):  # resolved at NOW (recent) or over the hours before it
            resolved = NOW + timedelta(minutes=100 - n) if recent else NOW
            thread(tx, n, f"report {n} shows the wrong totals", f"re-run report {n}", resolved)
    stopping = threading.Event()
    calls: list[int] = []
    threads = model.threads

    def stopped_after_one(pairs: Sequence[tuple[str, str]]) -> list[bytes]:
        calls.append(len(pairs))
        stopping.set()  # the stop comes while the model works on its first chunk
        return threads(pairs)

    meanings = made(store, model)
    meanings.meaning = SimpleNamespace(model=model.model, threads=stopped_after_one)
    now = NOW + timedelta(minutes=1)  # all of them resolved within OVERLAP (when recent)
    assert meanings.make(now, stopping) == meanings_module.CHUNK
    assert calls == [meanings_module.CHUNK]
    assert kept(store) == meanings_module.CHUNK
    stopping.clear()
    meanings.meaning = model  # the rest is made in a later round
    assert drain(meanings, now) == count - meanings_module.CHUNK
    assert kept(store) == count


def test_the_keeper_stops_when_told_and_a_failing_database_is_one_line(
    store: Store, model: MiniLM, caplog: pytest.LogCaptureFixture
) -> None:
    with store.transaction() as tx:
        thread(tx, 1, "SSO login loops back to the Okta page", "ACS URL had a trailing slash")
    meanings = made(store, model)
    stopping = threading.Event()
    rounds: list[int] = []  # the index's size at each round's start
    load = meanings.load

    def counted() -> int:
        rounds.append(len(meanings.index))
        return load()

    meanings.load = counted  # type: ignore[method-assign]

    def until(what: str, done: Callable[[], bool]) -> None:
        for _ in range(2000):
            if done():
                return
            stopping.wait(0.01)  # a bounded wait for the keeper's thread, not for time
        pytest.fail(f"the keeper never {what}")

    keeper = threading.Thread(target=meanings.run, args=(lambda: NOW, stopping, lambda: True, 0))
    with caplog.at_level(logging.WARNING, logger="watchstander.services.meanings"):
        keeper.start()
        until("loaded the vector it made", lambda: len(meanings.index) == 1)
        store.drop_everything()  # every statement fails from here
        failing_from = len(rounds)
        until("tried again", lambda: len(rounds) >= failing_from + 3)
        stopping.set()
        keeper.join(10)
    assert not keeper.is_alive()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1  # three failing rounds and more: one line
    assert lines[0].startswith("Meanings not kept up to date:")
    assert "\n" not in lines[0]
