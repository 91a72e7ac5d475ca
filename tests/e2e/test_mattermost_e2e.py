"""End to end on Mattermost: the real bot (Errbot, the project's Mattermost backend, the
plugins) in a subprocess against the local Mattermost server in this process."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from watchstander_sandbox.bot_process import log_tail, mattermost_env, start_bot, stop_bot
from watchstander_sandbox.mattermost import LocalMattermost

pytestmark = pytest.mark.e2e
WAIT = 60.0  # seconds: the bound on each wait for the bot; a miss fails loudly
JOINER = "\u2060"


@dataclass
class MattermostBot:
    server: LocalMattermost
    data: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, **env: str) -> None:
        full = mattermost_env(
            self.server,
            self.data,
            ROTATION_ADMINS=",".join(self.server.user_id(u) for u in ("alice", "bob")),
            WATCHSTANDER_LOG_LEVEL="DEBUG",
            **env,
        )
        self.process = start_bot(full, self.data / "bot-output.log")
        ok = self.server.wait_for(lambda s: self.exited or s.connected, WAIT)
        assert ok and not self.exited, self.log_tail()
        answered = len(self.top_level())
        self.server.post("carol", "support", "!threads")
        ok = self.server.wait_for(lambda s: self.exited or len(self.top_level()) > answered, WAIT)
        assert ok and not self.exited, self.log_tail()

    @property
    def exited(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def stop(self) -> None:
        stop_bot(self.process)
        self.process = None

    def posts(self, root_id: str | None = None) -> list[dict[str, Any]]:
        """The bot's posts in #support (in one thread, when given)."""
        bot = self.server.world.bot.id
        found = self.server.messages("support", root_id)
        return [p for p in found if p["user_id"] == bot]

    def top_level(self) -> list[dict[str, Any]]:
        return self.posts()

    def wait_replies(self, root_id: str, count: int) -> list[dict[str, Any]]:
        ok = self.server.wait_for(lambda s: len(self.posts(root_id)) >= count, WAIT)
        texts = [p["message"] for p in self.posts(root_id)]
        assert ok, f"wanted {count} in {root_id}: {texts}\n{self.log_tail()}"
        return self.posts(root_id)

    def log_tail(self, lines: int = 80) -> str:
        return log_tail(self.data, lines)

    def log(self) -> str:
        text = ""
        for path in (self.data / "bot-output.log", self.data / "errbot" / "errbot.log"):
            if path.exists():
                text += path.read_text(errors="replace")
        return text


@pytest.fixture
def mm_bot(mattermost: LocalMattermost, tmp_path: Path) -> Iterator[MattermostBot]:
    bot = MattermostBot(mattermost, tmp_path)
    bot.start()
    yield bot
    bot.stop()


def settle(bot: MattermostBot) -> None:
    """Everything sent so far has been handled: a command sent now is answered after it."""
    answered = len(bot.top_level())
    bot.server.post("carol", "support", "!threads")
    ok = bot.server.wait_for(lambda s: len(bot.top_level()) > answered, WAIT)
    assert ok, bot.log_tail()


def test_urgent_post_answered_once_in_its_thread(mm_bot: MattermostBot) -> None:
    server = mm_bot.server
    root = server.post("carol", "support", "@oncall checkout is down for everyone")
    replies = mm_bot.wait_replies(root, 1)
    settle(mm_bot)
    assert len(mm_bot.posts(root)) == 1, [p["message"] for p in mm_bot.posts(root)]
    assert all(p["root_id"] == root for p in replies)
    assert "urgent" in replies[0]["message"].lower(), replies[0]["message"]
