"""Slack's payloads about forms as the services' form records: a global or message shortcut,
the ``/support`` slash command, a view submitted or closed, and an action inside a view
(typing in an input that dispatches, a button). Payloads of other kinds are not forms (None);
a form payload missing who or which view raises :class:`Ignored`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from watchstander.inbound import Ignored
from watchstander.services.forms import (
    SUPPORT_COMMAND,
    FormClose,
    FormEvent,
    FormInput,
    FormOpen,
    FormSubmit,
)
from watchstander.services.inbound import MAX_TEXT

MAX_ID = 255  # Slack's limit for a callback id, an action id and a block id
MAX_METADATA = 3000  # a view's private_metadata

_USER = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_GROUP = re.compile(r"<!subteam\^[A-Za-z0-9]+(?:\|@?([^>]*))?>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def form_event(kind: str, payload: Mapping[str, Any]) -> FormEvent | None:
    """The form record of an ``interactive`` or ``slash_commands`` envelope's payload; None
    when it is no form's (a button on a message, another slash command)."""
    if kind == "slash_commands":
        return _command(payload) if payload.get("command") == SUPPORT_COMMAND else None
    kind = str(payload.get("type") or "")
    forms = ("shortcut", "message_action", "view_submission", "view_closed", "block_actions")
    if kind == "block_actions" and _mapping(payload, "container").get("type") != "view":
        return None
    if kind not in forms:
        return None
    user = _text(_mapping(payload, "user").get("id"))
    if not user:
        raise Ignored(f"{kind} without a user")
    if kind in ("shortcut", "message_action"):
        return _opened(kind, payload, user)
    view = _mapping(payload, "view")
    view_id = _text(view.get("id")) or _text(_mapping(payload, "container").get("view_id"))
    if not view_id:
        raise Ignored(f"{kind} without a view")
    form = _text(view.get("callback_id"))[:MAX_ID]
    if kind == "view_closed":
        return FormClose(user, view_id, form)
    values = state_values(view)
    metadata = _text(view.get("private_metadata"))[:MAX_METADATA]
    if kind == "view_submission":
        return FormSubmit(user, view_id, form, values, metadata)
    actions = payload.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    if not isinstance(first, Mapping) or not _text(first.get("action_id")):
        raise Ignored("block_actions in a view without an action")
    return FormInput(
        user,
        view_id,
        form,
        _text(first.get("action_id"))[:MAX_ID],
        _value(first),
        values,
        metadata,
    )


def state_values(view: Mapping[str, Any]) -> dict[str, str]:
    """A view's inputs as {action id: value}: a text as typed, an option by its value."""
    out: dict[str, str] = {}
    blocks = _mapping(_mapping(view, "state"), "values")
    for block in blocks.values():
        if not isinstance(block, Mapping):
            continue
        for action_id, element in block.items():
            if isinstance(element, Mapping):
                out[str(action_id)[:MAX_ID]] = _value(element)
    return out


def plain_from_slack(text: str) -> str:
    """A Slack message's text as people read it: mentions and links as their names, the
    three escaped characters as themselves (the voice quotes it again where it is shown)."""
    text = _USER.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _GROUP.sub(lambda m: "@" + (m.group(1) or "group").lstrip("@"), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _opened(kind: str, payload: Mapping[str, Any], user: str) -> FormOpen:
    callback = _text(payload.get("callback_id"))[:MAX_ID]
    if kind == "shortcut":
        return FormOpen(user, callback)
    message = _mapping(payload, "message")
    channel = _text(_mapping(payload, "channel").get("id"))
    ts = _text(message.get("ts")) or _text(payload.get("message_ts"))
    text = plain_from_slack(_text(message.get("text"))[:MAX_TEXT])
    return FormOpen(user, callback, channel or None, about_ts=ts, about_text=text)


def _command(payload: Mapping[str, Any]) -> FormOpen:
    user, channel = _text(payload.get("user_id")), _text(payload.get("channel_id"))
    if not user:
        raise Ignored("slash command without a user")
    text = plain_from_slack(_text(payload.get("text"))[:MAX_TEXT])
    return FormOpen(user, SUPPORT_COMMAND, channel or None, summary=text)


def _value(element: Mapping[str, Any]) -> str:
    option = element.get("selected_option")
    value = option.get("value") if isinstance(option, Mapping) else element.get("value")
    return _text(value)[:MAX_TEXT]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    found = payload.get(key)
    return found if isinstance(found, Mapping) else {}
