"""Faults on demand: Slack's refusals (`fail`, `heal`) and its rate limits (`limit`,
`slack_limits`), answered as Slack answers them.

An injected error is HTTP 200 with ``{"ok": false, "error": ...}`` and nothing done; a call
over its limit is HTTP 429 with ``Retry-After`` in whole seconds, and nothing done. The Web
API asks `_throttled` first, then `_injected`, before it runs a method.
"""

from __future__ import annotations

import time
from typing import Any

from watchstander_sandbox.slack.core import Core
from watchstander_sandbox.slack.world import JSON, Call

CONNECTING = ("auth.test", "apps.connections.open")  # not failed nor limited by ``*``

# (method, calls a minute, burst): Slack's tiers for what the bot calls (chat.postMessage:
# about one a second per channel, with short bursts)
SLACK_LIMITS = (
    ("chat.postMessage", 60, 5),
    ("conversations.info", 50, 5),
    ("users.info", 100, 10),
    ("bots.info", 100, 10),
    ("team.info", 50, 5),
    ("reactions.add", 50, 5),
    ("usergroups.users.update", 20, 2),
    ("files.getUploadURLExternal", 20, 2),
    ("files.completeUploadExternal", 20, 2),
)


class Faults(Core):
    """The injected errors and rate limits of `LocalSlack`, and the calls they answered."""

    def __init__(self) -> None:
        super().__init__()
        self._limits: dict[str, tuple[float, float]] = {}  # method -> (per second, burst)
        self._failures: dict[str, tuple[str, int | None, JSON]] = {}  # method -> error, times
        self.failed: list[Call] = []  # calls answered with an injected error
        self.limited: list[Call] = []  # calls answered 429
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)

    def fail(self, method: str, error: str, times: int | None = None, **extra: Any) -> None:
        """Answer ``method`` (``*``: every method but auth.test and apps.connections.open)
        with Slack's error ``error`` (and ``extra`` fields, as ``needed`` and ``provided``
        for ``missing_scope``), ``times`` times or until `heal`; nothing is done."""
        with self._cond:
            self._failures[method] = (error, times, dict(extra))

    def heal(self, method: str | None = None) -> None:
        """Stop the injected errors (of one method, or all)."""
        with self._cond:
            if method is None:
                self._failures.clear()
            else:
                self._failures.pop(method, None)

    def _injected(self, method: str, params: JSON) -> JSON | None:
        with self._cond:
            key = method if method in self._failures else "*"
            rule = self._failures.get(key)
            if rule is None or (key == "*" and method in CONNECTING):
                return None
            error, times, extra = rule
            if times is not None:
                if times <= 1:
                    del self._failures[key]
                else:
                    self._failures[key] = (error, times - 1, extra)
            self.failed.append(Call(method, params, time.time()))
            self._changed()
            return {"error": error, **extra}

    def limit(self, method: str, per_minute: float, burst: int = 1) -> None:
        """Answer ``method`` with 429 past ``per_minute`` calls (``burst`` at once), as Slack's
        tiers do; ``chat.postMessage`` is counted per channel. ``*``: every method (but
        auth.test and apps.connections.open) that has no limit of its own, each counted
        apart."""
        with self._cond:
            self._limits[method] = (per_minute / 60.0, float(burst))

    def slack_limits(self) -> None:
        """Slack's published limits for the methods the bot calls (Tier 2-4; about one
        message a second per channel, with short bursts)."""
        for method, per_minute, burst in SLACK_LIMITS:
            self.limit(method, per_minute, burst)

    def _throttled(self, method: str, params: JSON) -> float | None:
        """None if the call may go now (a token taken), else the seconds until it may."""
        with self._cond:
            rule = self._limits.get(method)
            if rule is None and method not in CONNECTING:
                rule = self._limits.get("*")
            if rule is None:
                return None
            rate, burst = rule
            key = f"{method}:{params.get('channel')}" if method == "chat.postMessage" else method
            now = time.monotonic()
            tokens, then = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - then) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return None
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / rate
