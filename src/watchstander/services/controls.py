"""The controls the bot puts on its messages (buttons, a menu) and what a person does with
one: a platform-neutral :class:`Action` record. Each platform draws the controls its own way
and translates its payloads into actions (:mod:`watchstander.inbound`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

CLAIM = "ws_claim"
RESOLVE = "ws_resolve"
CHECKIN = "ws_checkin"
ANSWERED = "ws_answered"  # "This answered it", under the earlier threads suggested for a question
_TS = re.compile(r"\d{1,12}\.\d{1,9}")
CHECKIN_CHOICES = (("15m", "15 min"), ("30m", "30 min"), ("1h", "1 h"), ("2h", "2 h"))


@dataclass(frozen=True)
class Action:
    """A control used: who, on which message (its channel, ts and thread), which control and
    the value chosen; ``ts`` is the moment of the press as the platform stamps it, the same
    on every redelivery (so it keys the press, once)."""

    user: str
    channel: str
    message_ts: str
    thread_ts: str | None
    action_id: str
    value: str
    ts: str

    @property
    def root_ts(self) -> str:
        return self.thread_ts or self.message_ts


@dataclass(frozen=True)
class Button:
    action_id: str
    label: str
    value: str = ""
    style: str = ""  # "primary", "danger" or "" (the platform's default)


@dataclass(frozen=True)
class Menu:
    action_id: str
    placeholder: str
    options: tuple[tuple[str, str], ...]  # (value, label)


Control = Button | Menu
# On the bot's first reply in an urgent or emergency thread
THREAD_CONTROLS: tuple[Control, ...] = (
    Button(CLAIM, "Claim", "claim", "primary"),
    Button(RESOLVE, "Resolve", "resolve"),
    Menu(CHECKIN, "Next check-in", CHECKIN_CHOICES),
)


def answered_button(root_ts: str, answer_thread_id: int) -> Button:
    """ "This answered it" for the question posted at ``root_ts``: the value names the question
    and the best-ranked earlier thread, since an ephemeral message says nothing of its thread."""
    return Button(ANSWERED, "This answered it", f"{root_ts} {answer_thread_id}", "primary")


def answered_value(value: str) -> tuple[str, int] | None:
    """(the question's root ts, the earlier thread's id) from the button's value; None when
    the value is not one the bot wrote."""
    root_ts, _, answer = value.partition(" ")
    if not _TS.fullmatch(root_ts) or not answer.isdigit() or len(answer) > 18:
        return None
    return root_ts, int(answer)
