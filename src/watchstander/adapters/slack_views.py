"""The Ask for help form as a Slack modal (Block Kit), and what it shows once an earlier
thread answered it. Every value a person or the store gave is quoted by the one voice
(:class:`~watchstander.render.SlackVoice`) or sits in ``plain_text``, which Slack never
turns into a mention; every text keeps to Slack's limits for its place."""

from __future__ import annotations

from typing import Any

from watchstander.domain.help_form import (
    EXPECTED,
    HAPPENED,
    LEVEL,
    LIMITS,
    SUMMARY,
    URL,
    LevelChoice,
    shortened,
)
from watchstander.render.voice import SlackVoice
from watchstander.services.answers import Suggestion
from watchstander.services.forms import (
    ANSWERS,
    DONE_VIEW,
    HELP_VIEW,
    About,
    DoneView,
    FormAnswer,
    FormView,
    HelpFormView,
    answer_value,
)
from watchstander.services.inbound import ts_to_datetime

SECTION_LIMIT = 3000  # a section's text
CONTEXT_LIMIT = 2000  # a context element's text
SHORT_LIMIT = 75  # a button's or an option's text, an option's description
TITLE_LIMIT = 24  # a modal's title, submit and close
SUGGESTIONS_HEAD = "ws_suggestions"
LOOKING = "Looking for earlier threads that may answer it…"
_voice = SlackVoice()


def _plain(text: str, limit: int = SHORT_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": shortened(text, limit), "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def quoted_within(text: str, budget: int) -> str:
    """``text`` quoted, shortened first until its quoted form keeps to ``budget``."""
    out = _voice.quote(text)
    while len(out) > budget and text:
        text = shortened(text, len(text) // 2)
        out = _voice.quote(text)
    return out


def draw(view: FormView) -> dict[str, Any]:
    """The modal for ``view`` (``views.open``/``views.update``'s ``view``)."""
    if isinstance(view, DoneView):
        return done(view)
    return help_form(view)


def help_form(view: HelpFormView) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if view.about is not None:
        blocks.append(about_block(view.about))
    summary: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": SUMMARY,
        "max_length": LIMITS[SUMMARY],
        "placeholder": _plain("e.g. The revenue report does not tie out", 150),
        "dispatch_action_config": {"trigger_actions_on": ["on_character_entered"]},
    }
    if view.summary:
        summary["initial_value"] = view.summary[: LIMITS[SUMMARY]]
    blocks.append(
        {
            "type": "input",
            "block_id": SUMMARY,
            "dispatch_action": True,
            "label": _plain("What is wrong?"),
            "hint": _plain("A few words. Earlier threads that look like it show up below.", 2000),
            "element": summary,
        }
    )
    blocks += suggestion_blocks(view.suggestions, view.looked, view.looking)
    blocks.append(_text_input(URL, "The URL", "https://…", multiline=False))
    blocks.append(_text_input(EXPECTED, "What did you expect?", "What should have happened"))
    blocks.append(
        _text_input(
            HAPPENED,
            "What happened instead?",
            "What you saw; the steps to reproduce it",
            hint="Needed for an emergency: the steps to reproduce it help the developer.",
        )
    )
    blocks.append(level_block(view.levels))
    blocks.append(guide_block(view.levels))
    return {
        "type": "modal",
        "callback_id": HELP_VIEW,
        "title": _plain("Ask for help", TITLE_LIMIT),
        "submit": _plain("Post question", TITLE_LIMIT),
        "close": _plain("Cancel", TITLE_LIMIT),
        "notify_on_close": True,
        "private_metadata": view.metadata,
        "blocks": blocks,
    }


def about_block(about: About) -> dict[str, Any]:
    head = "*About " + (_voice.link(about.link, "this message") if about.link else "a message")
    head += "*"
    budget = SECTION_LIMIT - len(head) - 10
    body = quoted_within(about.text, budget).replace("\n", "\n>") if about.text else ""
    return {
        "type": "section",
        "block_id": "ws_about",
        "text": _mrkdwn(f"{head}\n>{body}" if body else head),
    }


def suggestion_blocks(
    found: tuple[Suggestion, ...], looked: bool, looking: bool = False
) -> list[dict[str, Any]]:
    """Up to three earlier resolved threads: a link, the line that resolved it, and
    "This answers it"; a line when a summary was looked up and nothing looks like it, or
    while they are being looked up."""
    if not found:
        if not looked and not looking:
            return []
        text = LOOKING if looking else "No earlier resolved thread looks like it yet."
        return [{"type": "context", "block_id": SUGGESTIONS_HEAD, "elements": [_mrkdwn(text)]}]
    head = "*These earlier threads may answer it:*"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": SUGGESTIONS_HEAD, "text": _mrkdwn(head)}
    ]
    for n, suggestion in enumerate(found[:3]):
        when = f"{ts_to_datetime(suggestion.root_ts):%d %b %Y}"
        link = _voice.link(suggestion.link, f"Thread of {when}")
        line = quoted_within(suggestion.line, SECTION_LIMIT - len(link) - 10)
        text = f"{link}\n{line}" if line else f"{link}\n_(resolved without a line to quote)_"
        blocks.append(
            {
                "type": "section",
                "block_id": f"ws_suggestion_{n}",
                "text": _mrkdwn(text),
                "accessory": {
                    "type": "button",
                    "action_id": ANSWERS,
                    "text": _plain("This answers it"),
                    "value": answer_value(suggestion)[:2000],
                },
            }
        )
    return blocks


def _text_input(
    name: str, label: str, placeholder: str, *, multiline: bool = True, hint: str = ""
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": name,
        "optional": True,
        "label": _plain(label),
        "element": {
            "type": "plain_text_input",
            "action_id": name,
            "multiline": multiline,
            "max_length": LIMITS[name],
            "placeholder": _plain(placeholder, 150),
        },
    }
    if hint:
        block["hint"] = _plain(hint, 2000)
    return block


def level_block(levels: tuple[LevelChoice, ...]) -> dict[str, Any]:
    options = [
        {"text": _plain(c.name), "value": c.value, "description": _plain(c.line)} for c in levels
    ]
    return {
        "type": "input",
        "block_id": LEVEL,
        "label": _plain("How urgent is it?"),
        "element": {"type": "radio_buttons", "action_id": LEVEL, "options": options},
    }


def guide_block(levels: tuple[LevelChoice, ...]) -> dict[str, Any]:
    """The team guide's words on when each level fits, and when it does not."""
    elements = []
    for choice in levels:
        text = f"*{_voice.quote(choice.name)}*: " + " ".join(_voice.quote(f) for f in choice.fits)
        if choice.not_for:
            text += " _Not for:_ " + " ".join(_voice.quote(n) for n in choice.not_for)
        elements.append(_mrkdwn(shortened(text, CONTEXT_LIMIT)))
    return {"type": "context", "block_id": "ws_guide", "elements": elements}


def done(view: DoneView) -> dict[str, Any]:
    text = "Glad an earlier thread answered it: nothing was posted in #support."
    if view.link:
        text += "\n" + _voice.link(view.link, "The thread that answered it")
    return {
        "type": "modal",
        "callback_id": DONE_VIEW,
        "title": _plain("Ask for help", TITLE_LIMIT),
        "close": _plain("Done", TITLE_LIMIT),
        "blocks": [{"type": "section", "block_id": "ws_done", "text": _mrkdwn(text)}],
    }


def ack_payload(answer: FormAnswer | None) -> dict[str, Any]:
    """A view submission's ack: errors by field (the form stays, nothing was done), the view
    to show instead, or nothing (the form closes)."""
    if answer is None:
        return {}
    if answer.errors:
        errors = {field: shortened(line, 150) for field, line in answer.errors.items()}
        return {"response_action": "errors", "errors": errors}
    if answer.update is not None:
        return {"response_action": "update", "view": draw(answer.update)}
    return {}
