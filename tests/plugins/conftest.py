"""The plugins on Errbot's own test backend (``testbot``): the real plugins and composition
root on a real SQLite database, answering in plain text through Errbot's ``send``. (Errbot's
fixture reads ``extra_plugin_dir`` and ``extra_config`` from each test module: they import
them from ``errbot_helpers``.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from watchstander_sandbox.bot_process import free_port

ROOT = Path(__file__).resolve().parents[2]
extra_plugin_dir = str(ROOT / "plugins")
# As config.py: of Errbot's core plugins only the access controls.
extra_config = {
    "AUTOINSTALL_DEPS": False,
    "CORE_PLUGINS": ("ACLs",),
    "SUPPRESS_CMD_NOT_FOUND": True,
}


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHSTANDER_DATABASE_URL", f"sqlite:///{tmp_path / 'plugin.db'}")
    monkeypatch.setenv("ROTATION_ADMINS", "U0ALICE,U0BOB")
    monkeypatch.setenv("WATCHSTANDER_HTTP_PORT", str(free_port()))
    monkeypatch.setenv("POSTMORTEM_DIR", str(tmp_path / "postmortems"))
    for name in ("GITHUB_TOKEN", "PAGERDUTY_ROUTING_KEY", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
