"""What Errbot's ``testbot`` fixture reads from a test module (the plugins and the config), and
the environment the plugins run in: each test module imports all three. (A fixture here, not
in a conftest.py of this folder: mypy checks every test module, and two modules may not share
the name ``conftest``.)"""

from pathlib import Path

import pytest

from watchstander_sandbox.bot_process import free_port

ROOT = Path(__file__).resolve().parents[2]
extra_plugin_dir = str(ROOT / "src" / "watchstander_errbot" / "plugins")
# As config.py (of Errbot's core plugins only the access controls), and Utils, whose
# ``!echo ready`` is how ``testbot`` knows the bot has started. That the real bot serves none
# of Errbot's internals is checked end to end, with config.py.
extra_config = {
    "AUTOINSTALL_DEPS": False,
    "CORE_PLUGINS": ("ACLs", "Utils"),
    "SUPPRESS_CMD_NOT_FOUND": True,
}


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real plugins and composition root on a SQLite database of the test's own, with
    no outside service (no token in the environment) and a web port of their own."""
    monkeypatch.setenv("WATCHSTANDER_DATABASE_URL", f"sqlite:///{tmp_path / 'plugin.db'}")
    monkeypatch.setenv("ROTATION_ADMINS", "U0ALICE,U0BOB")
    monkeypatch.setenv("WATCHSTANDER_HTTP_PORT", str(free_port()))
    monkeypatch.setenv("POSTMORTEM_DIR", str(tmp_path / "postmortems"))
    for name in ("GITHUB_TOKEN", "PAGERDUTY_ROUTING_KEY", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
