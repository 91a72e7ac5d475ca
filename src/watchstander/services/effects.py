"""What services hand out and what they need from outside: effects (messages to say, as a
template and its data), refusals (a command not done, and why), and the ports the adapters
fill (chat, PagerDuty, timers). Services know no chat platform: the composition root wires a
platform's adapters to these ports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from watchstander.services.controls import Control


@dataclass(frozen=True)
class Effect:
    """Something to say: a template and its data, in a thread of a channel (``thread_ts`` None:
    in the channel itself), or to one person directly (``person``), or shown there to one
    person alone (``alone``); ``controls``: the buttons and menus to put on the message, where
    the platform has them."""

    template: str
    channel: str
    thread_ts: str | None
    data: Mapping[str, Any] = field(default_factory=dict)
    person: str | None = None
    controls: tuple[Control, ...] = ()
    alone: str | None = None

    @classmethod
    def direct(cls, template: str, person: str, data: Mapping[str, Any]) -> Effect:
        return cls(template, "", None, data, person=person)


@dataclass(frozen=True)
class Mention:
    """A person a refusal names on purpose (rendered as a mention, not quoted)."""

    user: str


class Note:
    """A short answer: ``text`` is the code's own words with ``{name}`` fields; ``values`` fill
    them and are quoted when shown (a :class:`Mention` becomes a mention)."""

    def __init__(self, text: str, /, **values: object) -> None:
        self.text = text
        self.values = values

    def __str__(self) -> str:
        return self.text.format_map({k: _plain(v) for k, v in self.values.items()})


class Refusal(ValueError):
    """A command that cannot be done, and why (a :class:`Note`'s text and values)."""

    def __init__(self, text: str, /, **values: object) -> None:
        self.note = Note(text, **values)
        super().__init__(str(self.note))


def _plain(value: object) -> str:
    return f"@{value.user}" if isinstance(value, Mention) else str(value)


class CommandError(Refusal):
    """A thread command that cannot be done."""


def nothing_after(command: str, args: str, where: str = "") -> None:
    """Refuse, in one line, words after a command that takes none: ``command`` as it is
    given (``!claim``), ``where`` it works (`` in a #support thread``), both the code's own."""
    words = (args or "").strip()
    if words:
        raise Refusal(
            f"`{command}` takes nothing after it: '{{words}}' is not part of it. "
            f"Try `{command}`{where}.",
            words=words[:30],
        )


@dataclass(frozen=True)
class CommandContext:
    """Who gave a command, where: the channel, the command's own ts, and the thread's root."""

    channel: str
    user: str
    ts: str
    thread_ts: str | None


class ChatError(Exception):
    """The chat platform did not take a message or a file; one line, no secret."""


@runtime_checkable
class ThreadReader(Protocol):
    """A chat platform that can read a thread back (the messages owed after a process died
    are looked for there first: a message posted just before it died is not posted again)."""

    def bot_said(self, channel: str, thread_ts: str, text: str, since: datetime) -> bool:
        """Whether the bot posted ``text`` (its first part) in the thread since ``since``;
        raises :class:`ChatError` when the platform does not say."""
        ...


class ChatPort(Protocol):
    """What the core needs of a chat platform to speak. Each raises :class:`ChatError`."""

    def post(
        self,
        channel: str,
        thread_ts: str | None,
        text: str,
        *,
        controls: Sequence[Control] = (),
    ) -> str | None:
        """Post ``text`` in a channel (or a thread of it), with ``controls`` where the platform
        has them (``text`` stays, as the fallback): the new message's ts."""
        ...

    def whisper(
        self,
        channel: str,
        thread_ts: str | None,
        person: str,
        text: str,
        *,
        controls: Sequence[Control] = (),
    ) -> None:
        """Show ``text`` to ``person`` alone, where they are (a channel, or a thread of it),
        with ``controls`` where the platform has them."""
        ...

    def update(self, channel: str, ts: str, text: str, *, controls: Sequence[Control] = ()) -> None:
        """Replace the text (and the controls: none removes them) of the bot's message ``ts``."""
        ...

    def direct(self, person: str, text: str) -> str | None:
        """Send ``text`` to one person directly."""
        ...

    def upload(
        self, channel: str, thread_ts: str | None, files: list[tuple[str, bytes, str]]
    ) -> int:
        """Upload (file name, content, title) files: how many the platform took."""
        ...


class PeoplePort(Protocol):
    """Who the chat platform knows."""

    def exists(self, user: str) -> bool:
        """False when the platform says there is no such person (or they were removed);
        True when it knows them, or cannot tell now (an outage must not stop a command)."""
        ...


class Speaker(Protocol):
    """Says an effect (renders its template, posts it): the new message's ts, if any."""

    def __call__(self, effect: Effect, /) -> str | None: ...


class CardPort(Protocol):
    """Shows an effect in place of the bot's message ``ts`` (its card); never raises."""

    def __call__(self, effect: Effect, ts: str, /) -> None: ...


class Timers(Protocol):
    def set(self, channel: str, root_ts: str, at: datetime | None) -> None: ...


class NoTimers:
    def set(self, channel: str, root_ts: str, at: datetime | None) -> None:
        return None


class PagerPort(Protocol):
    def trigger(
        self,
        dedup_key: str,
        summary: str,
        source: str,
        *,
        severity: str = ...,
        link: str | None = ...,
        details: Mapping[str, Any] | None = ...,
    ) -> None: ...

    def acknowledge(self, dedup_key: str) -> None: ...

    def resolve(self, dedup_key: str) -> None: ...
