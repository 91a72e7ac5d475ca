"""Slack's Web API client as the bot uses it: look-ups remembered, Slack's pace kept per
channel, Slack's refusals said in one log line each and never fatal to an event.

Errbot's SlackV3 backend (``backends/watchstander_slack``) builds its client from here; the
chat port (``slack_chat``) posts through the same client and pacer.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import WebClient

from watchstander.adapters.api_tally import ApiTally

log = logging.getLogger(__name__)

LOOKUP_TTL = 600.0  # seconds a user, channel, bot or team looked up is trusted
LOOKUPS = {"user": "users.info", "bot": "bots.info", "channel": "conversations.info",
           "team": "team.info"}  # fmt: skip
SAY_AGAIN = 3600.0  # the same refusal of a setting (method, subject, error): once an hour
SAID_KEPT = 1000  # refusals remembered for that
REFUSED_LOOKUP_KEPT = 60.0  # seconds a refused look-up's stand-in is used before asking again
SETTINGS_ERRORS = {  # refusals that stay until someone changes a setting
    "not_in_channel", "channel_not_found", "is_archived", "missing_scope", "user_not_found",
    "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive",
    "not_allowed_token_type", "restricted_action", "no_permission",
}  # fmt: skip
AUTH_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "token_expired",
               "account_inactive", "not_allowed_token_type"}  # fmt: skip
HINTS = {
    "not_in_channel": "invite the bot to that channel",
    "channel_not_found": "check the channel's id and that the bot may see it",
    "is_archived": "the channel is archived",
    "missing_scope": "add the scope to the Slack app and reinstall it",
    "ratelimited": "still rate limited after waiting as Slack asked",
    "user_not_found": "a user this workspace cannot see (another organisation?)",
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "token_revoked": "check SLACK_BOT_TOKEN",
    "account_inactive": "check SLACK_BOT_TOKEN",
}


def slack_error(exc: Exception) -> str:
    """Slack's error code (``missing_scope (needs x)``), or the exception's class name."""
    response = getattr(exc, "response", None)
    if response is None:
        return type(exc).__name__
    try:
        error = str(response.get("error") or type(exc).__name__)
        needed = response.get("needed")
    except (AttributeError, TypeError):
        return type(exc).__name__
    return f"{error} (needs {needed})" if needed else error


STAND_IN = "watchstander_stand_in"  # in a refused look-up's stand-in: Slack's error code


def _placeholder(kind: str, key: str, team: str | None, error: str) -> dict[str, Any]:
    """What upstream needs of a user/bot/channel/team Slack would not describe: the id (and,
    under ``STAND_IN``, why Slack did not describe it: ``user_not_found`` says no such user)."""
    if kind == "user":
        profile = {"real_name": "", "display_name": key, "email": ""}
        user = {"id": key, "name": key, "team_id": team, "profile": profile}
        return {"ok": True, "user": user, STAND_IN: error}
    if kind == "bot":
        return {"ok": True, "bot": {"id": key, "name": key}, STAND_IN: error}
    if kind == "channel":
        blank = {"value": ""}
        channel: dict[str, Any] = {"id": key, "name": key, "topic": blank, "purpose": blank}
        channel.update(is_im=key.startswith("D"), is_mpim=False)
        return {"ok": True, "channel": channel, STAND_IN: error}
    return {"ok": True, "team": {"id": key, "name": key, "domain": ""}, STAND_IN: error}


CALM = 60.0  # seconds without bursts in a channel after Slack refused a message there
RETRY_MARGIN = 0.25  # seconds waited after Slack's Retry-After, which counts whole seconds
DEFAULT_PACE = "0.95/4"
# A call refused (429) is waited out and sent again this many times. Replicas share Slack's
# limits (one message a second per channel) but each keeps its own pace, so a reply can be
# refused again and again while the other replica's replies take the channel's turns: three
# tries lost 1-2 announcements in a burst of 40 (bench.replicas); ten lost none.
RATE_LIMIT_RETRIES = 10


class ChannelPacer:
    """Outgoing messages at Slack's pace: about ``rate`` a second per channel, with bursts of
    ``burst``. A sender waits its turn for its channel (one at a time per channel, so a burst
    of answers leaves in order); other channels are not held up. Time comes in as arguments."""

    def __init__(
        self,
        rate: float = 1.0,
        burst: int = 4,
        *,
        clock: Any = time.monotonic,
        sleep: Any = time.sleep,
    ) -> None:
        self.rate, self.burst = rate, float(burst)
        self._clock, self._sleep = clock, sleep
        self._buckets: dict[str, tuple[float, float]] = {}
        self._calm: dict[str, float] = {}  # channel -> no burst until then (after a 429)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def turn(self, channel: str) -> threading.Lock:
        """The channel's lock: hold it while waiting (``wait``) and sending."""
        with self._guard:
            return self._locks.setdefault(channel, threading.Lock())

    def wait(self, channel: str) -> float:
        """Wait (holding the channel's turn) until a message may go: the seconds waited."""
        now = self._clock()
        burst = 1.0 if now < self._calm.get(channel, 0.0) else self.burst
        tokens, then = self._buckets.get(channel, (burst, now))
        tokens = min(burst, tokens + (now - then) * self.rate)
        waited = 0.0
        if tokens < 1:
            waited = (1 - tokens) / self.rate
            self._sleep(waited)
            tokens, now = 1.0, now + waited
        self._buckets[channel] = (tokens - 1, now)
        return waited

    def refused(self, channel: str, wait: float) -> None:
        """Slack refused a message in ``channel`` (429) and asked for ``wait`` seconds: the
        refused message goes again then, the next one a full interval later (not at once,
        with the credit the wait built up), and no burst is sent there for a minute (Slack's
        burst is smaller than this pacer thought)."""
        now = self._clock()
        self._buckets[channel] = (0.0, now + wait)
        self._calm[channel] = now + wait + CALM


def pacer_from_setting(setting: str) -> ChannelPacer:
    """WATCHSTANDER_SLACK_PACE: messages a second per channel and the burst, as ``0.95/4``
    (the default: a margin under Slack's one a second, one short of Slack's burst of about
    five, so neither network jitter nor a clock a little fast brings a 429), or ``off`` for
    a server without limits."""
    if setting.strip().lower() == "off":
        return ChannelPacer(rate=1e9, burst=10**9)
    try:
        rate, _, burst = (setting or DEFAULT_PACE).partition("/")
        return ChannelPacer(rate=float(rate), burst=int(burst or 4))
    except ValueError:
        log.warning("WATCHSTANDER_SLACK_PACE=%r is not like 0.95/4: the default is kept", setting)
        return pacer_from_setting(DEFAULT_PACE)


class PacedRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, told to the pacer: the refused message waits Slack's
    ``Retry-After`` and a little more (the header counts whole seconds), then goes again; the
    channel's pacer learns of it, so the messages queued behind keep their distance."""

    def __init__(
        self,
        pacer: ChannelPacer | None,
        *,
        max_retry_count: int = 3,
        sleep: Any = time.sleep,
        tally: ApiTally | None = None,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer, self._sleep, self.tally = pacer, sleep, tally

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        """Asked of every answer: each 429 is counted, also the last one, not retried."""
        if self.tally is not None and response is not None and response.status_code == 429:
            self.tally.rate_limited(request.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0])
        return super().can_retry(state=state, request=request, response=response, error=error)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("a retry with neither a response nor an error")
        header = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), [])
        try:
            wait = float(header[0]) + RETRY_MARGIN
        except (IndexError, ValueError):
            wait = 1.0 + RETRY_MARGIN
        channel = _channel_of(request)
        if self.pacer is not None and channel:
            self.pacer.refused(channel, wait)
        state.next_attempt_requested = True
        self._sleep(wait)
        state.increment_current_attempt()


def _channel_of(request: HttpRequest) -> str | None:
    """The ``channel`` a Web API request was for (its JSON or form body), if any."""
    params = request.body_params or {}
    if not params and request.data:
        text = request.data.decode("utf-8", "replace")
        try:
            parsed = json.loads(text)
            params = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            params = {k: v[0] for k, v in urllib.parse.parse_qs(text).items()}
    channel = params.get("channel")
    return str(channel) if channel else None


class CachedWebClient(WebClient):
    """The Web API client with the lookups upstream makes for every event remembered.

    ``users.info``, ``bots.info``, ``conversations.info`` and ``team.info`` answers are kept
    for ``ttl`` seconds (a refused look-up's stand-in for a minute); ``forget`` drops one
    when Slack says it changed (``user_change``, ``channel_rename``, ``team_rename``). A 429
    is waited out as Slack's ``Retry-After`` says (up to RATE_LIMIT_RETRIES times), and a dropped
    connection retried, by slack_sdk's own retry handlers.

    A lookup Slack refuses (``user_not_found``, ``missing_scope``, still ``ratelimited``, no
    network) answers what was known before, or the bare id: upstream looks names up before
    the plugins see an event, and a name must never cost a post. A message Slack refuses
    (``not_in_channel``, ``is_archived``, ...) answers ``ok: false``. Each refusal is one log
    line, said again at most once an hour.
    """

    def __init__(
        self,
        *args: Any,
        ttl: float = LOOKUP_TTL,
        pacer: ChannelPacer | None = None,
        tally: ApiTally | None = None,
        sleep: Any = time.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.ttl, self.tally = ttl, tally
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}  # -> (good until, answer)
        self._cache_lock = threading.Lock()
        self._said: dict[tuple[str, str, str], tuple[float, int]] = {}  # -> when, not said
        self._fetching: dict[tuple[str, str], threading.Lock] = {}
        self.team_id: str | None = None  # the workspace's, once auth.test said it
        self.retry_handlers.append(
            PacedRetryHandler(pacer, max_retry_count=RATE_LIMIT_RETRIES, sleep=sleep, tally=tally)
        )
        if not any(isinstance(h, ConnectionErrorRetryHandler) for h in self.retry_handlers):
            self.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=2))

    def api_call(self, api_method: str, **kwargs: Any) -> Any:
        """Every Web API call (a remembered look-up makes none), counted by method."""
        if self.tally is not None:
            self.tally.called(api_method)
        return super().api_call(api_method, **kwargs)

    def users_info(self, *, user: str, **kwargs: Any) -> Any:
        return self._cached(
            "user", user, lambda: super(CachedWebClient, self).users_info(user=user, **kwargs)
        )

    def bots_info(self, *, bot: str | None = None, **kwargs: Any) -> Any:
        return self._cached(
            "bot", str(bot), lambda: super(CachedWebClient, self).bots_info(bot=bot, **kwargs)
        )

    def conversations_info(self, *, channel: str, **kwargs: Any) -> Any:
        return self._cached(
            "channel",
            channel,
            lambda: super(CachedWebClient, self).conversations_info(channel=channel, **kwargs),
        )

    def team_info(self, *, team: str | None = None, **kwargs: Any) -> Any:
        return self._cached(
            "team", str(team), lambda: super(CachedWebClient, self).team_info(team=team, **kwargs)
        )

    def forget(self, kind: str, key: str | None = None) -> None:
        """Drop what is remembered of one user/channel/bot/team (``key`` None: all of a kind)."""
        with self._cache_lock:
            for cached in [k for k in self._cache if k[0] == kind and key in (None, k[1])]:
                del self._cache[cached]

    def chat_postMessage(self, **kwargs: Any) -> Any:
        return self._refusable("chat.postMessage", kwargs, super().chat_postMessage)

    def chat_update(self, **kwargs: Any) -> Any:
        return self._refusable("chat.update", kwargs, super().chat_update)

    def chat_postEphemeral(self, **kwargs: Any) -> Any:
        return self._refusable("chat.postEphemeral", kwargs, super().chat_postEphemeral)

    def _refusable(self, method: str, kwargs: dict[str, Any], call: Any) -> Any:
        try:
            return call(**kwargs)
        except SlackApiError as exc:
            error = slack_error(exc)
            self.say_once(method, str(kwargs.get("channel")), error)
            return {"ok": False, "error": error}

    def say_once(self, method: str, subject: str, error: str, doing: str = "") -> None:
        """A warning for a refusal. A setting's refusal (a scope, a channel the bot is not in)
        is repeated at most once an hour, with how many were not said; a passing one
        (``ratelimited``, a Slack outage) is said each time: a message may have been lost."""
        now = time.monotonic()
        code = error.split(" ")[0]
        key = (method, subject, error)
        with self._cache_lock:
            said, quiet = self._said.get(key, (float("-inf"), 0))
            again = code not in SETTINGS_ERRORS or now - said >= SAY_AGAIN
            self._said[key] = (now, 0) if again else (said, quiet + 1)
            while len(self._said) > SAID_KEPT:
                self._said.pop(next(iter(self._said)))
        hint = HINTS.get(code, "")
        line = f"Slack refused {method} for {subject}: {error}"
        line += "".join(f"; {part}" for part in (hint, doing) if part)
        if again and quiet:
            line += f" ({quiet} more since this was last said)"
        log.log(logging.WARNING if again else logging.DEBUG, line)

    def _cached(self, kind: str, key: str, fetch: Any) -> Any:
        with self._cache_lock:
            hit = self._cache.get((kind, key))
            turn = self._fetching.setdefault((kind, key), threading.Lock())
        if hit is not None and time.monotonic() < hit[0]:
            return hit[1]
        with turn:  # one look-up per key at a time: the others take its answer
            with self._cache_lock:
                hit = self._cache.get((kind, key))
            now = time.monotonic()
            if hit is not None and now < hit[0]:
                return hit[1]
            try:
                answer, until = fetch(), now + self.ttl
            except (SlackApiError, OSError) as exc:
                known = hit is not None
                doing = "going on with what it said before" if known else "going on with the id"
                error = slack_error(exc)
                self.say_once(LOOKUPS[kind], key, error, doing)
                # kept a short while: an outage or a 429 storm is not made worse per event
                answer = (
                    hit[1]
                    if hit is not None
                    else _placeholder(kind, key, self.team_id, error.split(" ")[0])
                )
                until = now + min(self.ttl, REFUSED_LOOKUP_KEPT)
            with self._cache_lock:
                self._cache[(kind, key)] = (until, answer)
            return answer
