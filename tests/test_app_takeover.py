"""The composition root takes over what a process gone left half-done: at its start, and as
the lease's next holder; what a live process runs is left to it (issue 15)."""

from __future__ import annotations

import pytest
from e2e_helpers import wait_until
from test_app import NOW, Chat, platform, settings

from watchstander.app import App
from watchstander.services.effects import Effect
from watchstander.services.owed import dumps
from watchstander.store import Store
from watchstander_sandbox.bot_process import free_port

GONE = "elsewhere:1:gone"


def digests(chat: Chat) -> list[str]:
    return [text for channel, _, text in chat.posts if channel == "C0DIGEST"]


def test_a_digest_a_stopped_process_began_is_posted_at_the_next_start_once(
    database_url: str, store: Store
) -> None:
    today = f"scheduled:digest:{NOW.date().isoformat()}"  # TIMEZONE: UTC
    with store.transaction() as tx:
        assert tx.take_daily(today, GONE, NOW)  # began, then the process died
        assert tx.take_daily("scheduled:review:2020-01-01", GONE, NOW)  # a past day's
    chat = Chat()
    app = App(settings(database_url, free_port()), platform(chat), clock=lambda: NOW).start()
    try:

        def left() -> list[tuple[str, str | None]]:
            with store.transaction() as tx:
                return tx.unfinished_daily("nobody", NOW)

        wait_until(lambda: not left(), 10, "the jobs the gone process began: done or let go")
        (digest,) = digests(chat)
        assert "♻️ Work taken over from a stopped process since the last digest: 1 digest" in digest
        app.run_scheduled("digest")  # the job itself, the same day: run already
        app.run_scheduled("digest")
        assert len(digests(chat)) == 1
    finally:
        app.close()


def test_on_postgresql_the_leases_next_holder_takes_over_the_digest_of_the_last(
    database_url: str, store: Store
) -> None:
    if store.is_sqlite:
        pytest.skip("SQLite is one process: no lease")
    first_chat, second_chat = Chat(), Chat()
    first = App(settings(database_url, free_port()), platform(first_chat), clock=lambda: NOW)
    second = App(settings(database_url, free_port()), platform(second_chat), clock=lambda: NOW)
    try:
        first.start()
        second.start()
        assert second.lease is not None
        with store.transaction() as tx:  # the holder began the day's digest
            assert tx.take_daily(f"scheduled:digest:{NOW.date().isoformat()}", first.taker, NOW)
        assert not second.lease.tick(NOW)
        assert not second.left_over(NOW)  # not the holder: the day's jobs are the holder's
        first.close()  # stopped half-way (its heartbeat gone with it)
        assert second.lease.tick(NOW)  # the next holder
        (digest,) = wait_until(lambda: digests(second_chat), 10, "the digest taken over")
        assert "since the last digest: 1 digest" in digest
        assert digests(first_chat) == []
    finally:
        first.close()
        second.close()


class ReadingChat(Chat):
    """A chat that can read its threads back (a ThreadReader), as Slack's can."""

    def bot_said(self, channel: str, thread_ts: str, text: str, since: object) -> bool:
        return any(p == (channel, thread_ts, text) for p in self.posts)


def test_what_a_process_gone_decided_to_say_is_said_at_the_next_start_once(
    database_url: str, store: Store
) -> None:
    said = Effect("checkin", "C0SUPPORT", "1764000000.000100", {"assignee": "U0DEV"})
    posted = Effect("claimed", "C0SUPPORT", "1764000000.000200", {"assignee": "U0DEV"})
    with store.transaction() as tx:  # decided, then the process died (before or after posting)
        tx.owe([dumps(said, NOW), dumps(posted, NOW)], GONE, NOW)
    chat = ReadingChat()
    app = App(settings(database_url, free_port()), platform(chat), clock=lambda: NOW)
    chat.posts.append(("C0SUPPORT", posted.thread_ts, app.renderer.render("claimed", posted.data)))
    try:
        app.start()

        def owed() -> bool:
            with store.transaction() as tx:
                return tx.owed_left("nobody", NOW)

        wait_until(lambda: not owed(), 10, "the messages owed: said, or found said")
        threads = [thread for _, thread, _ in chat.posts]
        assert threads.count(said.thread_ts) == 1  # said once
        assert threads.count(posted.thread_ts) == 1  # found in its thread: not again
        app.resume(NOW)
        assert len(chat.posts) == 2
    finally:
        app.close()
