"""The project's Slack backend remembers upstream's lookups: after the first post, an answered
post costs the reply alone; a user_change makes the next post look that user up again; a 429
is waited out as Slack's Retry-After says."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable

import pytest
from conftest import DEV, POSTER, SUPPORT, Bot
from slack_sdk.errors import SlackApiError

from watchstander.sandbox.bot_process import ROOT
from watchstander.sandbox.slack_server import LocalSlack

pytestmark = pytest.mark.e2e
sys.path.insert(0, str(ROOT / "backends" / "watchstander_slack"))
from watchstander_slack import CachedWebClient  # noqa: E402

URGENT = "<!subteam^S0ONCALL|@oncall> the report is wrong #"


def test_lookups_are_remembered_and_errors_are_not(slack: LocalSlack) -> None:
    web = CachedWebClient(token=slack.bot_token, base_url=slack.api_url)
    for _ in range(3):
        assert web.users_info(user=POSTER)["user"]["id"] == POSTER
        assert web.conversations_info(channel=SUPPORT)["channel"]["id"] == SUPPORT
    assert len(slack.calls_to("users.info")) == 1 and len(slack.calls_to("conversations.info")) == 1
    web.forget("user", POSTER)
    web.users_info(user=POSTER)
    assert len(slack.calls_to("users.info")) == 2
    for _ in range(2):  # user_not_found: the bare id, kept a minute (not asked per event)
        assert web.users_info(user="U0NOBODY")["user"]["id"] == "U0NOBODY"
    assert len(slack.calls_to("users.info")) == 3
    web.forget("user", "U0NOBODY")
    web.users_info(user="U0NOBODY")
    assert len(slack.calls_to("users.info")) == 4


def test_a_refused_lookup_answers_what_slack_said_before(slack: LocalSlack) -> None:
    web = CachedWebClient(token=slack.bot_token, base_url=slack.api_url, ttl=0)  # always asks
    before = web.users_info(user=POSTER)["user"]
    slack.fail("users.info", "fatal_error")
    assert web.users_info(user=POSTER)["user"] == before  # not the bare id
    assert [c.method for c in slack.failed] == ["users.info"]
    slack.heal()
    with pytest.raises(SlackApiError):  # a message Slack refuses is not hidden from callers
        web.reactions_add(channel="C0NOPE", timestamp="1.2", name="eyes")


def test_an_answered_post_costs_the_reply_alone(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    first = slack.post(POSTER, SUPPORT, URGENT + "0")
    bot.wait_posts(first, 1)
    before = len(slack.calls)
    roots = [slack.post(POSTER, SUPPORT, URGENT + str(n)) for n in range(1, 6)]
    for root in roots:
        bot.wait_posts(root, 1)
    calls = Counter(c.method for c in slack.calls[before:])
    assert calls["chat.postMessage"] == 5
    assert sum(calls.values()) - calls["chat.postMessage"] == 0, calls
    changed = slack.push_event({"type": "user_change", "user": {"id": POSTER, "name": "carol"}})
    assert slack.wait_for(lambda s: changed in s.acks, 30)  # forgotten before it is acked
    again = slack.post(POSTER, SUPPORT, URGENT + "6")
    bot.wait_posts(again, 1)
    assert slack.calls_to("users.info")[-1].params.get("user") == POSTER
    assert any(c.method == "users.info" for c in slack.calls[before:])
    slack.post(DEV, SUPPORT, "!threads")  # a command still works, and is answered
    assert slack.wait_for(lambda s: len(bot.top_level()) >= 1, 30)


def test_the_pacer_keeps_slacks_pace_per_channel() -> None:
    from watchstander_slack import ChannelPacer

    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(rate=1.0, burst=3, clock=lambda: now[0], sleep=sleep)
    waits = [pacer.wait("C1") for _ in range(5)]  # a burst of three, then one a second
    assert waits == [0.0, 0.0, 0.0, 1.0, 1.0] and slept == [1.0, 1.0]
    assert pacer.wait("C2") == 0.0  # another channel is not held up
    now[0] += 10  # a quiet spell refills the burst, never beyond it
    assert [pacer.wait("C1") for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]


def test_a_burst_under_slacks_limits_is_answered_once_each_in_order(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    slack.slack_limits()
    bot = make_bot()
    roots = [slack.post(POSTER, SUPPORT, URGENT + str(n)) for n in range(12)]
    for root in roots:
        bot.wait_posts(root, 1, timeout=60)
    answered = [c.params["thread_ts"] for c in bot.posts() if c.params.get("thread_ts")]
    assert sorted(answered) == sorted(roots) and len(set(answered)) == len(answered)
    assert not [c for c in slack.limited if c.method == "chat.postMessage"]  # paced, not refused
