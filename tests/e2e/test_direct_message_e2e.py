"""Commands given in a direct message to the bot, end to end: the real Slack backend against
the local Slack server. A command that works anywhere answers in the direct message (a DM
has no name: nothing may build a channel "room" from it), and a command that names a person
Slack does not know is refused in one line, changing nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from e2e_helpers import DEV, ONCALL, POSTER, SUPPORT, Bot

from watchstander_sandbox.slack import LocalSlack

pytestmark = pytest.mark.e2e


def in_dm(slack: LocalSlack, channel: str) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in slack.calls_to("chat.postMessage")
        if c.params.get("channel") == channel
    ]


def dm_answer(slack: LocalSlack, bot: Bot, person: str, command: str) -> str:
    """Post ``command`` in ``person``'s direct message with the bot: the bot's answer there."""
    channel = slack.world.im_with(person).id
    before = len(in_dm(slack, channel))
    slack.post(person, channel, command)
    assert slack.wait_for(lambda s: len(in_dm(s, channel)) > before, 30), bot.log_tail()
    return in_dm(slack, channel)[before]


def test_commands_that_work_anywhere_answer_in_a_direct_message(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    root = slack.post(POSTER, SUPPORT, "<!subteam^S0ONCALL|@oncall> invoices are blank")
    slack.react(DEV, SUPPORT, root, "eyes")
    assert slack.wait_for(lambda s: len(bot.posts(root)) >= 1, 30), bot.log_tail()
    in_support = len(bot.top_level())
    answers = {
        command: dm_answer(slack, bot, DEV, command)
        for command in ("!digest", "!stats this", "!threads mine", "!oncall", "!rotation", "!help")
    }
    for command, text in answers.items():
        assert "Computer says" not in text, (command, text)
        assert "fault of mine" not in text, (command, text)
    assert "Open urgent and emergency threads: *1*" in answers["!digest"]
    assert "Threads: *1*" in answers["!stats this"]
    assert answers["!threads mine"].startswith("*You hold 1 open thread:*")
    assert "on call" in answers["!oncall"]
    assert "No rotation yet" in answers["!rotation"]
    assert "!claim" in answers["!help"]
    dm = slack.world.im_with(DEV).id
    assert slack.wait_for(lambda s: len(s.files) == 2, 30), bot.log_tail()
    assert {upload.channel for upload in slack.files} == {dm}  # the pictures too
    assert len(bot.top_level()) == in_support  # nothing went to #support
    claim = dm_answer(slack, bot, DEV, "!claim")  # a thread command says where it works
    assert claim.startswith("⚠️ This command works inside a #support thread")


def test_a_person_slack_does_not_know_is_refused_in_one_line(
    slack: LocalSlack, make_bot: Callable[..., Bot]
) -> None:
    bot = make_bot()
    refusals = [
        dm_answer(slack, bot, ONCALL, "!oncall override <@U0NOPE> 2h"),
        dm_answer(slack, bot, ONCALL, "!oncall override <@U0NOPE> 3h"),
        dm_answer(slack, bot, ONCALL, "!rotation set <@U0BOB> NaN"),
        dm_answer(slack, bot, ONCALL, "!rotation set <@U0BOB> <!channel> <@U0EVIL>"),
    ]
    for text in refusals:
        assert text.startswith("⚠️ "), text
        assert "\n" not in text, text
    assert refusals[0].startswith("⚠️ 'U0NOPE' is not a person in this workspace")
    assert refusals[2].startswith("⚠️ 'NaN' is not part of `!rotation set")
    assert "&lt;!channel&gt;" in refusals[3]  # quoted: it mentions nobody
    assert "<!channel>" not in refusals[3]
    assert "<@U0EVIL>" not in refusals[3]
    # users.info asked once for the unknown id: the answer is remembered
    assert [c.params.get("user") for c in slack.calls_to("users.info")].count("U0NOPE") == 1
    assert "No rotation yet" in dm_answer(slack, bot, ONCALL, "!rotation")  # nothing changed
    assert "<@U0ALICE> is on call" in dm_answer(slack, bot, ONCALL, "!oncall")
