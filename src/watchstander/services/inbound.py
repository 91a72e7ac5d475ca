"""What the services accept from a chat platform: plain, typed inbound records (a message, a
reaction), whatever platform they came from. Each platform's translation is in
:mod:`watchstander.inbound`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from watchstander.domain.levels import Level
from watchstander.domain.thread import ts_decimal

MAX_TEXT = 40_000  # longer texts are cut here (Slack's own limit for a message)


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    ts: str
    thread_ts: str | None
    user: str | None
    text: str
    edited_ts: str | None = None
    from_bot: bool = False
    level: Level | None = None  # chosen, not read from the text's tags (a form's question)

    @property
    def root_ts(self) -> str:
        return self.thread_ts or self.ts

    @property
    def is_edit(self) -> bool:
        return self.edited_ts is not None

    @property
    def key(self) -> str:
        if self.edited_ts:
            return f"edit:{self.channel}:{self.ts}:{self.edited_ts}"
        return f"msg:{self.channel}:{self.ts}"


@dataclass(frozen=True)
class InboundReaction:
    channel: str
    item_ts: str
    user: str
    name: str
    added: bool
    event_ts: str

    @property
    def key(self) -> str:
        verb = "add" if self.added else "remove"
        return f"react:{verb}:{self.channel}:{self.item_ts}:{self.user}:{self.name}:{self.event_ts}"


def ts_to_datetime(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts_decimal(ts)), UTC)


def datetime_to_ts(at: datetime) -> str:
    return f"{at.timestamp():.6f}"
