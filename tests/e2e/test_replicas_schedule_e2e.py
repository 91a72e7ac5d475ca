"""Replicas and the scheduled work of the day, end to end: two real bots on one PostgreSQL
database; the lease's holder is killed with SIGKILL shortly before the daily digest and the
weekly review fall due (scheduled for the next minute in the bots' TIMEZONE); the survivor
posts the digest once in DIGEST_CHANNEL and runs the review once (one GitHub issue per
tagged thread, one review post, one post of figures). Then the killed one comes back and
takes the lease: the digest and the review, offered to it again, are not run twice."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from e2e_helpers import DEV, POSTER, SUPPORT, Bot, errbot_log, wait_until
from sqlalchemy import select
from test_replicas_e2e import holder, pg_url, pid_of
from test_stop_mid_work_e2e import tagged

from watchstander.store.models import OnceRow
from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e
__all__ = ["pg_url"]  # the fixture, from the replicas' tests

TIMEZONE = "Asia/Kolkata"  # UTC+05:30: a schedule read in UTC would never meet the minute
DIGESTS = "C0DIGEST"  # #support-digest
LEAD = timedelta(seconds=20)  # at least this from now to the moment: two starts and a kill
LEASE = "4s"  # renewed every 1.3 s; taken over within about 5 s of the kill
COMEBACK_LEASE = "30s"  # the moment is within its catch-up (3 leases) when it takes the lease


def moment(now: datetime) -> datetime:
    """The first whole minute at least `LEAD` after ``now``, in `TIMEZONE`."""
    local = (now + LEAD).astimezone(ZoneInfo(TIMEZONE))
    return local.replace(second=0, microsecond=0) + timedelta(minutes=1)


@pytest.fixture
def gh() -> Iterator[LocalGitHub]:
    server = LocalGitHub().start()
    yield server
    server.stop()


def said(slack: LocalSlack, marker: str) -> list[str]:
    """The top-level posts in the digest channel that hold ``marker``."""
    return [
        str(m.get("text"))
        for m in slack.messages(DIGESTS)
        if marker in str(m.get("text", "")) and not m.get("thread_ts")
    ]


def posted_once(slack: LocalSlack) -> bool:
    """The digest, the review and the review's figures: each posted once."""
    return [len(said(slack, marker)) for marker in ("☀️", "Weekly review", "📊")] == [1, 1, 1]


def issued_once(gh: LocalGitHub, roots: list[str]) -> bool:
    """One GitHub issue for each tagged thread (its link in the body), and no other."""
    bodies = [str(issue["body"]) for issue in gh.issues]
    links = [root.replace(".", "") for root in roots]
    return len(bodies) == len(roots) and all(
        sum(link in body for body in bodies) == 1 for link in links
    )


def leads(bot: Bot, pid: int) -> bool:
    """Whether the process ``pid`` holds the lease now."""
    found = holder(bot)
    return found is not None and pid_of(found) == pid


def days_work(bot: Bot) -> dict[str, tuple[str | None, bool]]:
    """The scheduled jobs of a day the database holds: key -> (who took it, whether done)."""
    with bot.store().transaction() as tx:
        rows = tx.connection.execute(
            select(OnceRow.key, OnceRow.taken_by, OnceRow.done_at).where(
                OnceRow.key.like("scheduled:%")
            )
        ).all()
    return {key: (taken_by, done_at is not None) for key, taken_by, done_at in rows}


def test_the_survivor_runs_the_digest_and_the_review_once_and_the_comeback_not_again(
    slack: LocalSlack, gh: LocalGitHub, tmp_path: Path, pg_url: str
) -> None:
    at = moment(datetime.now(UTC))
    day, when = at.date().isoformat(), f"daily {at:%H:%M}"
    env = {
        "TIMEZONE": TIMEZONE,
        "DIGEST_SCHEDULE": when,
        "REVIEW_SCHEDULE": when,
        "DIGEST_CHANNEL": "support-digest",
        "GITHUB_TOKEN": gh.token,
        "GITHUB_REPO": gh.repo,
        "GITHUB_API_URL": gh.url,
    }
    a, b = Bot(slack, tmp_path / "a", pg_url), Bot(slack, tmp_path / "b", pg_url)
    try:
        for bot in (a, b):
            bot.data.mkdir()
            bot.start(WATCHSTANDER_LEASE=LEASE, **env)
        roots = [slack.post(POSTER, SUPPORT, f"the {n} export is blank") for n in ("CSV", "PDF")]
        for root in roots:
            slack.react(DEV, SUPPORT, root, "bug")
        wait_until(lambda: len(tagged(a)) == 2, 30, "the two 🐛 recorded")
        leader_id = str(wait_until(lambda: holder(a), 10, "a lease holder"))
        leader, survivor = (a, b) if a.process and pid_of(leader_id) == a.process.pid else (b, a)
        assert leader.process is not None
        assert survivor.process is not None
        leader.process.send_signal(signal.SIGKILL)
        leader.process.wait(timeout=10)
        leader.process = None
        killed_at = datetime.now(UTC)
        assert killed_at < at, f"the set-up took past the moment ({at}): raise LEAD"
        assert not said(slack, "☀️")  # nothing ran early
        # the survivor takes the lease and, at the moment, runs the day's digest and review
        settled = (at - killed_at).total_seconds() + 60
        wait_until(
            lambda: len(said(slack, "📊")) >= 1 and len(said(slack, "☀️")) >= 1,
            settled,
            f"the digest and the review's figures\n{survivor.log_tail()}",
        )
        survivor_id = str(holder(survivor))
        assert pid_of(survivor_id) == survivor.process.pid
        done = {f"scheduled:{job}:{day}": (survivor_id, True) for job in ("digest", "review")}
        wait_until(lambda: days_work(a) == done, 30, "the day's jobs done by the survivor")
        assert posted_once(slack), slack.messages(DIGESTS)
        assert issued_once(gh, roots)
        # the killed one comes back and takes the lease: the jobs whose moment has just
        # passed are offered to it again (its catch-up), and the day's keys refuse them
        leader.start(WATCHSTANDER_LEASE=COMEBACK_LEASE, **env)
        survivor.stop()  # SIGTERM: lets the lease go at once
        comeback = leader.process
        assert comeback is not None
        wait_until(lambda: leads(a, comeback.pid), 30, "the comeback leads")
        for job in ("digest", "review"):
            refused = f"the scheduled {job} of today was run already"
            wait_until(lambda r=refused: r in errbot_log(leader.data), 30, f"the {job} refused")
        assert posted_once(slack), slack.messages(DIGESTS)
        assert issued_once(gh, roots)
        assert days_work(a) == done
    finally:
        for bot in (a, b):
            bot.close()
