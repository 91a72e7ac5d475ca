"""Replicas end to end: two real bots on one PostgreSQL database and one local Slack (which
gives each envelope to one of the app's connections, in turn). Urgent posts spread between
them are each answered once; the lease holder is killed with SIGKILL in the middle of a
burst; the other keeps answering, takes the lease and sends the claimed threads' check-ins,
once each, and what the killed one was in the middle of; the killed one comes back and
nothing is done twice. And on SQLite, a second process on the same file stops at start with
one line."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from database_helpers import empty_database
from e2e_helpers import DEV, POSTER, SUPPORT, Bot, wait_until
from test_triage_e2e import CHECKIN, PAST, URGENT, minutes_ago

from watchstander_sandbox.bot_process import bot_env, start_bot
from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e

LEASE = {"WATCHSTANDER_LEASE": "3s", **PAST}  # renewed every second; taken over within 4 s


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("WATCHSTANDER_TEST_DATABASE_URL", "")
    if not url:
        pytest.skip("PostgreSQL: set WATCHSTANDER_TEST_DATABASE_URL to run replicas")
    empty_database(url)
    return url


@pytest.fixture
def two_bots(slack: LocalSlack, tmp_path: Path, pg_url: str) -> Iterator[tuple[Bot, Bot]]:
    bots = (Bot(slack, tmp_path / "a", pg_url), Bot(slack, tmp_path / "b", pg_url))
    try:
        for bot in bots:
            bot.data.mkdir()
            bot.start(**LEASE)
        yield bots
    finally:
        for bot in bots:
            bot.close()


def holder(bot: Bot) -> str | None:
    with bot.store().transaction() as tx:
        found = tx.lease("scheduler")
    return None if found is None else found.holder


def pid_of(holder_id: str) -> int:
    return int(holder_id.split(":")[1])


def answered(bot: Bot, roots: list[str]) -> dict[str, int]:
    """How many times the bot posted into each root's thread (announcements and more)."""
    counts = dict.fromkeys(roots, 0)
    for call in bot.posts():
        thread = str(call.params.get("thread_ts") or "")
        if thread in counts:
            counts[thread] += 1
    return counts


def checkins(bot: Bot, root: str) -> int:
    return sum(CHECKIN in text for text in bot.texts(root))


def test_two_replicas_answer_once_and_the_survivor_takes_the_lease(
    slack: LocalSlack, two_bots: tuple[Bot, Bot]
) -> None:
    a, b = two_bots
    leader_id = str(wait_until(lambda: holder(a), 10, "a lease holder"))
    assert a.process is not None
    assert b.process is not None
    leader, other = (a, b) if pid_of(leader_id) == a.process.pid else (b, a)
    assert leader.process is not None
    assert pid_of(leader_id) == leader.process.pid
    # 25 urgent posts, spread over both connections: each answered once
    first = [slack.post(POSTER, SUPPORT, f"{URGENT} #{n}", at=minutes_ago(40)) for n in range(25)]
    wait_until(lambda: all(n >= 1 for n in answered(a, first).values()), 60, "25 answers")
    # three claimed 35 minutes ago: their check-ins (30 m after the claim) are due now, and
    # the holder sends them even when the other replica took the claim
    claimed = first[:3]
    for root in claimed:
        slack.react(DEV, SUPPORT, root, "eyes", at=minutes_ago(35))
    wait_until(lambda: all(checkins(a, r) == 1 for r in claimed), 30, "3 check-ins")
    # a burst of 25 more (50 in all); the holder is killed in the middle of it
    burst: list[str] = []
    for n in range(25):
        burst.append(slack.post(POSTER, SUPPORT, f"{URGENT} burst {n}", at=minutes_ago(40)))
        if n == 12:
            # killed in the middle of the burst, whatever it is doing: an event it took and
            # did not finish is not acked (Slack gives it to the other connection), and what
            # it decided to say and did not is said by the lease's next holder
            assert leader.process is not None
            leader.process.send_signal(signal.SIGKILL)
            leader.process.wait(timeout=10)
    wait_until(lambda: all(n >= 1 for n in answered(a, burst).values()), 60, "the burst")
    # three more claimed: their check-ins come from the survivor, once it holds the lease
    later = burst[13:16]
    for root in later:
        slack.react(DEV, SUPPORT, root, "eyes", at=minutes_ago(35))
    wait_until(lambda: holder(other) not in (None, leader_id), 30, "the lease taken over")
    assert other.process is not None
    assert pid_of(str(holder(other))) == other.process.pid
    wait_until(lambda: all(checkins(a, r) == 1 for r in later), 30, "3 more check-ins")
    # the killed one comes back: it follows, and nothing is done twice
    leader.process = None
    leader.start(**LEASE)
    assert pid_of(str(holder(other))) == other.process.pid
    last = slack.post(POSTER, SUPPORT, f"{URGENT} after the restart", at=minutes_ago(40))
    leader.wait_posts(last, 1)
    roots = first + burst + [last]
    counts = answered(a, roots)
    for root in roots:
        if root in claimed or root in later:
            # the announcement, the claim, one check-in
            assert counts[root] == 3, (root, a.texts(root))
            assert checkins(a, root) == 1
        else:
            assert counts[root] == 1, (root, a.texts(root))


def test_a_second_process_on_one_sqlite_file_stops_with_one_line(
    slack: LocalSlack, tmp_path: Path
) -> None:
    first = Bot(slack, tmp_path)
    try:
        first.start()
        second_data = tmp_path / "second"
        second_data.mkdir()
        env = bot_env(slack, second_data, WATCHSTANDER_DATABASE_URL=first.database_url)
        second = start_bot(env, second_data / "bot-output.log")
        assert second.wait(timeout=60) == 3
        output = (second_data / "bot-output.log").read_text(errors="replace")
        lines = [line for line in output.splitlines() if "SQLite is for one process" in line]
        assert len(lines) == 1, output
        assert str(tmp_path / "watchstander.db") in lines[0]
        assert not first.exited
    finally:
        first.close()


def errbot_log_of(bot: Bot) -> str:
    return (bot.data / "errbot" / "errbot.log").read_text(encoding="utf-8", errors="replace")


def test_a_paused_holder_loses_the_lease_and_does_not_act_on_it_when_it_wakes(
    slack: LocalSlack, two_bots: tuple[Bot, Bot]
) -> None:
    a, b = two_bots
    leader_id = str(wait_until(lambda: holder(a), 10, "a lease holder"))
    leader, other = (
        (a, b) if a.process is not None and pid_of(leader_id) == a.process.pid else (b, a)
    )
    assert leader.process is not None
    root = slack.post(POSTER, SUPPORT, f"{URGENT} paused", at=minutes_ago(40))
    wait_until(lambda: answered(a, [root])[root] >= 1, 30, "the announcement")
    # claimed 29.8 minutes ago: its check-in falls due about 12 s from now, while the
    # holder is paused (SIGSTOP: alive, its connections open, its timers armed)
    slack.react(DEV, SUPPORT, root, "eyes", at=minutes_ago(29.8))
    wait_until(lambda: answered(a, [root])[root] >= 2, 30, "the claim said")
    leader.process.send_signal(signal.SIGSTOP)
    try:
        wait_until(lambda: holder(other) not in (None, leader_id), 30, "the lease taken over")
        wait_until(lambda: checkins(a, root) >= 1, 60, "the check-in, from the other")
    finally:
        leader.process.send_signal(signal.SIGCONT)
    # awake: it finds the lease gone before it does anything scheduled
    wait_until(lambda: "Lost the lease" in errbot_log_of(leader), 30, "the loss noticed")
    later = slack.post(POSTER, SUPPORT, f"{URGENT} after the pause", at=minutes_ago(40))
    wait_until(lambda: answered(a, [later])[later] >= 1, 30, "answering again")
    assert checkins(a, root) == 1, a.texts(root)
    assert answered(a, [root, later]) == {root: 3, later: 1}
    assert pid_of(str(holder(other))) == (other.process.pid if other.process else -1)
