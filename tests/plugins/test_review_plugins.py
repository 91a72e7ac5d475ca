"""The review, post-mortem and digest plugins on Errbot's test backend: what they answer
without GitHub, outside a thread and on an empty database, each bad input in one line."""

from __future__ import annotations

import pytest
from errbot.backends.test import TestBot as Bot
from errbot_helpers import environment, extra_config, extra_plugin_dir  # noqa: F401 (used by testbot)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def test_review_takes_only_dry_run(testbot: Bot) -> None:
    answer = testbot.exec_command("!review --force")
    assert answer == "⚠️ !review takes only --dry-run: try !review --dry-run."


def test_a_dry_run_on_an_empty_week_says_so(testbot: Bot) -> None:
    lines = testbot.exec_command("!review --dry-run").splitlines()
    assert lines[0].startswith("Weekly review (dry run: nothing is made) since ")
    assert lines[1] == "No tagged threads this week."


def test_postmortem_works_only_in_a_thread(testbot: Bot) -> None:
    answer = testbot.exec_command("!postmortem")
    assert answer == "⚠️ !postmortem works inside a #support thread: reply in it."


def test_the_digest_of_a_quiet_day_is_one_line(testbot: Bot) -> None:
    answer = testbot.exec_command("!digest")
    assert answer.startswith("☀️ #support, ")
    assert "nothing open, no unanswered questions" in answer
    assert "On call: @U0ALICE" in answer
    assert "\n" not in answer


def test_stats_of_an_empty_week_and_of_no_week(testbot: Bot) -> None:
    answer = testbot.exec_command("!stats this")
    assert answer.startswith("📊 #support, week ")
    assert ": no threads that week." in answer
    wrong = testbot.exec_command("!stats someday")
    assert wrong.startswith("⚠️ 'someday' is not a week")
    assert "\n" not in wrong
