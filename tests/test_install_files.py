"""The files an admin installs from agree with the code: the environment example names every
setting the bot reads and nothing else, the systemd unit runs commands that exist, and the
licence is the one pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from watchstander_errbot import cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "deploy" / "watchstander.env.example"
READ_BY = [
    ROOT / "src" / "watchstander" / "settings.py",
    ROOT / "src/watchstander_errbot/config.py",
    ROOT / "src/watchstander/logs.py",  # the secret settings (masked in the logs)
]
# Read elsewhere, by name: the backend's pace, and the sandbox's and tests' own variables.
ALSO_READ = {"WATCHSTANDER_SLACK_PACE"}
NOT_FOR_ADMINS = {"WATCHSTANDER_BACKEND", "WATCHSTANDER_BACKEND_DIRS", "WATCHSTANDER_PLUGIN_DIR"}


def example_names() -> set[str]:
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), re.MULTILINE))


def names_read() -> set[str]:
    found: set[str] = set()
    for path in READ_BY:
        found |= set(
            re.findall(r'(?:get|env|duration|schedule)\("([A-Z][A-Z0-9_]+)"', path.read_text())
        )
        found |= set(re.findall(r'^\s+"([A-Z][A-Z0-9_]+)",$', path.read_text(), re.MULTILINE))
    return found | ALSO_READ


def test_the_environment_example_names_every_setting_and_only_settings() -> None:
    read = names_read() - NOT_FOR_ADMINS
    assert read - example_names() == set()  # a new setting: add it to the example
    assert example_names() - read == set()  # a setting that went, or a typo


def test_the_systemd_unit_runs_commands_that_exist() -> None:
    unit = (ROOT / "deploy" / "watchstander.service").read_text()
    commands = re.findall(r"^Exec\w+=/opt/watchstander/bin/watchstander (\w+)$", unit, re.M)
    assert commands == ["migrate", "run"]
    for command in commands:
        with pytest.raises(SystemExit, match="0"):
            cli.main([command, "--help"])


def test_the_licence_is_the_one_pyproject_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == {"text": "Apache-2.0"}
    head = (ROOT / "LICENSE").read_text().split("\n", 3)[:2]
    assert [line.strip() for line in head] == ["Apache License", "Version 2.0, January 2004"]
