"""Shared fixtures: a real database (SQLite file, or PostgreSQL when
WATCHSTANDER_TEST_DATABASE_URL is set), a fixed clock, and a service wired to them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from database_helpers import empty_database
from pagerduty_helpers import OPEN_PAGERS

from watchstander.adapters.code_host import CodeHost
from watchstander.adapters.minilm import MiniLM, NoModel
from watchstander.store import Store
from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack

# The end-to-end fixtures, the browser's, and the local Slack and Mattermost servers' client
# fixtures (tests/e2e and tests/sandbox are on pytest's pythonpath, see pyproject.toml).
pytest_plugins = ["e2e_helpers", "slack_clients", "mattermost_clients", "browser_helpers"]
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
PG_URL = os.environ.get("WATCHSTANDER_TEST_DATABASE_URL", "")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'watchstander.db'}"
    if not PG_URL:
        pytest.skip("PostgreSQL: set WATCHSTANDER_TEST_DATABASE_URL to run the store on it")
    empty_database(PG_URL)
    return PG_URL


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    db = Store(database_url)
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def model() -> MiniLM:
    """The meaning extra's sentence model (make test installs it), loaded once."""
    try:
        return MiniLM()
    except NoModel as missing:
        pytest.skip(f"the meaning extra is not installed: {missing}")


@pytest.fixture
def pd() -> Iterator[LocalPagerDuty]:
    """A local PagerDuty-compatible server; every client made with ``pager_for`` is closed."""
    server = LocalPagerDuty().start()
    yield server
    while OPEN_PAGERS:
        OPEN_PAGERS.pop().close()
    server.stop()


@pytest.fixture
def slack() -> Iterator[LocalSlack]:
    """A local Slack-compatible server (Web API and Socket Mode). Its trigger ids age only
    when a test says so (``expire_triggers``, or a clock of its own): Slack's 3 s would
    otherwise be a real-time window that a busy shared machine can miss."""
    server = LocalSlack().start()
    server.trigger_clock = lambda: 0.0
    yield server
    server.stop()


@pytest.fixture
def gh() -> Iterator[LocalGitHub]:
    """A local GitHub-compatible server."""
    server = LocalGitHub().start()
    yield server
    server.stop()


@pytest.fixture
def host(gh: LocalGitHub) -> Iterator[CodeHost]:
    """The GitHub adapter pointed at ``gh``, with no pause between writes."""
    made = CodeHost(gh.token, gh.repo, gh.url, timeout=2, seconds_between_writes=0)
    yield made
    made.close()
