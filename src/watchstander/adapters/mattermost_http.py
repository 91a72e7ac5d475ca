"""One call to Mattermost's REST API v4 (``requests``), as the bot makes every call: a 429
waited out and sent again, a call that got no answer (or a 5xx) sent again only where that
cannot do a thing twice, and every call and 429 counted by method for ``/metrics``.

Mattermost's rate limiter (``RateLimitSettings``) is one token bucket per user (or address)
over the whole API; it answers 429 with ``Retry-After`` (whole seconds until a call may go)
and ``X-Ratelimit-Reset`` (seconds until the bucket is full). So a 429 holds every call of
this client, from every thread, until the time it gave (not only the refused one), and the
refused call goes again then: up to ``RATE_LIMIT_RETRIES`` times, then one line says so.

Sent again after no answer or a 5xx: what cannot do a thing twice (GET, PUT, DELETE; opening
a direct channel; a post create, which carries a ``pending_post_id``: Mattermost answers a
create sent again within ``DEDUPE_WINDOW`` with the post the first one made); anything else
only when it never left (the connection was refused or not made). Waits go through the
``sleep`` and ``clock`` given, so tests do not wait.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from watchstander.adapters.api_tally import ApiTally

log = logging.getLogger(__name__)

TIMEOUT = 15.0  # seconds for one call
RATE_LIMIT_RETRIES = 10  # as on Slack: a 429 is waited out and sent again this many times
RETRY_MARGIN = 0.25  # seconds waited after Mattermost's Retry-After, which counts whole seconds
FAILURE_PAUSES = (0.5, 2.0)  # no answer or a 5xx: sent again after these pauses, where safe
TRANSIENT = (500, 502, 503, 504)
DEDUPE_WINDOW = 30.0  # seconds Mattermost answers a create's pending_post_id with its post
REPEATABLE_POSTS = ("/posts", "/channels/direct", "/users/ids")  # POSTs safe to send again
# the words of the API's paths; any other part of a path (an id, a name) is counted as {id}
WORDS = frozenset({
    "users", "me", "username", "email", "teams", "name", "channels", "posts", "direct",
    "patch", "ephemeral", "files", "groups", "members", "thread", "reactions", "info", "ids",
    "websocket", "search",
})  # fmt: skip


class MattermostApiError(Exception):
    """Mattermost refused a call (``status``, its error ``id``) or did not answer (status 0)."""

    def __init__(self, status: int, error_id: str, message: str, what: str) -> None:
        said = " ".join(part for part in (str(status or "no answer"), error_id, message) if part)
        super().__init__(f"{what}: {said}")
        self.status, self.error_id = status, error_id


def method_of(method: str, path: str) -> str:
    """The metric label of a call: its HTTP method and route, ids and names left out
    (``GET /channels/{id}/posts``), so that the labels are few and name nobody."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    return f"{method} /" + "/".join(p if p in WORDS else "{id}" for p in parts if p)


class MattermostHttp:
    """The calls, over one ``requests`` session with the bot's token."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        session: requests.Session | None = None,
        proxies: bool = True,
        tally: ApiTally | None = None,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = TIMEOUT,
    ) -> None:
        self.base = url.rstrip("/") + "/api/v4"
        self._session = session or requests.Session()
        self._session.trust_env = proxies  # no proxy between the bot and a local server
        self._session.headers["Authorization"] = f"Bearer {token}"
        self.tally = tally or ApiTally()
        self._sleep, self._clock, self._timeout = sleep, clock, timeout
        self._gate = threading.Lock()
        self._calm_at = 0.0  # (clock) no call before then: Mattermost said 429

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call; its JSON (None for no body). Raises MattermostApiError."""
        what = f"{method} {path.split('?', 1)[0]}"
        label = method_of(method, path)
        repeatable = _repeatable(method, path, kwargs)
        self.tally.called(label)
        first, limited, failed = self._clock(), 0, 0
        while True:
            self._wait_turn()
            safe = repeatable and self._clock() - first < DEDUPE_WINDOW
            try:
                resp = self._session.request(
                    method, self.base + path, timeout=self._timeout, **kwargs
                )
            except requests.RequestException as exc:
                if failed < len(FAILURE_PAUSES) and (safe or _never_sent(exc)):
                    log.info("%s: %s; sending it again", what, _reason(exc))
                    self._sleep(FAILURE_PAUSES[failed])
                    failed += 1
                    continue
                raise MattermostApiError(0, "", _reason(exc), what) from None
            if resp.status_code == 429:
                self.tally.rate_limited(label)
                if limited >= RATE_LIMIT_RETRIES:
                    raise MattermostApiError(
                        429, "", f"still rate limited after waiting {limited} times", what
                    )
                limited += 1
                self._refused(_wait_of(resp.headers))
                continue
            if resp.status_code in TRANSIENT and safe and failed < len(FAILURE_PAUSES):
                log.info("%s: %s; sending it again", what, resp.status_code)
                self._sleep(FAILURE_PAUSES[failed])
                failed += 1
                continue
            return _answer(resp, what)

    def _wait_turn(self) -> None:
        """Wait until the time the last 429 gave, if it is still to come."""
        with self._gate:
            wait = self._calm_at - self._clock()
        if wait > 0:
            self._sleep(wait)

    def _refused(self, wait: float) -> None:
        with self._gate:
            self._calm_at = max(self._calm_at, self._clock() + wait)

    def close(self) -> None:
        self._session.close()


def _repeatable(method: str, path: str, kwargs: dict[str, Any]) -> bool:
    if method in ("GET", "HEAD", "PUT", "DELETE"):
        return True
    route = path.split("?", 1)[0]
    if method != "POST" or route not in REPEATABLE_POSTS:
        return False
    body = kwargs.get("json")
    return route != "/posts" or bool(isinstance(body, dict) and body.get("pending_post_id"))


def _never_sent(exc: requests.RequestException) -> bool:
    """The call never reached Mattermost: no connection was made."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        return isinstance(getattr(exc.args[0], "reason", None), NewConnectionError)
    return False


def _wait_of(headers: Any) -> float:
    """Seconds to wait after a 429: ``Retry-After``, else ``X-Ratelimit-Reset``, else one;
    and a margin (both count whole seconds). Never more than a minute."""
    for name in ("Retry-After", "X-Ratelimit-Reset"):
        try:
            return min(60.0, max(0.0, float(headers.get(name, "")))) + RETRY_MARGIN
        except (TypeError, ValueError):
            continue
    return 1.0 + RETRY_MARGIN


def _answer(resp: requests.Response, what: str) -> Any:
    if resp.status_code >= 400:
        try:
            body = resp.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        raise MattermostApiError(
            resp.status_code, str(body.get("id") or ""), str(body.get("message") or "")[:200],
            what,
        )  # fmt: skip
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return None


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "timed out"
    return json.dumps(text[:120])
