"""Repeat topics on a real database (SQLite FTS5, PostgreSQL tsvector): root posts of this week
and the four before, found by the database's own full-text search."""

from __future__ import annotations

from sqlalchemy import event
from triage_helpers import at, edit, harness, post

from watchstander.services.review import repeat_topics
from watchstander.store import Store

DAY = 24 * 60
POSTS = [
    (-1 * DAY, "The VPN is down for everyone in Lisbon"),
    (-2 * DAY, "vpn down again?"),
    (-20 * DAY, "our VPN keeps dropping since the upgrade"),
    (-40 * DAY, "vpn broken"),  # before the window: not counted
    (-3 * DAY, "Password reset emails never arrive"),
    (-25 * DAY, "password reset mail is missing"),
    (-4 * DAY, "The export to CSV times out"),
    (-5 * DAY, "How do I add a new customer?"),
    (-30 * DAY, "invoices are wrong for ACME"),
    (-31 * DAY, "invoices are wrong for Globex"),  # came back, but not this week
]


def link(channel: str, ts: str) -> str:
    return f"https://slack/{channel}/{ts}"


def fill(store: Store) -> None:
    """The posts in the order they were posted: the window is kept by thread ids, which
    follow the order the bot first saw the threads."""
    triage = harness(store).service
    for minute, text in sorted(POSTS):
        triage.handle_message(post(minute, "U0CAROL", text), at(minute))


def test_topics_that_came_back_this_week_or_in_the_four_before(store: Store) -> None:
    fill(store)
    found = repeat_topics(store, at(-7 * DAY), link)
    named = {t.words: (t.count, t.this_week) for t in found}
    assert named == {"vpn": (3, 2), "password reset": (2, 1)}
    vpn = next(t for t in found if t.words == "vpn")
    assert [th.posted_at for th in vpn.threads] == sorted(
        (th.posted_at for th in vpn.threads), reverse=True
    )
    assert vpn.threads[0].link.startswith("https://slack/C0SUPPORT/")


def test_an_edited_root_post_is_searched_as_it_reads_now(store: Store) -> None:
    triage = harness(store).service
    triage.handle_message(post(-DAY, "U0CAROL", "printer jammed"), at(-DAY))
    triage.handle_message(post(-2 * DAY, "U0CAROL", "printer on fire"), at(-2 * DAY))
    triage.handle_message(edit(-DAY + 5, -DAY, "U0CAROL", "SSO login loops"), at(-DAY + 5))
    triage.handle_message(post(-3 * DAY, "U0DAVE", "sso login broken"), at(-3 * DAY))
    found = repeat_topics(store, at(-7 * DAY), link)
    assert [t.words for t in found] == ["sso login"]


def test_nothing_posted_gives_no_topics_and_odd_text_is_harmless(store: Store) -> None:
    assert repeat_topics(store, at(-7 * DAY), link) == []
    triage = harness(store).service
    odd = ['"vpn" AND OR NEAR( * ^ -', "vpn ' \" ); DROP TABLE threads; --", "🙂" * 5000, ""]
    for n, text in enumerate(odd):
        triage.handle_message(post(-DAY - n, "U0CAROL", text), at(-DAY - n))
    found = repeat_topics(store, at(-7 * DAY), link)
    assert [t.words for t in found][:1] == ["vpn"]
    assert found[0].count == 2


def test_the_statement_count_does_not_grow_with_the_threads(store: Store) -> None:
    triage = harness(store).service
    counts = []
    for size, start in ((10, 0), (60, 100)):
        for n in range(start, start + size):
            minute = -DAY - n * 10
            text = f"topic{n % 7} is slow"
            triage.handle_message(post(minute, "U0CAROL", text), at(minute))
        statements: list[str] = []

        def seen(_c: object, _k: object, sql: str, *_: object, out: list[str] = statements) -> None:
            out.append(sql)

        event.listen(store.engine, "before_cursor_execute", seen)
        found = repeat_topics(store, at(-7 * DAY), link)
        event.remove(store.engine, "before_cursor_execute", seen)
        counts.append(len(statements))
        assert len(found) >= 3
        assert all("topic" in t.words for t in found[:3])
    assert counts[0] == counts[1] <= (7 if store.is_sqlite else 5)  # SQLite: +2, index catch-up
