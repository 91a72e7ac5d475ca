"""The bot's controls as Slack Block Kit: the message's text in a ``section`` (the same text
stays the message's ``text``, Slack's fallback for notifications), then one ``actions``
block of buttons and a ``static_select``. Labels are the code's own words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from watchstander.services.controls import Button, Control, Menu

SECTION_LIMIT = 3000  # characters a section's text holds


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def element(control: Control) -> dict[str, Any]:
    if isinstance(control, Button):
        out: dict[str, Any] = {
            "type": "button",
            "action_id": control.action_id,
            "text": _plain(control.label),
            "value": control.value or control.action_id,
        }
        if control.style:
            out["style"] = control.style
        return out
    assert isinstance(control, Menu)
    return {
        "type": "static_select",
        "action_id": control.action_id,
        "placeholder": _plain(control.placeholder),
        "options": [{"text": _plain(label), "value": value} for value, label in control.options],
    }


def blocks(text: str, controls: Sequence[Control]) -> list[dict[str, Any]] | None:
    """The blocks of a message with ``controls`` (None when there are none): the text in a
    section, shortened to what a section holds (the message's ``text`` stays whole)."""
    if not controls:
        return None
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": section_text(text)}},
        {"type": "actions", "block_id": "ws_controls", "elements": [element(c) for c in controls]},
    ]


def section_text(text: str, limit: int = SECTION_LIMIT) -> str:
    """``text`` within ``limit`` characters: cut at a line's end, else a space, with "…". A
    cut never opens a mention: what is left of a ``<...>`` that lost its ``>`` is dropped."""
    if len(text) <= limit:
        return text
    room = limit - 1
    cut = text.rfind("\n", 0, room)
    if cut < room // 2:
        cut = text.rfind(" ", 0, room)
    kept = text[: cut if cut > 0 else room]
    opened = kept.rfind("<")
    if opened > kept.rfind(">"):
        kept = kept[:opened]
    return kept.rstrip() + "…"
