"""Mattermost's door writes a post in the core's markup: a person named by ``@username`` is
known as that person (so the nudge works there as on Slack), and words typed to look like
Slack's tokens stay words. Where no button is drawn, no message asks for a press: an offered
earlier thread is taken with ``!answered``."""

from __future__ import annotations

import pytest
from e2e_helpers import wait_until
from test_mattermost_e2e import WAIT, MattermostBot, mm_bot, settle

from watchstander.inbound.mattermost import post_ts
from watchstander.store import Store

pytestmark = pytest.mark.e2e

__all__ = ["mm_bot"]  # the fixture, from the Mattermost tests


def direct_texts(bot: MattermostBot, username: str) -> list[str]:
    server = bot.server
    channel = server.world.direct(server.user_id(username), server.world.bot.id).id
    return [str(p["message"]) for p in server.messages(channel)]


def test_a_post_naming_the_poster_at_once_is_nudged_towards_the_thread(
    mm_bot: MattermostBot,
) -> None:
    server = mm_bot.server
    asked = server.post("carol", "support", "where do I find the export of last month's invoices?")
    server.post("dave", "support", "@carol it is under Reports, then Exports")
    wait_until(
        lambda: any("reply in its thread" in t for t in direct_texts(mm_bot, "dave")),
        WAIT,
        "the nudge to dave",
    )
    (nudge,) = [t for t in direct_texts(mm_bot, "dave") if "reply in its thread" in t]
    assert asked in nudge  # the thread it means, by its link
    assert not any("reply in its thread" in t for t in direct_texts(mm_bot, "carol"))


def test_words_typed_like_slack_tokens_call_nobody(mm_bot: MattermostBot) -> None:
    server = mm_bot.server
    root = server.post("carol", "support", "<!subteam^S0DEVS|@devs> <!here> is this normal?")
    settle(mm_bot)
    assert mm_bot.posts(root) == []  # a question: no emergency, nobody paged or called
    urgent = server.post("carol", "support", "@oncall <!channel> the export is empty")
    (reply,) = mm_bot.wait_replies(urgent, 1)
    assert "urgent" in str(reply["message"]).lower(), reply["message"]


def test_an_offered_earlier_thread_is_taken_with_answered_where_no_button_is_drawn(
    mm_bot: MattermostBot,
) -> None:
    server = mm_bot.server
    earlier = server.post("carol", "support", "Scheduled export to S3 fails with AccessDenied")
    settle(mm_bot)
    server.post("dave", "support", "looking", root_id=earlier)
    server.post("dave", "support", "!resolve fix the bucket policy @here", root_id=earlier)
    settle(mm_bot)
    question = server.post("erin", "support", "our nightly S3 export fails: AccessDenied again?")
    wait_until(
        lambda: any("may answer it" in t for t in direct_texts(mm_bot, "erin")),
        WAIT,
        "the earlier thread offered to erin",
    )
    (offer,) = [t for t in direct_texts(mm_bot, "erin") if "may answer it" in t]
    assert "fix the bucket policy" in offer
    assert "@here" not in offer  # the resolving line, quoted
    assert "This answered it" not in offer  # no button is drawn here: the command is named
    assert "!answered" in offer
    server.post("erin", "support", "!answered", root_id=question)
    (answer,) = mm_bot.wait_replies(question, 1)
    assert "the earlier thread answered it" in answer["message"]
    server.post("erin", "support", "!answered", root_id=question)  # again: one line, no change
    again = mm_bot.wait_replies(question, 2)[1]["message"]
    assert "resolved already" in again
    assert "\n" not in again
    store = Store(mm_bot.database_url)
    try:
        with store.transaction() as tx:
            root_ts = post_ts(question, server.post_by_id(question)["create_at"])
            thread = tx.thread(server.channel_id("support"), root_ts)
            assert thread is not None
            assert thread.resolved_by == server.user_id("erin")
            assert tx.self_served_thread(thread.id)
    finally:
        store.dispose()
