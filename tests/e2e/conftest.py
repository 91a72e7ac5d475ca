"""End to end: the real bot (Errbot + the SlackV3-based backend + the plugins) in a
subprocess, against the local Slack-compatible server in this process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from watchstander.sandbox.slack_server import Call, LocalSlack

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = "C0SUPPORT"
ONCALL, SECONDARY, POSTER, DEV, DEV2 = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Bot:
    slack: LocalSlack
    data: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, **env: str) -> None:
        full = dict(os.environ)
        full.update(
            SLACK_BOT_TOKEN=self.slack.bot_token,
            SLACK_APP_TOKEN=self.slack.app_token,
            SLACK_API_URL=self.slack.api_url,
            WATCHSTANDER_DATA_DIR=str(self.data),
            WATCHSTANDER_DATABASE_URL=f"sqlite:///{self.data / 'watchstander.db'}",
            ROTATION_ADMINS=f"{ONCALL},{SECONDARY}",
            WATCHSTANDER_LOG_LEVEL="DEBUG",
            WATCHSTANDER_HTTP_PORT=str(free_port()),  # each bot its own web server
        )
        full.update(env)
        for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            full.pop(proxy, None)  # Socket Mode ignores NO_PROXY: keep ws://127.0.0.1 direct
        errbot = Path(sys.executable).with_name("errbot")
        log = open(self.data / "bot-output.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(errbot), "-c", str(ROOT / "config.py")],
            cwd=ROOT,
            env=full,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        connects = len(self.slack.calls_to("apps.connections.open"))
        assert self.slack.wait_for(
            lambda s: (
                self.exited or (s.connected and len(s.calls_to("apps.connections.open")) > connects)
            ),
            60,
        ), self.log_tail()
        assert not self.exited, self.log_tail()
        # The plugins are active once a command is answered.
        answered = len(self.top_level())
        self.slack.post(POSTER, SUPPORT, "!threads")
        ok = self.slack.wait_for(lambda s: len(self.top_level()) > answered, 60)
        assert ok, self.log_tail()

    @property
    def exited(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def posts(self, thread_ts: str | None = None) -> list[Call]:
        """The bot's chat.postMessage calls (into one thread, when given)."""
        calls = self.slack.calls_to("chat.postMessage")
        if thread_ts is None:
            return calls
        return [c for c in calls if c.params.get("thread_ts") == thread_ts]

    def top_level(self) -> list[Call]:
        """The bot's posts in the support channel outside any thread (answers to commands)."""
        return [
            c
            for c in self.slack.calls_to("chat.postMessage")
            if c.params.get("channel") == SUPPORT and not c.params.get("thread_ts")
        ]

    def wait_posts(self, thread_ts: str, count: int, timeout: float = 30) -> list[Call]:
        ok = self.slack.wait_for(lambda s: len(self.posts(thread_ts)) >= count, timeout)
        assert ok, f"wanted {count} in {thread_ts}: {self.texts(thread_ts)}\n{self.log_tail()}"
        return self.posts(thread_ts)

    def texts(self, thread_ts: str) -> list[str]:
        return [str(c.params.get("text", "")) for c in self.posts(thread_ts)]

    def log_tail(self, lines: int = 60) -> str:
        path = self.data / "bot-output.log"
        errlog = self.data / "errbot" / "errbot.log"
        text = ""
        for p in (path, errlog):
            if p.exists():
                text += "\n".join(p.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    server = LocalSlack().start()
    yield server
    server.stop()


@pytest.fixture
def make_bot(slack: LocalSlack, tmp_path: Path) -> Iterator[Callable[..., Bot]]:
    bots: list[Bot] = []

    def make(**env: str) -> Bot:
        bot = Bot(slack, tmp_path)
        bots.append(bot)
        bot.start(**env)
        return bot

    yield make
    for bot in bots:
        bot.stop()
