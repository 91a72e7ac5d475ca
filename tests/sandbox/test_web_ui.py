"""The sandbox page's files, as a browser asks for them: its script modules must come as
JavaScript, or the browser runs none of them (the browser test needs Chromium; this does not).
And what the page reads from /api/state: the bot's TIMEZONE, the workspace its links point
into, and who is on call now as the bot's own calendar feed says."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from watchstander.inbound.webhooks import calendar_route
from watchstander.services.rotation import RotationService
from watchstander.settings import Settings
from watchstander.store import Store
from watchstander.web import WebServer
from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack
from watchstander_sandbox.web_ui import PAGE, SandboxPage, on_call_in_feed, sandbox_timezone

_IMPORT = re.compile(r"^import \{[^}]*\} from '\./([\w-]+\.js)';$", re.M)


@pytest.fixture
def page() -> Iterator[str]:
    slack, pagerduty, github = LocalSlack().start(), LocalPagerDuty().start(), LocalGitHub().start()
    served = SandboxPage(slack, pagerduty, github, port=0).start()
    yield served.url
    served.stop()
    for server in (slack, pagerduty, github):
        server.stop()


def fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, "", ""


def test_every_module_the_page_imports_is_served_as_javascript(page: str) -> None:
    status, _, index = fetch(page)
    assert status == 200
    assert '<script type="module" src="/main.js"></script>' in index
    wanted, seen = ["main.js"], set()
    while wanted:
        name = wanted.pop()
        if name in seen:
            continue
        seen.add(name)
        status, kind, text = fetch(page + name)
        assert (status, kind.split(";")[0]) == (200, "text/javascript"), name
        wanted += _IMPORT.findall(text)
    assert seen == {p.name for p in PAGE.glob("*.js")}  # each file is imported by someone
    status, kind, _ = fetch(page + "app.css")
    assert (status, kind.split(";")[0]) == (200, "text/css")


@pytest.mark.parametrize("path", ["nope.js", "app.js", "index.html", "..%2Fweb_ui.py", "x/main.js"])
def test_nothing_else_is_served_from_the_folder(page: str, path: str) -> None:
    assert fetch(page + path)[0] == 404


@pytest.fixture
def servers() -> Iterator[tuple[LocalSlack, LocalPagerDuty, LocalGitHub]]:
    slack, pagerduty, github = LocalSlack().start(), LocalPagerDuty().start(), LocalGitHub().start()
    yield slack, pagerduty, github
    for server in (slack, pagerduty, github):
        server.stop()


def state_of(page: SandboxPage) -> dict[str, Any]:
    status, kind, text = fetch(page.url + "api/state")
    assert (status, kind.split(";")[0]) == (200, "application/json")
    answer: dict[str, Any] = json.loads(text)
    return answer


def roles(state: dict[str, Any]) -> dict[str, str | None]:
    return {p["name"]: p["role"] for p in state["people"]}


def test_the_state_says_the_bots_timezone_and_the_workspace_its_links_point_into(
    servers: tuple[LocalSlack, LocalPagerDuty, LocalGitHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    slack = servers[0]
    monkeypatch.delenv("TIMEZONE", raising=False)
    assert sandbox_timezone() == "Europe/Amsterdam"
    monkeypatch.setenv("TIMEZONE", "Asia/Tokyo")
    page = SandboxPage(*servers, port=0).start()
    try:
        state = state_of(page)
        assert state["timezone"] == "Asia/Tokyo"  # as the bot is given it
        request = urllib.request.Request(
            slack.api_url + "auth.test", b"", {"Authorization": f"Bearer {slack.bot_token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            auth = json.load(resp)
        assert state["workspace_url"] == auth["url"]  # the bot builds its permalinks on it
    finally:
        page.stop()
    page = SandboxPage(*servers, port=0, timezone="America/New_York").start()
    try:
        assert state_of(page)["timezone"] == "America/New_York"
    finally:
        page.stop()


def test_who_is_on_call_is_whom_the_bots_calendar_feed_names_now(
    servers: tuple[LocalSlack, LocalPagerDuty, LocalGitHub], store: Store
) -> None:
    """The bot's own RotationService behind the bot's own web server, as in the sandbox."""
    settings = Settings.from_env({"TIMEZONE": "Europe/Amsterdam", "ROTATION_ADMINS": "U0BOB"})
    rotation = RotationService(store, settings)
    routes = {("GET", "/oncall.ics"): calendar_route(rotation.calendar, lambda: datetime.now(UTC))}
    bot_web = WebServer("127.0.0.1", 0, routes).start()
    page = SandboxPage(*servers, port=0, calendar=bot_web.address + "/oncall.ics").start()
    try:
        assert page._feed_read.wait(10)  # the page reads the feed by itself
        # No rotation: the feed names nobody; the @oncall group holds the first admin.
        state = state_of(page)
        assert state["on_call"] == "U0ALICE"
        assert roles(state)["alice"] == "on call"
        before = page.version()

        rotation.set_rotation("U0BOB", "<@U0BOB> <@U0CAROL> every 1w", datetime.now(UTC))
        page.read_feed()
        state = state_of(page)
        assert state["on_call"] == "U0BOB"
        assert roles(state) == {
            "alice": None,
            "bob": "on call",
            "carol": "support lead",
            "dave": None,
            "erin": None,
        }
        assert page.version() != before  # so the page's event stream says it changed

        rotation.override("U0BOB", "<@U0DAVE> 2h", datetime.now(UTC))
        page.read_feed()
        state = state_of(page)
        assert state["on_call"] == "U0DAVE"
        assert roles(state)["dave"] == "on call"
        assert roles(state)["bob"] == "rotation admin"

        bot_web.stop()  # the bot stopped: the last word it said stands
        page.read_feed()
        assert state_of(page)["on_call"] == "U0DAVE"
    finally:
        page.stop()
        bot_web.stop()


def test_the_feed_says_whose_shift_holds_now(store: Store) -> None:
    settings = Settings.from_env({"TIMEZONE": "Europe/Amsterdam", "ROTATION_ADMINS": "U0BOB"})
    rotation = RotationService(store, settings)
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday
    assert on_call_in_feed(rotation.calendar(start), start) is None  # no rotation yet
    rotation.set_rotation("U0BOB", "<@U0ALICE> <@U0BOB> every 1w handoff mon 10:00", start)
    feed = rotation.calendar(start)
    assert on_call_in_feed(feed, start) == "U0ALICE"
    assert on_call_in_feed(feed, datetime(2026, 11, 30, 8, 59, tzinfo=UTC)) == "U0ALICE"
    assert on_call_in_feed(feed, datetime(2026, 11, 30, 9, 0, tzinfo=UTC)) == "U0BOB"
    assert on_call_in_feed(feed, start - timedelta(seconds=1)) is None
