"""The sandbox page's web API for tests: the page served with its local servers, a POST to
one of its endpoints, and the state it shows."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from watchstander_sandbox.github_server import LocalGitHub
from watchstander_sandbox.pagerduty_server import LocalPagerDuty
from watchstander_sandbox.slack import LocalSlack
from watchstander_sandbox.web_ui import SandboxPage


@contextmanager
def served(slack: LocalSlack) -> Iterator[SandboxPage]:
    pagerduty, github = LocalPagerDuty().start(), LocalGitHub().start()
    page = SandboxPage(slack, pagerduty, github, port=0).start()
    try:
        yield page
    finally:
        page.stop()
        pagerduty.stop()
        github.stop()


def call(page: SandboxPage, path: str, body: Any) -> tuple[int, dict[str, Any]]:
    """POST ``body`` (JSON, or bytes as they are) to ``path``: the status and the answer."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        page.url + path, data, {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def state(page: SandboxPage) -> dict[str, Any]:
    with urllib.request.urlopen(page.url + "api/state", timeout=10) as resp:
        found: dict[str, Any] = json.load(resp)
    return found
