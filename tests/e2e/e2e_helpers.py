"""End to end: the real bot (Errbot + the SlackV3-based backend + the plugins) in a
subprocess, against the local Slack-compatible server in this process. The tests import what
they use from here; the ``make_bot`` fixture is registered by tests/conftest.py
(``pytest_plugins``), so that no second module is named ``conftest`` (mypy checks them all)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest
from database_helpers import empty_database

from watchstander.store import Store
from watchstander_sandbox.bot_process import bot_env, free_port, log_tail, start_bot, stop_bot
from watchstander_sandbox.slack import Call, LocalSlack

__all__ = ["free_port"]  # the tests import it from here
SUPPORT = "C0SUPPORT"
ONCALL, SECONDARY, POSTER, DEV, DEV2 = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN"
T = TypeVar("T")
STOPS = 5.0  # seconds a stop may take, from the signal to the exit


def exit_code(process: subprocess.Popen[bytes], data: Path) -> int:
    """The bot's exit code once it has ended; an AssertionError with its log's tail if it is
    still running `STOPS` seconds after the signal."""
    try:
        return process.wait(timeout=STOPS)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"still running {STOPS} s after the signal\n{log_tail(data)}"
        ) from None


def errbot_log(data: Path) -> str:
    path = data / "errbot" / "errbot.log"
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def redelivery_not_handled(data: Path, event_id: str) -> bool:
    """Whether the bot's log says a redelivery of ``event_id`` was not handled again: dropped
    (it came after the first delivery was handled) or kept with the first (it came while that
    one was handled, and is acked with it)."""
    log = errbot_log(data)
    return (
        f"Dropping a redelivered event {event_id}" in log
        or f"Event {event_id} again while it is handled here" in log
    )


def wait_until(check: Callable[[], T], timeout: float, what: str) -> T:
    """What ``check`` returns once it is true, asked every 50 ms; an AssertionError naming
    ``what`` after ``timeout`` seconds. For what the local Slack server cannot see (the bot's
    own database): what it sees is waited for with ``LocalSlack.wait_for``."""
    deadline, pause = time.monotonic() + timeout, threading.Event()
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        pause.wait(0.05)


@dataclass
class Bot:
    slack: LocalSlack
    data: Path
    database: str = ""  # the bot's SQLAlchemy URL (SQLite in ``data`` when empty)
    process: subprocess.Popen[bytes] | None = None
    _store: Store | None = field(default=None, repr=False)

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{self.data / 'watchstander.db'}"

    def start(self, **env: str) -> None:
        full = bot_env(
            self.slack,
            self.data,
            ROTATION_ADMINS=f"{ONCALL},{SECONDARY}",
            WATCHSTANDER_LOG_LEVEL="DEBUG",
            WATCHSTANDER_DATABASE_URL=self.database_url,
            **env,
        )
        self.process = start_bot(full, self.data / "bot-output.log")
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
        stop_bot(self.process)
        self.process = None

    def store(self) -> Store:
        """The bot's own database, to read what it recorded."""
        if self._store is None:
            self._store = Store(self.database_url)
        return self._store

    def close(self) -> None:
        self.stop()
        if self._store is not None:
            self._store.dispose()
            self._store = None

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
        return log_tail(self.data, lines)


@pytest.fixture(params=["sqlite", "postgresql"])
def bot_database(request: pytest.FixtureRequest) -> str:
    """Each end-to-end test runs the bot on SQLite (its file in the test's folder), and on
    PostgreSQL too when WATCHSTANDER_TEST_DATABASE_URL is set (emptied first)."""
    if request.param == "sqlite":
        return ""
    url = os.environ.get("WATCHSTANDER_TEST_DATABASE_URL", "")
    if not url:
        pytest.skip("PostgreSQL: set WATCHSTANDER_TEST_DATABASE_URL to run the bot on it")
    empty_database(url)
    return url


@pytest.fixture
def make_bot(slack: LocalSlack, tmp_path: Path, bot_database: str) -> Iterator[Callable[..., Bot]]:
    bots: list[Bot] = []

    def make(**env: str) -> Bot:
        bot = Bot(slack, tmp_path, bot_database)
        bots.append(bot)
        bot.start(**env)
        return bot

    yield make
    for bot in bots:
        bot.close()
