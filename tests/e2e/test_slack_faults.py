"""Slack saying no, end to end: an author Slack will not describe, a deactivated one, a channel
the bot is not in, a missing scope, rate limits on every method, a wrong token at start-up, and
Socket Mode connections closed by a frame or cut. Each is handled, said once in the log, and no
stored thread is lost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from e2e_helpers import POSTER, SUPPORT, Bot

from watchstander.domain.levels import Level
from watchstander.store import Store, ThreadRow
from watchstander_sandbox.bot_process import bot_env, start_bot, stop_bot
from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e

URGENT = "<!subteam^S0ONCALL|@oncall> the invoice export is empty #"


@pytest.fixture
def store(tmp_path: Path, bot_database: str) -> Iterator[Callable[[], Store]]:
    """The bot's own database, opened on demand (after the bot created it)."""
    opened: list[Store] = []

    def open_store() -> Store:
        if not opened:
            opened.append(Store(bot_database or f"sqlite:///{tmp_path / 'watchstander.db'}"))
        return opened[0]

    yield open_store
    for each in opened:
        each.dispose()


def stored(store: Store, ts: str) -> ThreadRow | None:
    with store.transaction() as tx:
        return tx.thread(SUPPORT, ts)


def log_lines(bot: Bot, needle: str) -> list[str]:
    """The log's lines at WARNING or above that hold ``needle`` (the bot logs at DEBUG here)."""
    text = (bot.data / "errbot" / "errbot.log").read_text(encoding="utf-8", errors="replace")
    loud = (" WARNING ", " ERROR ", " CRITICAL ")
    return [line for line in text.splitlines() if needle in line and any(w in line for w in loud)]


def test_an_author_slack_will_not_describe_is_answered_and_said_once(
    slack: LocalSlack, make_bot: Callable[..., Bot], store: Callable[[], Store]
) -> None:
    bot = make_bot()
    roots = [slack.post("U0OTHERORG", SUPPORT, URGENT + str(n), stranger=True) for n in range(2)]
    for root in roots:
        bot.wait_posts(root, 1)
        assert stored(store(), root) is not None
    refused = log_lines(bot, "Slack refused users.info for U0OTHERORG: user_not_found")
    assert len(refused) == 1, refused
    asked = [c for c in slack.calls_to("users.info") if c.params.get("user") == "U0OTHERORG"]
    assert len(asked) == 1  # the refusal is kept a minute, not asked again for every post


def test_a_deactivated_author_is_answered(
    slack: LocalSlack, make_bot: Callable[..., Bot], store: Callable[[], Store]
) -> None:
    carol = slack.world.user(POSTER)
    assert carol is not None
    carol.deleted = True  # deactivated between the post and the bot's look-up
    bot = make_bot()
    root = slack.post(POSTER, SUPPORT, URGENT + "d")
    bot.wait_posts(root, 1)
    assert stored(store(), root) is not None


def test_a_refused_reply_is_said_once_and_keeps_the_thread(
    slack: LocalSlack, make_bot: Callable[..., Bot], store: Callable[[], Store]
) -> None:
    bot = make_bot()
    slack.fail("chat.postMessage", "not_in_channel", times=2)
    refused = [slack.post(POSTER, SUPPORT, URGENT + str(n)) for n in range(2)]
    assert slack.wait_for(lambda s: len(s.failed) == 2, 30), bot.log_tail()
    for root in refused:
        thread = stored(store(), root)
        assert thread is not None
        assert thread.level == Level.URGENT
    later = slack.post(POSTER, SUPPORT, URGENT + "later")
    bot.wait_posts(later, 1)
    assert not bot.posts(refused[0])
    assert not bot.posts(refused[1])
    lines = log_lines(bot, "Slack refused chat.postMessage for C0SUPPORT: not_in_channel")
    assert len(lines) == 1, lines
    assert "invite the bot" in lines[0], lines
    assert "Traceback" not in (bot.data / "errbot" / "errbot.log").read_text()


def test_missing_lookup_scopes_cost_no_post(
    slack: LocalSlack, make_bot: Callable[..., Bot], store: Callable[[], Store]
) -> None:
    for method, scope in (("users.info", "users:read"), ("conversations.info", "channels:read")):
        slack.fail(method, "missing_scope", needed=scope, provided="chat:write")
    bot = make_bot()
    roots = [slack.post(POSTER, SUPPORT, URGENT + str(n)) for n in range(3)]
    for root in roots:
        bot.wait_posts(root, 1)
        assert stored(store(), root) is not None
    lines = log_lines(bot, "Slack refused users.info for U0CAROL: missing_scope (needs users:read)")
    assert len(lines) == 1, lines
    assert "add the scope" in lines[0], lines
    assert len(log_lines(bot, "Slack refused conversations.info for C0SUPPORT")) == 1


def test_every_method_rate_limited_answers_each_post_once(
    slack: LocalSlack, make_bot: Callable[..., Bot], store: Callable[[], Store]
) -> None:
    bot = make_bot()
    warm = slack.post(POSTER, SUPPORT, URGENT + "warm")
    bot.wait_posts(warm, 1)
    slack.limit("*", per_minute=30, burst=1)  # one call every 2 s per method (and channel)
    roots = [slack.post(POSTER, SUPPORT, URGENT + str(n)) for n in range(3)]
    for person in ("U0DAVE", "U0ERIN", "U0BOB"):  # new people: their look-ups are limited
        roots.append(slack.post(person, SUPPORT, URGENT + person))
    for root in roots:
        bot.wait_posts(root, 1, timeout=90)
        assert stored(store(), root) is not None
    limited = {c.method for c in slack.limited}
    assert {"users.info", "chat.postMessage"} <= limited, limited  # else it proves nothing
    answered = [str(c.params["thread_ts"]) for c in bot.posts() if c.params.get("thread_ts")]
    assert sorted(answered) == sorted([warm, *roots])  # each once
    assert not slack.failed
    assert "Traceback" not in (bot.data / "errbot" / "errbot.log").read_text()


def test_a_passing_refusal_at_start_up_is_tried_again(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    slack.fail("auth.test", "internal_error", times=1)  # a Slack outage, then a 429 storm
    slack.fail("apps.connections.open", "ratelimited", times=1)
    bot = make_bot()
    root = slack.post(POSTER, SUPPORT, URGENT + "started")
    bot.wait_posts(root, 1)
    assert [c.method for c in slack.failed] == ["auth.test", "apps.connections.open"]
    assert len(log_lines(bot, "at start-up (internal_error); retrying in")) == 1


@pytest.mark.parametrize("token", ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"])
def test_a_wrong_token_at_start_up_exits_with_one_line(
    slack: LocalSlack, tmp_path: Path, token: str
) -> None:
    wrong = "xoxb-wrong" if token == "SLACK_BOT_TOKEN" else "xapp-wrong"
    env = bot_env(slack, tmp_path, WATCHSTANDER_LOG_LEVEL="DEBUG", **{token: wrong})
    process = start_bot(env, tmp_path / "bot-output.log")
    try:
        assert process.wait(timeout=90) != 0
    finally:
        stop_bot(process)
    opened = "apps.connections.open" if token == "SLACK_APP_TOKEN" else "auth.test"
    assert len(slack.calls_to(opened)) == 1  # no retry loop
    log = (tmp_path / "errbot" / "errbot.log").read_text(encoding="utf-8")
    loud = [line for line in log.splitlines() if " DEBUG " not in line and " INFO " not in line]
    lines = [line for line in loud if "invalid_auth" in line]
    assert len(lines) == 1, lines
    assert f"check {token}" in lines[0], lines
    assert wrong not in log
    assert wrong not in (tmp_path / "bot-output.log").read_text()


def envelope_of(slack: LocalSlack, ts: str) -> str:
    found = (e["envelope_id"] for e in slack.envelopes if e["payload"]["event"].get("ts") == ts)
    return str(next(found))


@pytest.mark.parametrize("reason", ["refresh_requested", "warning", "link_disabled", "cut"])
def test_a_closed_connection_loses_and_repeats_nothing(
    slack: LocalSlack, make_bot: Callable[..., Bot], reason: str
) -> None:
    bot = make_bot()
    first = slack.post(POSTER, SUPPORT, URGENT + "a")
    bot.wait_posts(first, 1)
    opened = len(slack.calls_to("apps.connections.open"))
    if reason == "cut":  # the link half-dies: posts arrive and are answered, acks are lost
        slack.stall()
        late = [slack.post(POSTER, SUPPORT, URGENT + f"b{n}") for n in range(3)]
        for root in late:
            bot.wait_posts(root, 1)
        unacked = [envelope_of(slack, root) for root in late]
        assert not set(unacked) & set(slack.acks)
        slack.drop()  # then the TCP stream is cut, with no frame
    else:
        slack.disconnect(reason)
        late = [slack.post(POSTER, SUPPORT, URGENT + f"b{n}") for n in range(3)]
        unacked = []
    assert slack.wait_for(lambda s: len(s.calls_to("apps.connections.open")) > opened, 60)
    for root in late:
        bot.wait_posts(root, 1, timeout=60)
    # sent again on the new connection, as retries, and acked there
    assert slack.wait_for(lambda s: set(unacked) <= set(s.acks), 60), bot.log_tail()
    marker = slack.post(POSTER, SUPPORT, URGENT + "after")  # behind any redelivered envelope
    bot.wait_posts(marker, 1, timeout=60)
    assert len(bot.posts(first)) == 1
    assert all(len(bot.posts(r)) == 1 for r in late)
