"""The sandbox page's PagerDuty and GitHub panels: what each entry shows of an event the bot
sent to the local PagerDuty, and of an issue on the local GitHub; closing an issue there."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import urllib.request
from typing import Any

from watchstander_sandbox.github_server import LocalGitHub


def close_issue(github: LocalGitHub, number: int, webhook: tuple[str, str] | None) -> bool:
    """Close issue ``number`` on the local GitHub, then tell the bot (``webhook``: its /github
    URL and secret) as GitHub would. False: there is no such open issue."""
    found = github.close_issue(number)
    if found is None:
        return False
    if webhook is not None:
        url, secret = webhook
        body = json.dumps({"action": "closed", "issue": found}).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-GitHub-Event": "issues", "X-Hub-Signature-256": signature}
        request = urllib.request.Request(url, body, headers, method="POST")
        with contextlib.suppress(OSError):  # the bot is down: it asks GitHub when it polls
            urllib.request.urlopen(request, timeout=5).close()
    return True


def pd_entry(event: dict[str, Any]) -> dict[str, Any]:
    payload = event.get("payload") or {}
    return {
        "at": event.get("received_at") or payload.get("timestamp") or "",
        "action": event.get("event_action"),
        "dedup_key": event.get("dedup_key"),
        "summary": payload.get("summary", ""),
        "severity": payload.get("severity", ""),
    }


def issue_entry(issue: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": issue.get("number"),
        "title": issue.get("title"),
        "state": issue.get("state"),
        "labels": [label.get("name") for label in issue.get("labels", [])],
        "body": issue.get("body") or "",
        "html_url": issue.get("html_url"),
    }
