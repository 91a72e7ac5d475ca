"""Answers from past threads, end to end on the local Slack server: a question that matches a
resolved thread gets, for its poster alone (chat.postEphemeral), the earlier thread with the
line that resolved it and a "This answered it" button; pressing it resolves the question as
self-served; the same post delivered again gets no second suggestion. A post that answers
another (it names its poster at once) gets the nudge instead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from e2e_helpers import (
    DEV,
    DEV2,
    POSTER,
    SUPPORT,
    Bot,
    redelivery_not_handled,
    wait_until,
)
from sqlalchemy import text

from watchstander.services.controls import ANSWERED
from watchstander.store import ThreadRow
from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e

EARLIER = "Scheduled export to S3 fails with AccessDenied <@U0EVIL>"
QUESTION = "our nightly S3 export fails: AccessDenied again?"
NOTE = "fix the bucket policy <!here> <@U0EVIL>"


def thread_row(bot: Bot, root: str) -> ThreadRow | None:
    with bot.store().transaction() as tx:
        return tx.thread(SUPPORT, root)


def resolved_history(slack: LocalSlack, bot: Bot) -> str:
    root = slack.post(POSTER, SUPPORT, EARLIER)
    wait_until(lambda: thread_row(bot, root), 30, "the earlier post recorded")
    slack.post(DEV, SUPPORT, "looking", thread_ts=root)
    slack.post(DEV, SUPPORT, f"!resolve {NOTE}", thread_ts=root)

    def resolved() -> bool:
        row = thread_row(bot, root)
        return row is not None and row.resolved_at is not None

    wait_until(resolved, 30, "the earlier thread resolved")
    return root


def shown(slack: LocalSlack, user: str, count: int) -> list[dict[str, Any]]:
    ok = slack.wait_for(lambda s: len(s.ephemerals(user)) >= count, 30)
    assert ok, slack.ephemerals()
    return slack.ephemerals(user)


def test_a_matching_question_gets_the_earlier_thread_and_this_answered_it_resolves_it(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    earlier = resolved_history(slack, bot)
    question = slack.post(DEV2, SUPPORT, QUESTION)
    (offer,) = shown(slack, DEV2, 1)
    assert offer["thread_ts"] == question
    text = offer["text"]
    assert text.startswith("💡 These earlier threads may answer it:")
    assert f"/p{earlier.replace('.', '')}" in text or earlier in text
    assert "fix the bucket policy" in text
    assert "<!" not in text  # the resolving line is quoted
    assert "<@U0EVIL>" not in text
    section, actions = offer["blocks"]
    assert section["text"]["text"] == text
    (button,) = actions["elements"]
    assert (button["action_id"], button["text"]["text"]) == (ANSWERED, "This answered it")
    assert bot.posts(question) == []  # a general question: the suggestion is its only reply

    # the same post again: Slack's redelivery, and a copy under a new event id
    (sent,) = [
        e
        for e in slack.envelopes
        if e["type"] == "events_api" and e["payload"]["event"].get("ts") == question
    ]
    slack.redeliver(sent["envelope_id"])
    slack.push_event(sent["payload"]["event"])
    event_id = str(sent["payload"]["event_id"])
    wait_until(lambda: redelivery_not_handled(bot.data, event_id), 30, "the redelivery dropped")
    # someone else may not say it answered the question (the offer is not theirs to press,
    # but a forged press is answered the same way)
    other = slack.post(POSTER, SUPPORT, "the S3 export fails with AccessDenied for us too")
    (later,) = [e for e in shown(slack, POSTER, 1) if e["thread_ts"] == other]
    assert len(slack.ephemerals(DEV2)) == 1  # no second suggestion for the question

    # the poster presses "This answered it": resolved, counted as self-served
    envelope = slack.press(DEV2, SUPPORT, offer["ts"], ANSWERED)

    def self_served() -> bool:
        row = thread_row(bot, question)
        if row is None or row.resolved_at is None:
            return False
        with bot.store().transaction() as tx:
            return tx.self_served_thread(row.id)

    wait_until(self_served, 30, "the question resolved as self-served")
    thanks = shown(slack, DEV2, 2)[1]
    assert "Resolved" in thanks["text"]
    assert thanks["thread_ts"] == question
    row = thread_row(bot, question)
    assert row is not None
    assert row.resolved_by == DEV2

    # pressed again (a stale press): one line to the presser, nothing changes
    slack.redeliver(envelope)
    slack.press(DEV2, SUPPORT, offer["ts"], ANSWERED)
    stale = shown(slack, DEV2, 3)[2]
    assert "resolved already" in stale["text"]
    with bot.store().transaction() as tx:
        assert row.posted_at is not None
        day = timedelta(days=1)
        assert tx.self_served_between(row.posted_at - day, row.posted_at + day) == {"thread": 1}
        found = tx.thread(SUPPORT, question)
        assert found is not None
        assert sum(e.kind == "resolve" for e in tx.events(found)) == 1
    assert later["user"] == POSTER


def test_a_post_naming_the_poster_at_once_is_nudged_towards_the_thread(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    resolved_history(slack, bot)
    asked = slack.post(POSTER, SUPPORT, QUESTION)
    shown(slack, POSTER, 1)  # the question's own suggestion
    slack.post(DEV, SUPPORT, f"<@{POSTER}> the bucket policy again, see the old thread")
    (nudge,) = shown(slack, DEV, 1)
    assert "reply in its thread" in nudge["text"]
    assert asked.replace(".", "") in nudge["text"] or asked in nudge["text"]
    assert "thread_ts" not in nudge  # said where the post is: in the channel


def test_a_question_in_other_words_gets_the_thread_by_its_meaning(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    """No word of the question is in the earlier thread: the meaning extra (installed by make
    test) finds it once the thread's vector is made, which the bot does on its own."""
    bot = make_bot()
    root = slack.post(POSTER, SUPPORT, "SSO login loops back to the Okta page")
    wait_until(lambda: thread_row(bot, root), 30, "the earlier post recorded")
    slack.post(DEV, SUPPORT, "!resolve the ACS URL had a trailing slash", thread_ts=root)

    def meant() -> bool:
        row = thread_row(bot, root)
        if row is None or row.resolved_at is None:
            return False
        with bot.store().engine.connect() as connection:
            meanings = text("SELECT count(*) FROM meanings WHERE thread_id = :id")
            found = connection.execute(meanings, {"id": row.id})
            return bool(found.scalar_one())

    wait_until(meant, 30, "the resolved thread made into a vector")
    question = slack.post(DEV2, SUPPORT, "okta keeps redirecting in a circle")
    (offer,) = shown(slack, DEV2, 1)
    assert offer["thread_ts"] == question
    assert offer["text"].startswith("💡 These earlier threads may answer it:")
    assert "the ACS URL had a trailing slash" in offer["text"]
