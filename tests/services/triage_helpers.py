"""A triage service on a real store, with a recording emitter and timers, and event makers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from watchstander.services.commands import ThreadCommands
from watchstander.services.effects import Effect
from watchstander.services.inbound import InboundMessage, InboundReaction, datetime_to_ts
from watchstander.services.oncall import OnCall
from watchstander.services.triage import TriageService
from watchstander.settings import Settings
from watchstander.store import Store

CHANNEL = "C0SUPPORT"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ONCALL = "U0ALICE"
SECONDARY = "U0BOB"


@dataclass
class Timers:
    due: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def set(self, channel: str, root_ts: str, at: datetime | None) -> None:
        if at is None:
            self.due.pop((channel, root_ts), None)
        else:
            self.due[(channel, root_ts)] = at


@dataclass
class Harness:
    service: TriageService
    said: list[Effect]
    timers: Timers
    commands: ThreadCommands

    def templates(self) -> list[str]:
        return [e.template for e in self.said]


def harness(store: Store, **env: str) -> Harness:
    said: list[Effect] = []

    def say(effect: Effect) -> None:
        said.append(effect)

    timers = Timers()
    settings = Settings.from_env({"ROTATION_ADMINS": f"{ONCALL},{SECONDARY}", **env})
    service = TriageService(
        store,
        settings,
        channel_id=CHANNEL,
        emit=say,
        oncall=lambda now: OnCall(ONCALL, SECONDARY),
        timers=timers,
        group_handles=lambda: {"S0ONCALL": "oncall", "S0DEVS": "devs"},
    )
    return Harness(service, said, timers, ThreadCommands(service))


def ts(minutes: float) -> str:
    return datetime_to_ts(T0 + timedelta(minutes=minutes))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def post(minutes: float, user: str, text: str) -> InboundMessage:
    return InboundMessage(CHANNEL, ts(minutes), None, user, text)


def reply(minutes: float, root: float, user: str, text: str) -> InboundMessage:
    return InboundMessage(CHANNEL, ts(minutes), ts(root), user, text)


def edit(
    minutes: float, of: float, user: str, text: str, root: float | None = None
) -> InboundMessage:
    thread = None if root is None else ts(root)
    return InboundMessage(CHANNEL, ts(of), thread, user, text, edited_ts=ts(minutes))


def react(minutes: float, on: float, user: str, name: str, added: bool = True) -> InboundReaction:
    return InboundReaction(CHANNEL, ts(on), user, name, added, ts(minutes))
