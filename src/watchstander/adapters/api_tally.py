"""A chat platform's API calls and rate-limit refusals (429), by method, since the process
started: kept by the backend across reconnections, read by ``/metrics`` when it is scraped."""

from __future__ import annotations

import threading


class ApiTally:
    """The calls made and the 429s answered, by method (Slack's ``chat.postMessage``,
    Mattermost's ``POST /posts``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, int] = {}
        self._limited: dict[str, int] = {}

    def called(self, method: str) -> None:
        with self._lock:
            self._calls[method] = self._calls.get(method, 0) + 1

    def rate_limited(self, method: str) -> None:
        with self._lock:
            self._limited[method] = self._limited.get(method, 0) + 1

    def __call__(self) -> tuple[dict[str, int], dict[str, int]]:
        """(calls, 429s) by method, as they stand."""
        with self._lock:
            return dict(self._calls), dict(self._limited)
