"""`python -m watchstander_sandbox` stopped by SIGTERM or SIGINT (once running, and during its
start-up): it stops its bot, saves, stops its servers and exits with 0 within a few seconds,
and what the bot stored stays stored."""

from __future__ import annotations

import json
import signal
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from e2e_helpers import wait_until
from port_helpers import port_is_free
from sandbox_process import start_sandbox

pytestmark = pytest.mark.e2e
STOPS = 10.0  # seconds a stop may take (the bot's clean stop included)


def stored(data: Path, marker: str) -> int:
    """How many threads whose post holds ``marker`` the bot stored in the sandbox's database."""
    with closing(sqlite3.connect(f"file:{data / 'sandbox.db'}?mode=ro", uri=True)) as db:
        query = "SELECT count(*) FROM threads WHERE root_text LIKE ?"
        return int(db.execute(query, (f"%{marker}%",)).fetchone()[0])


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_stops_the_sandbox_and_keeps_what_was_stored(
    tmp_path: Path, stop: signal.Signals
) -> None:
    data = tmp_path / "data"
    sandbox = start_sandbox(data)
    try:
        sandbox.wait_output("The bot is connected", 120)
        marker = f"stopped-by-{stop.name}"
        sandbox.send(f"post carol @oncall the invoice export is empty {marker}")
        try:
            wait_until(lambda: stored(data, marker), 60, "the bot stored the post")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{sandbox.tail()}") from None
        sandbox.process.send_signal(stop)
        assert sandbox.exit_code(STOPS) == 0, sandbox.tail()
    finally:
        sandbox.close()
    assert "Sandbox stopped after" in sandbox.output
    assert stored(data, marker) == 1
    assert marker in (data / "sandbox.json").read_text()  # Slack's side, saved at the end
    assert json.loads((data / "sandbox.json").read_text())["slack"]
    log = (data / "errbot" / "errbot.log").read_text(encoding="utf-8")
    assert "Stopping (SIGTERM)" in log, sandbox.tail()  # the sandbox stops its bot so
    assert "Closed: the web server, the scheduler and the database" in log
    assert "Watchstander stopped." in log
    assert "Traceback" not in log + sandbox.output
    assert port_is_free(sandbox.port)


def test_sigterm_during_start_up_stops_the_sandbox(tmp_path: Path) -> None:
    sandbox = start_sandbox(tmp_path / "data")
    try:
        sandbox.wait_output("Watchstander sandbox: open", 120)  # the bot is starting now
        sandbox.process.send_signal(signal.SIGTERM)
        assert sandbox.exit_code(STOPS) == 0, sandbox.tail()
    finally:
        sandbox.close()
    assert "Sandbox stopped after" in sandbox.output
    assert "Traceback" not in sandbox.output
    assert port_is_free(sandbox.port)
