"""The daily digest and the weekly figures end to end: the real Slack backend against the
local Slack server, the pictures uploaded with files_upload_v2 into the figures' thread."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e_helpers import DEV, POSTER, SUPPORT, Bot

from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e


def answer(slack: LocalSlack, bot: Bot, command: str, marker: str) -> dict[str, object]:
    """Post ``command`` in #support and wait for the bot's top-level answer holding ``marker``."""

    def found(s: LocalSlack) -> bool:
        return any(marker in str(m.get("text")) for m in s.messages(SUPPORT))

    slack.post(DEV, SUPPORT, command)
    assert slack.wait_for(found, 30), bot.log_tail()
    return next(m for m in slack.messages(SUPPORT) if marker in str(m.get("text")))


def test_stats_posts_the_figures_and_two_pictures_in_their_thread(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot(TIMEZONE="Europe/Amsterdam")
    root = slack.post(POSTER, SUPPORT, "<!subteam^S0ONCALL|@oncall> invoices are blank")
    slack.react(DEV, SUPPORT, root, "eyes")
    assert slack.wait_for(lambda s: len(bot.posts(root)) >= 1, 30), bot.log_tail()
    figures = answer(slack, bot, "!stats this", "📊")
    text = str(figures["text"])
    assert "Threads: *1*" in text
    assert "urgent 1" in text
    assert "median / p90" in text
    done = slack.wait_for(lambda s: len(s.files) == 2, 30)
    assert done, bot.log_tail()
    for upload in slack.files:
        assert upload.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert upload.filename.endswith(".png")
        assert upload.channel == SUPPORT
        assert upload.thread_ts == figures["ts"]
    assert not any(c.method == "files.upload" for c in slack.calls)  # the v2 flow only


def test_a_wrong_week_is_one_line_and_the_digest_lists_what_is_open(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    root = slack.post(POSTER, SUPPORT, "<!subteam^S0ONCALL|@oncall> exports fail for everyone")
    assert slack.wait_for(lambda s: len(bot.posts(root)) >= 1, 30), bot.log_tail()
    wrong = answer(slack, bot, "!stats someday", "is not a week")
    assert "\n" not in str(wrong["text"])
    assert not slack.files
    digest = str(answer(slack, bot, "!digest", "☀️")["text"])
    assert "Open urgent and emergency threads: *1*" in digest
    assert "*unclaimed*" in digest
    assert root.replace(".", "") in digest
    assert "On call: <@" in digest


def test_a_post_mortem_draft_comes_into_its_thread(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    """!postmortem: the draft as a Markdown file in the thread, people by name, the post
    readable; the answer says it is attached."""
    bot = make_bot()
    root = slack.post(POSTER, SUPPORT, "<!subteam^S0DEVS|@devs> checkout is down for <!here>")
    bot.wait_posts(root, 1)
    slack.post(DEV, SUPPORT, "!postmortem", thread_ts=root)
    assert slack.wait_for(lambda s: len(s.files) == 1, 30), bot.log_tail()
    (draft,) = slack.files
    assert draft.filename.endswith(".md")
    assert (draft.channel, draft.thread_ts) == (SUPPORT, root)
    text = draft.content.decode()
    assert text.startswith("# Post-mortem: checkout is down for @here\n")  # tags dropped
    assert "- Posted by: Carol Smith" in text
    assert POSTER not in text
    answer = bot.wait_posts(root, 2)[1].params["text"]
    assert answer.startswith("📝 Post-mortem draft attached: `"), answer
