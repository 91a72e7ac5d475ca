"""``make run`` without Slack tokens: the local sandbox.

It starts the project's local Slack-, PagerDuty- and GitHub-compatible servers on 127.0.0.1,
points the real bot (the project's SlackV3-based backend) at them, serves the sandbox page,
and reads commands on standard input to act as people in #support (type ``help``).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from watchstander.stopping import StopSignals
from watchstander_sandbox.bot_process import (
    ROOT,
    bot_env,
    free_port,
    start_bot,
    stop_bot,
)
from watchstander_sandbox.console import console, help_text


def main() -> int:
    return sandbox(sys.stdin, sys.stdout)


def sandbox(stdin: TextIO, stdout: TextIO) -> int:
    """The local sandbox: Slack-, PagerDuty- and GitHub-compatible servers, the page, the bot.

    ``quit``, the end of standard input (once stopped), SIGTERM and SIGINT stop it, at any
    moment, start-up included: the bot is stopped (SIGTERM, and it stops cleanly), what people
    did is saved, the servers stop; the exit code is 0."""
    stops = StopSignals().install()
    started = time.monotonic()
    try:
        with ExitStack() as stack:
            try:
                stops.arm()
                _run(stack, stops, stdin, stdout)
            finally:
                stops.disarm()  # stopping (``stack``): later signals are noted, not raised
    except KeyboardInterrupt:
        pass
    stdout.write(f"Sandbox stopped after {time.monotonic() - started:.0f} s.\n")
    stdout.flush()
    return 0


def _run(stack: ExitStack, stops: StopSignals, stdin: TextIO, stdout: TextIO) -> None:
    """Start everything, each thing's stop put on ``stack``; then the console, until asked to
    stop. What people do is saved every few seconds, and at the end."""
    import json
    import secrets
    from datetime import UTC, datetime

    from watchstander.settings import Settings
    from watchstander.store import Store
    from watchstander_sandbox import sample_week
    from watchstander_sandbox.github_server import LocalGitHub
    from watchstander_sandbox.pagerduty_server import LocalPagerDuty
    from watchstander_sandbox.slack import LocalSlack
    from watchstander_sandbox.web_ui import SandboxPage

    data = Path(os.environ.get("WATCHSTANDER_DATA_DIR") or ROOT / "data")
    data.mkdir(parents=True, exist_ok=True)
    saved_file = data / "sandbox.json"
    database = os.environ.get("WATCHSTANDER_DATABASE_URL") or f"sqlite:///{data / 'sandbox.db'}"
    fresh = database.startswith("sqlite:///") and not Path(database[10:]).exists()
    if os.environ.get("RESET") == "1" or fresh:  # RESET=1: start again from the sample week
        _reset(data, database, saved_file)
    slack = LocalSlack(port=int(os.environ.get("WATCHSTANDER_SLACK_PORT", "0"))).start()
    stack.callback(slack.stop)
    pagerduty = LocalPagerDuty().start()
    stack.callback(pagerduty.stop)
    github = LocalGitHub().start()
    stack.callback(github.stop)
    saved = json.loads(saved_file.read_text()) if saved_file.exists() else None
    timezone = os.environ.get("TIMEZONE") or "Europe/Amsterdam"
    if saved is None:
        store = Store(database)
        try:
            store.migrate()
            settings = Settings.from_env({"TIMEZONE": timezone})
            saved = {"slack": sample_week.load(store, settings, datetime.now(UTC))}
            saved["secret"] = secrets.token_hex(16)
        finally:
            store.dispose()
    slack.restore(saved.get("slack") or {})
    github.issues.extend(saved.get("github") or [])
    pagerduty.events.extend(saved.get("pagerduty") or [])
    web_port = free_port()
    secret = str(saved.get("secret") or secrets.token_hex(16))

    def save() -> None:
        state: dict[str, Any] = {"slack": slack.snapshot(), "secret": secret}
        state.update(github=list(github.issues), pagerduty=list(pagerduty.events))
        saved_file.write_text(json.dumps(state))

    save()
    stack.callback(save)  # at the end too: after the bot has stopped (the stack unwinds in reverse)
    env = bot_env(
        slack,
        ROTATION_ADMINS=os.environ.get("ROTATION_ADMINS") or "U0ALICE,U0BOB",
        WATCHSTANDER_DATABASE_URL=database,
        TIMEZONE=timezone,
        PAGERDUTY_ROUTING_KEY="R0SANDBOX" + "0" * 23,
        PAGERDUTY_EVENTS_URL=pagerduty.url,
        GITHUB_TOKEN=github.token,
        GITHUB_REPO=github.repo,
        GITHUB_API_URL=github.url,
        GITHUB_WEBHOOK_SECRET=secret,
        WATCHSTANDER_HTTP_PORT=str(web_port),
    )
    page = SandboxPage(
        slack,
        pagerduty,
        github,
        webhook=(f"http://127.0.0.1:{web_port}/github", secret),
        port=int(os.environ.get("WATCHSTANDER_SANDBOX_PORT") or "8080"),
        timezone=timezone,
        calendar=f"http://127.0.0.1:{web_port}/oncall.ics",
    ).start()
    stack.callback(page.stop)
    stdout.write(
        f"Watchstander sandbox: open {page.url} in a browser.\n"
        f"No SLACK_BOT_TOKEN/SLACK_APP_TOKEN, so the bot runs against local Slack-, PagerDuty-\n"
        f"and GitHub-compatible servers (Slack at {slack.api_url}); what you do is kept in {data}\n"
        f"(start again from the sample week: make run RESET=1). Bot log: {data / 'errbot'}.\n\n"
        f"{help_text(slack)}\n\n"
    )
    stdout.flush()
    stops.disarm()  # no bot process may be started and then forgotten
    bot = start_bot(env, None)
    stack.callback(stop_bot, bot, 15)
    stops.arm()
    stop = threading.Event()
    stack.callback(stop.set)

    def keep() -> None:  # what people do is saved every few seconds
        last = None
        while not stop.wait(2):
            now = page.version()
            if now != last:
                last = now
                save()

    threading.Thread(target=keep, name="sandbox-save", daemon=True).start()
    if not slack.wait_for(lambda s: s.connected, timeout=90):
        stdout.write("The bot did not connect within 90 s; see its log.\n")
    else:
        stdout.write("The bot is connected. Type a command here (help), or use the page.\n")
    stdout.flush()
    console(slack, stdin, stdout, stop)


def _reset(data: Path, database: str, saved_file: Path) -> None:
    saved_file.unlink(missing_ok=True)
    if database.startswith("sqlite:///"):
        path = Path(database.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    raise SystemExit(main())
