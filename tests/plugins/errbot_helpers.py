"""What Errbot's ``testbot`` fixture reads from a test module: the plugins and the config."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
extra_plugin_dir = str(ROOT / "plugins")
# As config.py (of Errbot's core plugins only the access controls), and Utils, whose
# ``!echo ready`` is how ``testbot`` knows the bot has started. That the real bot serves none
# of Errbot's internals is checked end to end, with config.py.
extra_config = {
    "AUTOINSTALL_DEPS": False,
    "CORE_PLUGINS": ("ACLs", "Utils"),
    "SUPPRESS_CMD_NOT_FOUND": True,
}
