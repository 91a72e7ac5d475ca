"""Forms people fill in (the Ask for help form), as platform-neutral records: what a person
did with a form (:data:`FormEvent`), and the service's answer (:class:`FormAnswer`: a view to
open or to show instead, errors by field, work to do once the platform has its answer). Each
platform draws the views and translates its payloads (:mod:`watchstander.inbound`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from watchstander.domain.help_form import LevelChoice
from watchstander.services.answers import Suggestion

# Where the form is opened from (the platform's ids for them), and the form's own ids
ASK = "ws_ask"  # a global shortcut: "Ask for help"
ASK_ABOUT = "ws_ask_about"  # a message shortcut: "Ask #support about this"
SUPPORT_COMMAND = "/support"  # a slash command; its words prefill the summary
HELP_VIEW = "ws_help"  # the form
DONE_VIEW = "ws_help_done"  # what the form shows once a suggestion answered it
ANSWERS = "ws_help_answers"  # "This answers it", on a suggestion
OPENERS = (ASK, ASK_ABOUT, SUPPORT_COMMAND)


@dataclass(frozen=True)
class FormOpen:
    """A person asks to open a form: ``opener`` is one of :data:`OPENERS` (or another id,
    which no service takes), in ``channel`` if any; ``summary`` prefilled; ``about_ts`` and
    ``about_text``: the message of ``channel`` it is about (its text made plain)."""

    user: str
    opener: str
    channel: str | None = None
    summary: str = ""
    about_ts: str = ""
    about_text: str = ""


@dataclass(frozen=True)
class FormInput:
    """Something done inside an open form: typing in a field that reports each change, or a
    button pressed. ``values``: every field's value now (field -> text)."""

    user: str
    view_id: str
    form: str  # the form's id (HELP_VIEW)
    action_id: str
    value: str
    values: Mapping[str, str]
    metadata: str


@dataclass(frozen=True)
class FormSubmit:
    user: str
    view_id: str
    form: str
    values: Mapping[str, str]
    metadata: str


@dataclass(frozen=True)
class FormClose:
    user: str
    view_id: str
    form: str


FormEvent = FormOpen | FormInput | FormSubmit | FormClose


@dataclass(frozen=True)
class About:
    """The message a question is about: its address and its text (plain, as the person wrote)."""

    link: str
    text: str


@dataclass(frozen=True)
class HelpFormView:
    """The Ask for help form: the levels in the guide's words, the summary to prefill, the
    message it is about, the earlier threads that look like it (``looked``: whether a summary
    was looked up at all; ``looking``: they are being looked up, the form is shown first),
    and what the form keeps for its submission (``metadata``)."""

    levels: tuple[LevelChoice, ...]
    summary: str = ""
    about: About | None = None
    suggestions: tuple[Suggestion, ...] = ()
    looked: bool = False
    metadata: str = ""
    looking: bool = False


@dataclass(frozen=True)
class DoneView:
    """The form once an earlier thread answered it: nothing was posted."""

    link: str


FormView = HelpFormView | DoneView


@dataclass(frozen=True)
class FormAnswer:
    """A service's answer to a form event: ``open`` this view (for a :class:`FormOpen`), show
    ``update`` instead of the form, or refuse a submission with ``errors`` (field -> line);
    none of these for a submission: it is taken and the form closes. ``then``: work done
    after the platform has the answer (posting a question may take longer than a form waits).
    ``fill``: for an ``open``, the slow part of the form, done once it is shown (a trigger to
    open a form lasts 3 s on Slack): its view replaces the one opened, unless the person
    changed that meanwhile (their newer answer wins)."""

    open: FormView | None = None
    update: FormView | None = None
    errors: Mapping[str, str] = field(default_factory=dict)
    then: Callable[[], None] | None = None
    fill: Callable[[], FormView | None] | None = None


def answer_value(suggestion: Suggestion) -> str:
    """What "This answers it" on ``suggestion`` carries: its thread's channel and root."""
    return f"{suggestion.channel} {suggestion.root_ts}"


def read_answer_value(value: str) -> tuple[str, str]:
    channel, _, root_ts = value.partition(" ")
    return channel, root_ts
