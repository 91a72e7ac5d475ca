"""The Web API client as the bot uses it, against the local Slack-compatible server: look-ups
remembered and refusals not, what Slack said before kept through a refusal, and the pacer's
arithmetic on a clock passed in."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from watchstander.adapters.slack_web import CachedWebClient, ChannelPacer, PacedRetryHandler
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


def test_after_a_429_the_channel_waits_then_keeps_its_distance_without_bursts() -> None:
    now = [100.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = ChannelPacer(rate=1.0, burst=3, clock=lambda: now[0], sleep=sleep)
    assert pacer.wait("C1") == 0.0
    pacer.refused("C1", 2.25)  # Slack: Retry-After 2 (and the margin); the retry goes then
    assert pacer.wait("C1") == pytest.approx(3.25)  # the next one an interval after the retry
    assert [pacer.wait("C1") for _ in range(2)] == [pytest.approx(1.0)] * 2  # no burst now
    assert pacer.wait("C2") == 0.0  # another channel is not held up
    now[0] += 61  # a calm minute later, and quiet: the burst is back
    assert [pacer.wait("C1") for _ in range(4)] == [0.0, 0.0, 0.0, pytest.approx(1.0)]


def test_a_429_is_waited_out_as_slack_asks_and_told_to_the_pacer(slack: LocalSlack) -> None:
    slept: list[float] = []
    refused: list[tuple[str, float]] = []

    class Pacer(ChannelPacer):
        def refused(self, channel: str, wait: float) -> None:
            refused.append((channel, wait))

    handler = PacedRetryHandler(Pacer(), max_retry_count=2, sleep=slept.append)
    client = WebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[handler])
    slack.limit("chat.postMessage", per_minute=1, burst=1)
    client.chat_postMessage(channel=SUPPORT, text="first")
    with pytest.raises(SlackApiError, match="ratelimited"):  # no time passes: still refused
        client.chat_postMessage(channel=SUPPORT, text="second")
    assert slept == [pytest.approx(60.25)] * 2  # Retry-After (whole seconds) and a margin
    assert [channel for channel, _ in refused] == [SUPPORT, SUPPORT]
    assert [wait for _, wait in refused] == [pytest.approx(60.25)] * 2
