"""The triage plugin on Errbot's test backend: commands parse, answer in one line, and say
what is wrong without changing anything (threads themselves are covered end to end)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["errbot.backends.test"]
# Errbot's test bot leaves its log file open between tests (its leak, not ours).
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

ROOT = Path(__file__).resolve().parents[2]
extra_plugin_dir = str(ROOT / "plugins")


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHSTANDER_DATABASE_URL", f"sqlite:///{tmp_path / 'plugin.db'}")
    monkeypatch.setenv("ROTATION_ADMINS", "U0ALICE,U0BOB")


extra_config = {"AUTOINSTALL_DEPS": False, "CORE_PLUGINS": ("ACLs", "Help", "Utils")}


def test_threads_lists_nothing_on_a_new_database(testbot) -> None:  # type: ignore[no-untyped-def]
    assert "No open threads." in testbot.exec_command("!threads")


def test_an_unknown_list_is_one_clear_line(testbot) -> None:  # type: ignore[no-untyped-def]
    answer = testbot.exec_command("!threads everything")
    assert "not a list I keep" in answer and "\n" not in answer


@pytest.mark.parametrize("command", ["!claim", "!unclaim", "!resolve done", "!eta 45m", "!thread"])
def test_thread_commands_outside_a_thread_say_where_they_work(testbot, command: str) -> None:  # type: ignore[no-untyped-def]
    assert "works inside a #support thread" in testbot.exec_command(command)


def test_help_lists_every_command_with_one_line(testbot) -> None:  # type: ignore[no-untyped-def]
    answer = testbot.exec_command("!help Triage")
    for command in ("claim", "unclaim", "handoff", "resolve", "eta", "thread", "threads"):
        assert command in answer


def test_oncall_before_any_rotation_names_the_admin(testbot) -> None:  # type: ignore[no-untyped-def]
    answer = testbot.exec_command("!oncall")
    assert "<@U0ALICE> is on call" in answer and "No rotation yet" in answer


def test_changing_the_rotation_is_for_admins(testbot) -> None:  # type: ignore[no-untyped-def]
    answer = testbot.exec_command("!rotation set <@U0BOB> <@U0CAROL>")
    assert "Only rotation admins" in answer and "\n" not in answer
    assert "No rotation yet" in testbot.exec_command("!rotation")
