"""SIGTERM while the bot waits on GitHub (a review making issues) or on PagerDuty (an
emergency being paged): the bot stops within `STOPS` seconds with exit code 0, without
waiting for the slow answer, and the next start (same database) finishes what was begun,
once:

- the review's issues: every tagged thread has its issue on GitHub exactly once (the one
  GitHub made before the stop is found by its marker, the others are made);
- the page: sent again with the same dedup key (PagerDuty keeps one alert per key), and the
  thread is told once that the on-call was paged."""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from e2e_helpers import DEV, POSTER, SUPPORT, Bot, errbot_log, exit_code, wait_until

from watchstander_sandbox.github_server import Failure as GitHubFailure
from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.pagerduty_server import Failure as PagerDutyFailure
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e
SLOW = 120.0  # seconds the slow answer takes: far beyond the stop's bound and any time-out
EMERGENCY = "<!subteam^S0DEVS|@devs> checkout is down"
ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"
EVER = datetime(2000, 1, 1, tzinfo=UTC)


def tagged(bot: Bot) -> list[int]:
    """The threads the bot recorded a 🐛 on."""
    with bot.store().transaction() as tx:
        threads, _ = tx.tagged_threads(["bug"], since=EVER)
        return [t.id for t in threads]


def issue_rows(bot: Bot) -> list[tuple[str, str]]:
    """(thread root, status) of the bot's issue rows."""
    with bot.store().transaction() as tx:
        threads, _ = tx.tagged_threads(["bug"], since=EVER)
        return [
            (next(t.root_ts for t in threads if t.id == row.thread_id), row.status)
            for row in tx.issues_for([t.id for t in threads])
        ]


def stop_now(bot: Bot) -> None:
    """SIGTERM, and the exit (code 0) within `STOPS` seconds."""
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    assert exit_code(bot.process, bot.data) == 0, bot.log_tail()
    bot.process = None


def review_in_flight(slack: LocalSlack, bot: Bot, gh: LocalGitHub) -> list[str]:
    """Three threads tagged 🐛 and a `!review` whose first issue GitHub has made but not yet
    answered (it answers after SLOW seconds): their roots."""
    roots = [slack.post(POSTER, SUPPORT, f"report {n} is blank") for n in range(3)]
    for root in roots:
        slack.react(DEV, SUPPORT, root, "bug")
    wait_until(lambda: len(tagged(bot)) == 3, 30, "the bot recorded the three 🐛")
    gh.fail_next(GitHubFailure(502, accept=True, delay=SLOW, method="POST"))
    slack.post(DEV, SUPPORT, "!review")
    assert gh.wait_for(lambda g: len(g.issues) == 1, 30), bot.log_tail()
    return roots


def test_sigterm_mid_review_stops_at_once_and_the_next_start_makes_each_issue_once(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    gh = LocalGitHub().start()
    try:
        env = {"GITHUB_TOKEN": gh.token, "GITHUB_REPO": gh.repo, "GITHUB_API_URL": gh.url}
        bot = make_bot(**env)
        roots = review_in_flight(slack, bot, gh)
        stop_now(bot)  # mid-way: one issue made (its answer not come), two not yet asked
        assert sorted(status for _, status in issue_rows(bot)) == ["making"] * 3
        assert len(gh.issues) == 1
        assert "Traceback" not in errbot_log(bot.data)

        bot.start(**env)  # the same database: the review's rows are found and finished
        wait_until(
            lambda: [s for _, s in issue_rows(bot)] == ["made"] * 3,
            30,
            f"the three issues made\n{bot.log_tail()}",
        )
        bodies = [str(issue["body"]) for issue in gh.issues]
        for root in roots:  # each thread's issue exactly once: none twice, none missing
            assert sum(root.replace(".", "") in body for body in bodies) == 1, bodies
        assert len(gh.issues) == 3
        log = errbot_log(bot.data)
        assert "Took over a review stopped half-way: 3 made, 0 failed" in log, bot.log_tail()
        assert "Traceback" not in log
    finally:
        gh.stop()


def test_sigkill_mid_review_and_a_review_at_once_after_the_restart_skip_nothing(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    """Issue 15's case: the bot killed while GitHub makes an issue; the restarted bot takes
    the rows over at once (the dead process's heartbeat is not waited out) and a `!review`
    posted right after the restart finishes them or says who is making them; each issue is
    made once."""
    gh = LocalGitHub().start()
    try:
        env = {"GITHUB_TOKEN": gh.token, "GITHUB_REPO": gh.repo, "GITHUB_API_URL": gh.url}
        bot = make_bot(**env)
        roots = review_in_flight(slack, bot, gh)
        assert bot.process is not None
        bot.process.send_signal(signal.SIGKILL)  # no stop: the rows stay taken by the dead
        bot.process.wait(10)
        bot.process = None
        assert sorted(status for _, status in issue_rows(bot)) == ["making"] * 3

        bot.start(**env)
        answers = len(bot.top_level())
        slack.post(DEV, SUPPORT, "!review")
        assert slack.wait_for(lambda s: len(bot.top_level()) > answers, 30), bot.log_tail()
        wait_until(
            lambda: [s for _, s in issue_rows(bot)] == ["made"] * 3,
            30,
            f"the three issues made\n{bot.log_tail()}",
        )
        review = str(bot.top_level()[answers].params.get("text", ""))
        assert "Weekly review" in review, review
        bodies = [str(issue["body"]) for issue in gh.issues]
        for root in roots:  # each thread's issue exactly once: none twice, none missing
            assert sum(root.replace(".", "") in body for body in bodies) == 1, bodies
        log = errbot_log(bot.data)
        assert "Took over a review stopped half-way" in log or "Taken over" in review, review
        assert "Traceback" not in log
    finally:
        gh.stop()


def test_sigterm_mid_page_stops_at_once_and_the_next_start_pages_once(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    pd = LocalPagerDuty().start()
    try:
        env = {"PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "PAGERDUTY_EVENTS_URL": pd.url}
        bot = make_bot(**env)
        pd.fail_next(PagerDutyFailure(202, delay=SLOW))  # the trigger: answered after SLOW s
        root = slack.post(POSTER, SUPPORT, EMERGENCY)
        key = f"watchstander/{SUPPORT}/{root}"

        def triggers() -> list[dict[str, object]]:
            return [
                r["body"]
                for r in pd.requests
                if isinstance(r["body"], dict)
                and r["body"].get("dedup_key") == key
                and r["body"].get("event_action") == "trigger"
            ]

        assert pd.wait_for(lambda p: len(triggers()) == 1, 30), bot.log_tail()
        stop_now(bot)  # PagerDuty has the trigger; its answer has not come
        with bot.store().transaction() as tx:
            thread = tx.thread(SUPPORT, root)
            page = tx.page(thread) if thread is not None else None
            assert page is not None
            assert page.status == "pending"  # to be sent again at the next start
        told = bot.texts(root)
        assert sum("Emergency" in t for t in told) == 1, told  # the announcement, said
        assert not any("Paged the on-call" in t for t in told), told
        assert "Traceback" not in errbot_log(bot.data)

        bot.start(**env)
        texts = [c.params["text"] for c in bot.wait_posts(root, 2)]
        assert sum("Emergency" in t for t in texts) == 1, texts
        assert sum("Paged the on-call" in t for t in texts) == 1, texts
        first, again = triggers()  # the same event twice: PagerDuty dedups it by its key
        assert first == again
        assert pd.actions(key) == ["trigger"]  # the one PagerDuty answered
        assert list(pd.incidents) == [key]
        with bot.store().transaction() as tx:
            thread = tx.thread(SUPPORT, root)
            page = tx.page(thread) if thread is not None else None
            assert page is not None
            assert page.status == "triggered"
        assert "Traceback" not in errbot_log(bot.data)
    finally:
        pd.stop()
