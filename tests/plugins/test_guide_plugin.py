"""Only Watchstander's face: !help lists its commands grouped by what people do, one line
each, and none of Errbot's internals; an unknown command is answered in one quoted line.
(That the real bot, with config.py, serves none of Errbot's internals is checked end to end.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from errbot.backends.test import TestBot as Bot
from errbot_helpers import environment, extra_config, extra_plugin_dir  # noqa: F401 (used by testbot)

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
PLUGINS = Path(__file__).resolve().parents[2] / "src" / "watchstander_errbot" / "plugins"
GROUPS = ["In a #support thread", "On call", "Review and figures"]


def our_commands() -> list[str]:
    """Every command the plugins define, as written in !help (``oncall_swap``: ``!oncall swap``)."""
    found = []
    for path in PLUGINS.glob("*/*.py"):
        for named, method in re.findall(
            r"@botcmd(?:\(name=\"(\w+)\"\))?\n    def (\w+)", path.read_text()
        ):
            found.append("!" + (named or method).replace("_", " "))
    return sorted(found)


def test_help_lists_every_command_once_in_its_group(testbot: Bot) -> None:
    lines = testbot.exec_command("!help").splitlines()
    assert [line for line in lines if line in GROUPS] == GROUPS
    listed = [line.split(":")[0].removeprefix("• ") for line in lines if line.startswith("• ")]
    assert sorted([*listed, "!help"]) == our_commands()
    assert all(len(line) < 120 for line in lines if line.startswith("• "))


def test_help_names_none_of_errbots_internals(testbot: Bot) -> None:
    answer = testbot.exec_command("!help")
    for internal in ("!repos", "!render", "!status", "!history", "!echo", "!whoami", "!plugin"):
        assert internal not in answer


def test_an_unknown_command_is_one_quoted_line_with_a_suggestion(testbot: Bot) -> None:
    answer = testbot.exec_command("!claime <!channel> quickly")
    assert "\n" not in answer
    assert answer.startswith("🤷 I do not know !claime.")
    assert "Did you mean !claim" in answer
    assert "<!channel>" not in answer
    assert "quickly" not in answer
    answer = testbot.exec_command("!oncall overide <!here> 2h")
    assert answer.startswith("⚠️ !oncall takes nothing after it; 'overide <!here> 2h' is not")
