"""The project's Slack backend remembers upstream's lookups: after the first post, an answered
post costs the reply alone; a user_change makes the next post look that user up again; a burst
under Slack's limits is paced, not refused."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from e2e_helpers import DEV, POSTER, SUPPORT, Bot

from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e

URGENT = "<!subteam^S0ONCALL|@oncall> the report is wrong #"


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
    answered = len(bot.top_level())
    slack.post(DEV, SUPPORT, "!threads")  # a command still works, and is answered
    assert slack.wait_for(lambda s: len(bot.top_level()) > answered, 30), bot.log_tail()
    listed = bot.top_level()[answered].params["text"]
    assert listed.count("• urgent") == 7, listed  # the first, five more, and the last


def test_a_burst_under_slacks_limits_is_answered_once_each_in_order(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    slack.slack_limits()
    bot = make_bot()
    roots = [slack.post(POSTER, SUPPORT, URGENT + str(n)) for n in range(12)]
    for root in roots:
        bot.wait_posts(root, 1, timeout=60)
    answered = [c.params["thread_ts"] for c in bot.posts() if c.params.get("thread_ts")]
    assert sorted(answered) == sorted(roots)
    assert len(set(answered)) == len(answered)
    assert not [c for c in slack.limited if c.method == "chat.postMessage"]  # paced, not refused
