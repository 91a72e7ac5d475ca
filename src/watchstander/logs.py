"""Structured logs (``WATCHSTANDER_LOG_FORMAT=json``): one JSON object a line, with the
thread being handled, and never a secret.

The services say which thread they are handling with :func:`in_thread` (a context variable,
so each event's thread and the jobs' threads keep their own); :class:`JsonFormatter` adds it
to every line logged meanwhile, and masks the secrets it was given and anything shaped like a
token, in the message and in a traceback alike.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

_thread: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar(
    "watchstander_thread", default=None
)

# the settings that hold secrets: their values are masked wherever they appear
SECRET_SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "MATTERMOST_TOKEN",
    "PAGERDUTY_ROUTING_KEY",
    "PAGERDUTY_API_TOKEN",
    "PAGERDUTY_WEBHOOK_SECRET",
    "GITHUB_TOKEN",
    "GITHUB_WEBHOOK_SECRET",
    "ONCALL_ICAL_URL",  # a feed's address usually holds its secret token
)
# Slack's tokens (bot, user, app, refresh, config), GitHub's, a bearer token, a database URL's
# password: masked even when no setting names them
TOKEN_SHAPES = re.compile(
    r"\b(?:xox[abposre]|xapp|xoxe\.xox[bp])-[A-Za-z0-9-]{6,}"
    r"|\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"
    r"|(?:(?<=[Bb]earer )|(?<=[Tt]oken )|(?<=token=))[A-Za-z0-9._~+/-]{12,}=*"
    r"|(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"
)
MASK = "[secret]"
SHORTEST_SECRET = 6  # shorter values are not masked by value (they would mask common words)


@contextmanager
def in_thread(channel: str, thread_ts: str | None) -> Iterator[None]:
    """Every line logged inside says it is about this thread (``thread_ts``: its root)."""
    token = _thread.set((channel, thread_ts) if thread_ts else None)
    try:
        yield
    finally:
        _thread.reset(token)


def current_thread() -> tuple[str, str] | None:
    """(channel, root ts) of the thread being handled here, if any."""
    return _thread.get()


def secrets_from_env(env: Mapping[str, str]) -> list[str]:
    """The values of the secret settings that are set (long enough to mask safely)."""
    values = (env.get(name, "").strip() for name in SECRET_SETTINGS)
    return [value for value in values if len(value) >= SHORTEST_SECRET]


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time (UTC, ISO 8601), level, logger, message, the thread's
    ``channel`` and ``thread_ts`` when one is being handled, and ``exception`` (the traceback)
    when there is one; secrets masked everywhere."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        kept = sorted({s for s in secrets if len(s) >= SHORTEST_SECRET}, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, kept))) if kept else None

    def mask(self, text: str) -> str:
        if self._secrets is not None:
            text = self._secrets.sub(MASK, text)
        return TOKEN_SHAPES.sub(MASK, text)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.mask(record.getMessage()),
        }
        thread = _thread.get()
        if thread is not None:
            line["channel"], line["thread_ts"] = thread
        if record.exc_info:
            line["exception"] = self.mask(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = self.mask(record.exc_text)
        if record.stack_info:
            line["stack"] = self.mask(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False)
