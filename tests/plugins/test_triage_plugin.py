"""The triage plugin on Errbot's test backend: its commands parse, answer in one line, and
say what is wrong without changing anything (threads themselves are covered end to end)."""

from __future__ import annotations

import pytest
from errbot.backends.test import TestBot as Bot
from errbot_helpers import environment, extra_config, extra_plugin_dir  # noqa: F401 (used by testbot)

from watchstander.render import PlainVoice

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def one_line(answer: str) -> str:
    assert answer, answer
    assert "\n" not in answer.strip(), answer
    return answer


def test_threads_lists_nothing_on_a_new_database(testbot: Bot) -> None:
    assert one_line(testbot.exec_command("!threads")) == "No open threads."


def test_an_unknown_list_is_one_clear_line(testbot: Bot) -> None:
    answer = one_line(testbot.exec_command("!threads everything"))
    assert answer.startswith("⚠️ 'everything' is not a list I keep")


@pytest.mark.parametrize("command", ["!claim", "!unclaim", "!resolve done", "!eta 45m", "!thread"])
def test_thread_commands_outside_a_thread_say_where_they_work(testbot: Bot, command: str) -> None:
    answer = one_line(testbot.exec_command(command))
    assert "works inside a #support thread" in answer


def test_a_bad_person_is_quoted_back_in_one_line(testbot: Bot) -> None:
    # outside a thread the place is wrong first; the person is checked before that
    answer = one_line(testbot.exec_command("!handoff bob"))
    assert answer.startswith("⚠️ 'bob' is not a person I know")


def test_an_edited_command_is_not_run_again(testbot: Bot) -> None:
    from queue import Empty

    testbot.push_message("!threads")
    assert testbot.pop_message() == "No open threads."
    edited = testbot.bot.build_message("!threads")
    edited.frm = testbot.bot.sender
    edited.to = testbot.bot.bot_identifier
    edited.extras["slack_event"] = {"subtype": "message_changed", "channel": "C0SUPPORT"}
    testbot.bot.callback_message(edited)
    with pytest.raises(Empty):
        testbot.pop_message(timeout=1)


def test_threads_leaves_out_an_answered_question_once_it_closed_quietly(testbot: Bot) -> None:
    from datetime import UTC, datetime, timedelta

    from watchstander.services.inbound import InboundMessage, datetime_to_ts

    app = testbot.bot.plugin_manager.get_plugin_obj_by_name("Triage").app
    triage = app.triage
    # a day ahead of real time, as the timer tests do: the bot's own timer job never runs
    # here; the due time is passed in
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    root = datetime_to_ts(base)
    question = InboundMessage(triage.channel_id, root, None, "U0CAROL", "where is export?")
    answer = InboundMessage(
        triage.channel_id, datetime_to_ts(base + timedelta(minutes=5)), root, "U0DAVE", "top right"
    )
    assert triage.handle_message(question, base)
    assert triage.handle_message(answer, base + timedelta(minutes=5))
    assert "where is export?" in testbot.exec_command("!threads")
    assert triage.run_due(base + timedelta(days=3, minutes=5)) == 1
    assert one_line(testbot.exec_command("!threads")) == "No open threads."


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("!claim it", "!claim"),
        ("!unclaim <!channel>", "!unclaim"),
        ("!thread junk", "!thread"),
        ("!postmortem <!here>", "!postmortem"),
        ("!digest <@U0EVIL>", "!digest"),
        ("!help <!subteam^S0DEVS|@devs>", "!help"),
    ],
)
def test_words_after_a_command_that_takes_none_are_one_line(
    testbot: Bot, command: str, usage: str
) -> None:
    answer = one_line(testbot.exec_command(command))
    words = command.partition(" ")[2]
    assert answer.startswith(f"⚠️ {usage} takes nothing after it: '"), answer
    assert f"'{PlainVoice().quote(words)}' is not part of it. Try {usage}" in answer  # quoted


def test_threads_mine_reads_as_english(testbot: Bot) -> None:
    assert one_line(testbot.exec_command("!threads mine")) == "You hold no open threads."
