"""The real bot (Errbot, the Watchstander Slack backend, the plugins) in a subprocess against a
`LocalSlack`: what `make run`'s sandbox, the end-to-end tests and the benchmarks share."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import watchstander_errbot

if TYPE_CHECKING:
    from watchstander_sandbox.mattermost import LocalMattermost
    from watchstander_sandbox.slack import LocalSlack

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(watchstander_errbot.__file__).resolve().parent / "config.py"  # Errbot's settings
# slack_sdk's Socket Mode client ignores NO_PROXY: keep ws://127.0.0.1 direct.
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def errbot_command() -> list[str]:
    script = Path(sys.executable).with_name("errbot")
    return [str(script), "-c", str(CONFIG)]


def bot_env(slack: LocalSlack, data: Path | None = None, **overrides: str) -> dict[str, str]:
    """This process's environment, pointed at ``slack``. With ``data``, the bot keeps its
    database and logs there and gets a web server port of its own (so bots never collide)."""
    env = {k: v for k, v in os.environ.items() if k not in PROXIES}
    env.update(
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_APP_TOKEN=slack.app_token,
        SLACK_API_URL=slack.api_url,
    )
    if data is not None:
        env.update(
            WATCHSTANDER_DATA_DIR=str(data),
            WATCHSTANDER_DATABASE_URL=f"sqlite:///{data / 'watchstander.db'}",
            WATCHSTANDER_HTTP_PORT=str(free_port()),
        )
    env.update(overrides)
    return env


def mattermost_env(
    server: LocalMattermost, data: Path | None = None, **overrides: str
) -> dict[str, str]:
    """This process's environment, pointed at the local Mattermost ``server`` (no Slack
    token: the Mattermost backend is chosen)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PROXIES and not k.startswith(("SLACK_", "MATTERMOST_"))
    }
    env.update(
        WATCHSTANDER_CHAT="mattermost",
        MATTERMOST_URL=server.url,
        MATTERMOST_TOKEN=server.bot_token,
        MATTERMOST_TEAM=server.world.team.name,
    )
    if data is not None:
        env.update(
            WATCHSTANDER_DATA_DIR=str(data),
            WATCHSTANDER_DATABASE_URL=f"sqlite:///{data / 'watchstander.db'}",
            WATCHSTANDER_HTTP_PORT=str(free_port()),
        )
    env.update(overrides)
    return env


def start_bot(env: dict[str, str], output: Path | None) -> subprocess.Popen[bytes]:
    """Start the bot; its output goes to ``output`` (appended), or nowhere."""
    if output is None:
        return subprocess.Popen(
            errbot_command(),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    with open(output, "ab") as log:
        return subprocess.Popen(
            errbot_command(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )


def stop_bot(process: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not gone within ``timeout``."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def log_tail(data: Path, lines: int = 40) -> str:
    """The end of the bot's output and of Errbot's own log, for a failure message."""
    text = ""
    for path in (data / "bot-output.log", data / "errbot" / "errbot.log"):
        if path.exists():
            text += "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
    return text
