"""Mattermost's door writes a post in the core's markup: a person named by ``@username`` is
known as that person (so the nudge works there as on Slack), and words typed to look like
Slack's tokens stay words."""

from __future__ import annotations

import pytest
from e2e_helpers import wait_until
from test_mattermost_e2e import WAIT, MattermostBot, mm_bot, settle

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
