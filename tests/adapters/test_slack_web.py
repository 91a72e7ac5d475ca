"""The Web API client as the bot uses it, against the local Slack-compatible server: look-ups
remembered and refusals not, what Slack said before kept through a refusal, and the pacer's
arithmetic on a clock passed in."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from watchstander.adapters.slack_web import CachedWebClient, ChannelPacer
from watchstander_sandbox.slack import LocalSlack

POSTER, SUPPORT = "U0CAROL", "C0SUPPORT"


def test_lookups_are_remembered_and_errors_are_not(slack: LocalSlack) -> None:
    web = CachedWebClient(token=slack.bot_token, base_url=slack.api_url)
    for _ in range(3):
        assert web.users_info(user=POSTER)["user"]["id"] == POSTER
        assert web.conversations_info(channel=SUPPORT)["channel"]["id"] == SUPPORT
    assert len(slack.calls_to("users.info")) == 1
    assert len(slack.calls_to("conversations.info")) == 1
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


def test_the_pacer_keeps_slacks_pace_per_channel() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(rate=1.0, burst=3, clock=lambda: now[0], sleep=sleep)
    waits = [pacer.wait("C1") for _ in range(5)]  # a burst of three, then one a second
    assert waits == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert slept == [1.0, 1.0]
    assert pacer.wait("C2") == 0.0  # another channel is not held up
    now[0] += 10  # a quiet spell refills the burst, never beyond it
    assert [pacer.wait("C1") for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]
