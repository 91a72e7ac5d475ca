"""The sandbox page's files, as a browser asks for them: its script modules must come as
JavaScript, or the browser runs none of them (the browser test needs Chromium; this does not)."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack
from watchstander_sandbox.web_ui import PAGE, SandboxPage

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
