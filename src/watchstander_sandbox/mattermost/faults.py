"""Faults on demand: injected errors (`fail_next`, `heal`) and Mattermost's rate limiter
(`rate_limit`), answered as Mattermost answers them.

An injected error is the given status with Mattermost's error body (or the body given), and
nothing done; or, with ``done``, what was asked done and its answer lost (a proxy's 502, an
answer that never came back). Mattermost's rate limiter (``RateLimitSettings``: a token
bucket per user or address over the whole API) answers HTTP 429 with the plain-text body
``limit exceeded`` and the headers ``X-Ratelimit-Limit``, ``X-Ratelimit-Remaining``,
``X-Ratelimit-Reset`` (seconds until the bucket is full again) and ``Retry-After`` (whole
seconds), and nothing done; while it is on, every answer carries the first three.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from watchstander_sandbox.mattermost.core import Core
from watchstander_sandbox.mattermost.world import Call, MattermostError


@dataclass
class Injected:
    """An injected answer: status, body (JSON, or text), headers, and how many more times."""

    status: int
    body: Any
    headers: dict[str, str]
    times: int
    done: bool = False  # the call is done, then answered with this instead
    delay: float = 0.0  # seconds the answer is held back (a client's read times out)


@dataclass(frozen=True)
class Limited:
    """What the rate limiter said of one call: allowed or not, and its headers."""

    allowed: bool
    headers: dict[str, str]


class Faults(Core):
    """The injected errors and the rate limiter of `LocalMattermost`, and the calls they
    answered."""

    def __init__(self) -> None:
        super().__init__()
        self._failures: list[tuple[str, str | None, Injected]] = []  # (path, method, answer)
        self._rate: tuple[float, int] | None = None  # per second, burst
        self._bucket: tuple[float, float] = (0.0, 0.0)  # tokens, when
        self.failed: list[Call] = []  # calls answered with an injected error
        self.limited: list[Call] = []  # calls answered 429 by the rate limiter

    def fail_next(
        self,
        path: str,
        status: int,
        body: Any = None,
        *,
        method: str | None = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
        done: bool = False,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` calls to ``path`` (as called, ``/api/v4/posts``, or its
        route, ``/api/v4/posts/{post_id}/patch``; ``*``: any path) with ``status`` and
        ``body`` (default: Mattermost's error body for the status), doing nothing (with
        ``done``: doing what was asked, then answering so; ``delay`` seconds late). With
        ``method``, only calls of that HTTP method. ``/api/v4/websocket`` fails the upgrade."""
        if body is None:
            body = MattermostError(
                status, "sandbox.injected.app_error", f"Injected failure ({status})."
            ).body()
        with self._cond:
            answer = Injected(status, body, dict(headers or {}), times, done, delay)
            self._failures.append((path, method.upper() if method else None, answer))

    def heal(self) -> None:
        """Forget every injected error not yet answered."""
        with self._cond:
            self._failures.clear()

    def rate_limit(self, per_second: float | None, burst: int = 1) -> None:
        """Turn Mattermost's rate limiter on (``per_second`` calls, ``burst`` at once, over the
        whole API) or off (None). It starts with a full bucket."""
        with self._cond:
            self._rate = None if per_second is None else (per_second, max(1, burst))
            self._bucket = (float(max(1, burst)), time.monotonic())

    def _injected(self, method: str, path: str, route: str) -> Injected | None:
        with self._cond:
            for i, (where, verb, answer) in enumerate(self._failures):
                if where in ("*", path, route) and verb in (None, method):
                    answer.times -= 1
                    if answer.times <= 0:
                        del self._failures[i]
                    return answer
            return None

    def _throttle(self) -> Limited | None:
        """None when the limiter is off; else whether this call may go (a token taken)."""
        with self._cond:
            if self._rate is None:
                return None
            rate, burst = self._rate
            tokens, then = self._bucket
            now = time.monotonic()
            tokens = min(float(burst), tokens + (now - then) * rate)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._bucket = (tokens, now)
            headers = {
                "X-Ratelimit-Limit": str(burst + 1),
                "X-Ratelimit-Remaining": str(int(tokens)),
                "X-Ratelimit-Reset": str(math.ceil((burst - tokens) / rate)),
            }
            if not allowed:
                headers["Retry-After"] = str(max(1, math.ceil((1 - tokens) / rate)))
            return Limited(allowed, headers)
