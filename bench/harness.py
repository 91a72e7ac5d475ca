"""The real bot (Errbot + the Watchstander Slack backend) in a subprocess against a fresh
`LocalSlack`: start, readiness, and waits on the server's recorded Web API calls; and
replicas, several bots on one PostgreSQL database and one server.

Starting and stopping the process is `watchstander_sandbox.bot_process`, shared with the
end-to-end tests and the sandbox.
"""

from __future__ import annotations

import os
import platform
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchstander.adapters.minilm import NoModel, model_dir
from watchstander.store import Store
from watchstander_sandbox.bot_process import ROOT as ROOT  # re-exported for the benchmarks
from watchstander_sandbox.bot_process import bot_env, log_tail, start_bot, stop_bot
from watchstander_sandbox.slack import Call, LocalSlack

ECHO_PLUGINS = ROOT / "bench" / "echo"
SUPPORT = "C0SUPPORT"
ONCALL, SECONDARY, POSTER = "U0ALICE", "U0BOB", "U0CAROL"

CONNECT_TIMEOUT = 90.0  # Errbot's start on a busy 2-core machine
PROBE_TIMEOUT = 15.0  # one readiness probe; re-posted up to PROBES times
PROBES = 6
QUIET = 1.0  # `Bot.settle`: the bot is done once no Web API call came for this long
SETTLE_LIMIT = 30.0


class BotFailed(RuntimeError):
    """The bot did not start, exited, or did not answer in time."""


def is_reply(call: Call, thread_ts: str | None = None) -> bool:
    """A chat.postMessage into a thread (into `thread_ts`, when given)."""
    if call.method != "chat.postMessage":
        return False
    got = call.params.get("thread_ts")
    return bool(got) and (thread_ts is None or got == thread_ts)


def is_top_level(call: Call) -> bool:
    """A chat.postMessage in #support outside any thread (how commands are answered)."""
    return (
        call.method == "chat.postMessage"
        and call.params.get("channel") == SUPPORT
        and not call.params.get("thread_ts")
    )


def wait_reply(slack: LocalSlack, ts: str, since: int, timeout: float) -> Call | None:
    """The first threaded reply to `ts` among the calls from index `since` on, or None."""
    found: list[Call] = []
    seen = since

    def answered(s: LocalSlack) -> bool:
        nonlocal seen
        calls = s.calls
        for call in calls[seen:]:
            if is_reply(call, ts):
                found.append(call)
                return True
        seen = len(calls)
        return False

    slack.wait_for(answered, timeout)
    return found[0] if found else None


def wait_replies(
    slack: LocalSlack, wanted: Iterable[str], since: int, timeout: float
) -> dict[str, Call]:
    """The first threaded reply to each ts of `wanted` (those that came before `timeout`)."""
    remaining = set(wanted)
    first: dict[str, Call] = {}
    seen = since

    def drained(s: LocalSlack) -> bool:
        nonlocal seen
        calls = s.calls
        for call in calls[seen:]:
            ts = call.params.get("thread_ts") if call.method == "chat.postMessage" else None
            if ts in remaining:
                remaining.discard(ts)
                first[ts] = call
        seen = len(calls)
        return not remaining

    slack.wait_for(drained, timeout)
    return first


@dataclass
class Bot:
    """One bot process: the echo baseline (`plugins` = bench/echo) or Watchstander (None)."""

    slack: LocalSlack
    data: Path
    plugins: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or ("echo" if self.plugins is not None else "watchstander")

    @property
    def database(self) -> Path:
        return self.data / "watchstander.db"

    @property
    def exited(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def start(self) -> None:
        env = bot_env(
            self.slack,
            self.data,
            ROTATION_ADMINS=f"{ONCALL},{SECONDARY}",
            WATCHSTANDER_LOG_LEVEL="WARNING",  # DEBUG logging distorts timings
            # the server here has no rate limits: measure the bot's own work, not Slack's pace
            WATCHSTANDER_SLACK_PACE="off",
        )
        if self.plugins is not None:
            env["WATCHSTANDER_PLUGIN_DIR"] = str(self.plugins)
        env.update(self.extra_env)
        self.process = start_bot(env, self.data / "bot-output.log")
        connects = len(self.slack.calls_to("apps.connections.open"))
        self.slack.wait_for(
            lambda s: (
                self.exited or (s.connected and len(s.calls_to("apps.connections.open")) > connects)
            ),
            CONNECT_TIMEOUT,
        )
        if self.exited or not self.slack.connected:
            raise BotFailed(f"{self.name} bot did not connect\n{self.log_tail()}")
        self._wait_ready()

    def _wait_ready(self) -> None:
        """Re-post a probe until it is answered: the echo of a plain post, or (Watchstander)
        the top-level answer to ``!threads``, which comes once the plugins are active."""
        for _ in range(PROBES):
            since = len(self.slack.calls)
            if self.plugins is not None:
                probe = self.slack.post(POSTER, SUPPORT, "readiness probe")
                ok = wait_reply(self.slack, probe, since, PROBE_TIMEOUT) is not None
            else:
                self.slack.post(POSTER, SUPPORT, "!threads")
                ok = self.slack.wait_for(self._answered_since(since), PROBE_TIMEOUT)
            if self.exited:
                break
            if ok:
                return
        raise BotFailed(f"{self.name} bot never answered its readiness probe\n{self.log_tail()}")

    def _answered_since(self, since: int) -> Callable[[LocalSlack], bool]:
        """A top-level answer from the plugins: upstream's backend hands events on before
        they are active, and Errbot's own 'Command "threads" not found.' is not one."""
        return lambda s: (
            self.exited
            or any(
                is_top_level(c) and "not found" not in str(c.params.get("text"))
                for c in s.calls[since:]
            )
        )

    def settle(self) -> Call | None:
        """Wait (at most SETTLE_LIMIT) until no Web API call has come for QUIET seconds: the
        bot has handled every event, its own echoed posts included. The last call, if any."""
        deadline = time.monotonic() + SETTLE_LIMIT
        count = len(self.slack.calls)
        while not self.exited and time.monotonic() < deadline:
            if not self.slack.wait_for(self._more_than(count), QUIET):
                break
            count = len(self.slack.calls)
        calls = self.slack.calls
        return calls[-1] if calls else None

    @staticmethod
    def _more_than(count: int) -> Callable[[LocalSlack], bool]:
        return lambda s: len(s.calls) > count

    def stop(self) -> None:
        stop_bot(self.process)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.data, lines)


@contextmanager
def running_bot(
    data: Path,
    plugins: Path | None,
    *,
    label: str | None = None,
    limits: bool = False,
    env: Mapping[str, str] | None = None,
    **more: str,
) -> Iterator[tuple[LocalSlack, Bot]]:
    """A fresh server and a started bot (the server enforcing Slack's rate limits from then on,
    if ``limits``) with ``env`` and ``more`` in its environment; both stopped on the way out,
    whatever happens."""
    data.mkdir(parents=True, exist_ok=True)
    slack = LocalSlack().start()
    bot = Bot(slack, data, plugins, {**(env or {}), **more}, label=label)
    try:
        bot.start()
        if limits:  # from here: the start-up's calls leave every bucket full
            slack.slack_limits()
        yield slack, bot
        bot.settle()  # not stopped mid-request (on success; a failure stops it at once)
    finally:
        try:
            bot.stop()
        finally:
            slack.stop()


# ------------------------------------------------------------------------------ replicas


def empty_database(url: str) -> None:
    """Every table the bot makes dropped (as the tests do), so its migrations start afresh."""
    store = Store(url)
    try:
        store.drop_everything()
    finally:
        store.dispose()


def connections(count: int) -> Callable[[LocalSlack], bool]:
    return lambda slack: slack.connections >= count


@contextmanager
def running_replicas(
    data: Path, url: str, count: int, env: dict[str, str] | None = None
) -> Iterator[tuple[LocalSlack, list[Bot]]]:
    """A fresh server, the schema emptied, and ``count`` bots on ``url`` started one after
    the other; Slack's limits enforced once all answer. All stopped on the way out."""
    empty_database(url)
    slack = LocalSlack().start()
    full = {"WATCHSTANDER_DATABASE_URL": url, "WATCHSTANDER_SLACK_PACE": "", **(env or {})}
    bots = [
        Bot(slack, data / f"replica-{n}", None, full, label=f"replica-{n}")
        for n in range(1, count + 1)
    ]
    try:
        for n, bot in enumerate(bots, start=1):
            bot.data.mkdir(parents=True, exist_ok=True)
            bot.start()  # its probe may be answered by another replica: wait for its socket
            if not slack.wait_for(connections(n), CONNECT_TIMEOUT):
                raise BotFailed(f"{bot.name}: {slack.connections} connections, not {n}")
        slack.slack_limits()  # from here: the start-up's calls leave every bucket full
        yield slack, bots
        bots[0].settle()
    finally:
        try:
            for bot in bots:
                bot.stop()
        finally:
            slack.stop()


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: bots stopped, servers stopped


def begin(prog: str, argv: list[str] | None) -> tuple[float, float, float]:
    """A benchmark run starts: SIGTERM stops its bots and servers, and its first line says
    what ran, on what, under which load. The load averages at the start."""
    signal.signal(signal.SIGTERM, _terminated)
    load = os.getloadavg()
    given = " ".join(argv if argv is not None else sys.argv[1:])
    print(
        f"# python -m {prog} {given}".rstrip()
        + f"  | {platform.python_version()}, {os.cpu_count()} cpus,"
        f" load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        flush=True,
    )
    return load


def run_facts(
    argv: list[str] | None, started: float, load: tuple[float, float, float]
) -> dict[str, Any]:
    """What a results file says of its run: the arguments, the wall time since ``started``
    (``time.monotonic()``), the load at its start and end, the machine, the moment."""
    return {
        "argv": argv if argv is not None else sys.argv[1:],
        "wall_s": time.monotonic() - started,
        "load_at_start": load,
        "load_at_end": os.getloadavg(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


# -------------------------------------------------------------------- a bot with a history

MEANT_TIMEOUT = 900.0  # for the bot to make a vector of each resolved thread
MEANT_POLL = 0.05


def prefill(data: Path, threads: int) -> int:
    """A week of ``threads`` threads, all resolved and general, in the bot's database before it
    starts (nothing falls due): how many."""
    if not threads:
        return 0
    from bench.review_history import fill  # which imports this module

    data.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{data / 'watchstander.db'}")
    try:
        store.migrate()
        fill(store, 1, threads, seed=7)
        with store.engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE threads SET level = 0, next_due_at = NULL, "
                "resolved_at = coalesce(resolved_at, posted_at)"
            )
    finally:
        store.dispose()
    return threads


def wait_meant(bot: Bot, resolved: int) -> None:
    """With the meaning extra: until the bot has made a vector of every resolved thread."""
    try:
        model_dir()
    except NoModel:
        return
    started = time.monotonic()
    while time.monotonic() - started < MEANT_TIMEOUT:
        with sqlite3.connect(f"file:{bot.database}?mode=ro", uri=True) as db:
            if db.execute("SELECT count(*) FROM meanings").fetchone()[0] >= resolved:
                print(
                    f"# {resolved} resolved threads made into vectors in "
                    f"{time.monotonic() - started:.0f} s",
                    flush=True,
                )
                return
        if bot.exited:
            raise BotFailed(f"{bot.name} exited\n{bot.log_tail()}")
        time.sleep(MEANT_POLL)
    raise BotFailed(f"{bot.name}: not every resolved thread had a vector in {MEANT_TIMEOUT} s")
