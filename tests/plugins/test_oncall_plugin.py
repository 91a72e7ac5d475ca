"""The on-call plugin on Errbot's test backend: who is on call, the rotation for admins only,
and one clear line for anything it cannot do."""

from __future__ import annotations

import pytest
from errbot.backends.test import TestBot as Bot
from errbot_helpers import environment, extra_config, extra_plugin_dir  # noqa: F401 (used by testbot)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def as_person(testbot: Bot, user: str) -> None:
    testbot.bot.sender = testbot.bot.build_identifier(user)


def test_oncall_before_any_rotation_names_the_first_admin(testbot: Bot) -> None:
    answer = testbot.exec_command("!oncall")
    assert answer.startswith("📟 @U0ALICE is on call. Secondary: @U0BOB.")
    assert "No rotation yet" in answer
    assert "\n" not in answer


def test_changing_the_rotation_is_for_admins(testbot: Bot) -> None:
    as_person(testbot, "U0CAROL")
    answer = testbot.exec_command("!rotation set <@U0BOB> <@U0CAROL>")
    assert answer.startswith("⚠️ Only rotation admins can change the rotation")
    assert "No rotation yet" in testbot.exec_command("!rotation")


def test_an_admin_sets_the_rotation_and_it_shows(testbot: Bot) -> None:
    as_person(testbot, "U0ALICE")
    testbot.push_message("!rotation set <@U0BOB> <@U0CAROL> every 1w handoff mon 10:00")
    handoff, direct, answer = (testbot.pop_message() for _ in range(3))
    assert handoff.startswith("📟 Handoff: @U0BOB is on call now")
    assert direct.startswith("📟 You are on call now")
    lines = answer.splitlines()
    assert lines[0] == "Rotation: @U0BOB → @U0CAROL, every 7d, handoff mon 10:00 (UTC)"
    assert len([line for line in lines if line.startswith("• ")]) >= 4  # four weeks of shifts
    assert testbot.exec_command("!oncall").startswith("📟 @U0BOB is on call until ")


@pytest.mark.parametrize(
    ("command", "starts"),
    [
        ("!oncall override <@U0DAVE> sometime", "⚠️ 'sometime' is not a duration or a span"),
        ("!oncall override nobody 2h", "⚠️ Name who takes over"),
        ("!oncall swap <@U0BOB>", "⚠️ Name two people"),
        ("!rotation set <@U0BOB> every fortnight", "⚠️ every: 'fortnight' is not a duration"),
        ("!rotation set <@U0BOB> <@U0BOB>", "⚠️ Each person may appear once"),
        ("!rotation sett <@U0BOB>", "⚠️ !rotation takes nothing after it"),
        ("!rotation junk", "⚠️ !rotation takes nothing after it"),
        ("!rotation set <@U0BOB> NaN", "⚠️ 'NaN' is not part of !rotation set"),
        ("!rotation set <@U0BOB> <!channel>", "⚠️ '<!channel>' is not part of"),
        ("!oncall override <@U0BOB> <@U0CAROL> 2h", "⚠️ Name one person who takes over"),
        ("!oncall swap <@U0BOB> <@U0CAROL> <!here>", "⚠️ Name two people and nothing else"),
    ],
)
def test_bad_rotation_commands_are_one_line_and_change_nothing(
    testbot: Bot, command: str, starts: str
) -> None:
    as_person(testbot, "U0ALICE")
    answer = testbot.exec_command(command)
    assert answer.startswith(starts), answer
    assert "\n" not in answer, answer
    assert "No rotation yet" in testbot.exec_command("!rotation")


def test_rotation_import_is_for_admins_and_says_what_it_cannot(testbot: Bot) -> None:
    as_person(testbot, "U0CAROL")
    answer = testbot.exec_command("!rotation import https://oncall.example/feed.ics")
    assert answer.startswith("⚠️ Only rotation admins can change the rotation")
    as_person(testbot, "U0ALICE")
    answer = testbot.exec_command("!rotation import")
    assert answer.startswith("⚠️ Give the feed's address and nothing else")
    answer = testbot.exec_command("!rotation import https://oncall.example/feed.ics")
    assert answer == "⚠️ This chat platform cannot tell who a calendar's people are."
    assert "No rotation yet" in testbot.exec_command("!rotation")
