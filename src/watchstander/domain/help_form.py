"""The Ask for help form's rules: its fields and their limits, the levels in the team guide's
own words (seed 004: when each fits, and when an emergency does not), what a submitted form
must hold, and the words of a question as the thread keeps them. Pure: no I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from watchstander.domain.levels import Level
from watchstander.domain.markup import escape

SUMMARY, URL, EXPECTED, HAPPENED, LEVEL = "summary", "url", "expected", "happened", "level"
FIELDS = (SUMMARY, URL, EXPECTED, HAPPENED, LEVEL)
LIMITS = {SUMMARY: 150, URL: 1000, EXPECTED: 1000, HAPPENED: 1000}
ABOUT_LIMIT = 500  # characters of a message the question is about, quoted with it
QUESTION_LIMIT = 3800  # characters the posted question may take (one chat message)

_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")  # direction overrides: they reorder a post
_URL = re.compile(r"https?://[^\s/?#.]+(?:\.[^\s/?#.]+)*(?::\d{1,5})?(?:[/?#]\S*)?", re.I)


@dataclass(frozen=True)
class LevelChoice:
    """A level as the form offers it: its value, name, a line (at most 75 characters, what
    a choice may show), when it fits and when it does not (the guide's words)."""

    value: str
    level: Level
    name: str
    line: str
    fits: tuple[str, ...]
    not_for: tuple[str, ...] = ()


def level_choices(
    oncall_handle: str, emergency_handle: str, *, paging: bool = True
) -> tuple[LevelChoice, ...]:
    """The three levels, with the team's handles (``oncall``, ``devs``) in their lines, and
    what an emergency does here (tags a handle if one is set; pages if paging is on)."""
    tags = f"Tags @{emergency_handle}" if emergency_handle else ""
    does = " and ".join(filter(None, (tags, "pages" if paging else "")))
    does = does[:1].upper() + does[1:]
    emergency = f"{does}: a developer stops to fix it." if does else "A developer stops to fix it."
    return (
        LevelChoice(
            "question",
            Level.GENERAL,
            "Question",
            "No tag: someone will answer and find the right person.",
            (
                "Non-emergencies or general questions. Curiosities and oddities welcome.",
                "Where can I find information about XYZ in our app?",
                "Things that look weird in the app, suspected bugs that don't require "
                "immediate action.",
            ),
        ),
        LevelChoice(
            "urgent",
            Level.URGENT,
            "Urgent",
            shortened(f"Tags @{oncall_handle}: an answer is needed ASAP for a client or user.", 75),
            (
                "An urgent matter that needs an answer or solution ASAP due to a client "
                "request or user issue. Timebound questions welcome.",
                "A user is seeing data in a report that looks incorrect and doesn't tie out "
                "to a query using the same data.",
                "Suspected bugs that inhibit a team member or the user from accomplishing "
                "the intended goal.",
            ),
        ),
        LevelChoice(
            "emergency",
            Level.EMERGENCY,
            "Emergency",
            shortened(emergency, 75),
            (
                "The app is down.",
                "A confirmed bug prevents people from doing their jobs (wrong data, bad "
                "links, etc). URLs and steps to reproduce the bug will be necessary.",
            ),
            (
                "“Can you help me understand these numbers/report/etc?”",
                "“Why does it work this way?”",
            ),
        ),
    )


LEVEL_VALUES = {"question": Level.GENERAL, "urgent": Level.URGENT, "emergency": Level.EMERGENCY}


@dataclass(frozen=True)
class HelpRequest:
    """A form that holds what it must: the person's words, cleaned, and the level chosen."""

    summary: str
    url: str
    expected: str
    happened: str
    level: Level

    def thread_text(self, about: str = "") -> str:
        """The question's words as the thread keeps them (what a search of earlier threads
        and a title read): the person's words only, a line each, as a chat platform gives a
        post's text (``<``, ``>`` and ``&`` escaped), with no tag of ours."""
        parts = (self.summary, self.url, self.expected, self.happened, about)
        return escape("\n".join(part for part in parts if part))


class FormInvalid(ValueError):
    """What is wrong with a submitted form, field by field (field -> one line)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


def clean(text: str, *, one_line: bool = False) -> str:
    """A person's words without direction overrides, trimmed (and on one line)."""
    text = _BIDI.sub("", text or "")
    if one_line:
        return " ".join(text.split())
    return "\n".join(line.rstrip() for line in text.strip().splitlines()).strip()


def blank(text: str) -> bool:
    """True when nothing visible is left (spaces, zero-width and other format characters)."""
    return all(ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc") for ch in text)


def looks_like_url(text: str) -> bool:
    return _URL.fullmatch(text) is not None


def parse_request(values: Mapping[str, str]) -> HelpRequest:
    """The request a submitted form makes, or :class:`FormInvalid` saying each field's fault."""
    summary = clean(values.get(SUMMARY) or "", one_line=True)
    url = clean(values.get(URL) or "", one_line=True)
    expected = clean(values.get(EXPECTED) or "")
    happened = clean(values.get(HAPPENED) or "")
    chosen = (values.get(LEVEL) or "").strip()
    errors: dict[str, str] = {}
    if blank(summary):
        errors[SUMMARY] = "Say in a few words what is wrong."
    for name, text in ((SUMMARY, summary), (URL, url), (EXPECTED, expected), (HAPPENED, happened)):
        if len(text) > LIMITS[name] and name not in errors:
            errors[name] = f"Keep this to {LIMITS[name]} characters (it has {len(text)})."
    if url and URL not in errors and not looks_like_url(url):
        errors[URL] = "That does not look like a link: paste the address, starting with https://"
    level = LEVEL_VALUES.get(chosen)
    if level is None:
        errors[LEVEL] = "Choose a level: question, urgent or emergency."
    elif level is Level.EMERGENCY and blank(happened) and HAPPENED not in errors:
        errors[HAPPENED] = (
            "For an emergency, say what happened (steps to reproduce it help the developer)."
        )
    if errors:
        raise FormInvalid(errors)
    assert level is not None
    expected, happened = ("" if blank(t) else t for t in (expected, happened))
    return HelpRequest(summary, url, expected, happened, level)


def shortened(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with "…" when it was longer."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"
