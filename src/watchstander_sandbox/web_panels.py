"""The sandbox page's PagerDuty and GitHub panels: what each entry shows of an event the bot
sent to the local PagerDuty, and of an issue on the local GitHub."""

from __future__ import annotations

from typing import Any


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
