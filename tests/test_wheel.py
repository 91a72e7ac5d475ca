"""A production install is the wheel alone: it carries the Errbot configuration, the plugins,
the Slack backend, the migrations, the templates and the `watchstander` command."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out, source = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("source")
    # built from a copy: setuptools writes build/ and *.egg-info beside the sources
    for part in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / part, source / part)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (path,) = out.glob("watchstander-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_holds_what_the_bot_runs(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for needed in (
        "watchstander_errbot/config.py",
        "watchstander_errbot/cli.py",
        "watchstander_errbot/plugins/triage/triage.plug",
        "watchstander_errbot/plugins/triage/triage.py",
        "watchstander_errbot/plugins/guide/guide.plug",
        "watchstander_errbot/backends/watchstander_slack/watchstander_slack.plug",
        "watchstander_errbot/backends/watchstander_slack/watchstander_slack.py",
        "watchstander/store/migrations/env.py",
        "watchstander/render/templates/announce.md",
        "watchstander/templates/postmortem.md",
        "watchstander/store/migrations/versions/0009_general_close.py",
    ):
        assert needed in names, needed
    assert not any(name.startswith(("tests/", "bench/")) for name in names)


def test_the_wheel_gives_the_watchstander_command(wheel: zipfile.ZipFile) -> None:
    (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "watchstander = watchstander_errbot.cli:main" in text
