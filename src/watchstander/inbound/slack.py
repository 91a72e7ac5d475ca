"""Slack's events as the services' inbound records.

Slack's raw event (``msg.extras["slack_event"]``) is the source of truth: it keeps user-group
ids that the backend strips from the message body, and it carries ``thread_ts``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from watchstander.inbound import Ignored
from watchstander.services.controls import Action
from watchstander.services.inbound import MAX_TEXT, InboundMessage, InboundReaction

_IGNORED_SUBTYPES = {
    "message_deleted",
    "channel_join",
    "channel_leave",
    "channel_topic",
    "channel_purpose",
    "channel_name",
    "message_replied",
    "bot_message",
    "group_join",
    "group_leave",
    "pinned_item",
    "reminder_add",
}


def message_from_slack(event: Mapping[str, Any], bot_user_id: str | None) -> InboundMessage:
    """A Slack ``message`` event (plain, reply or ``message_changed``) -> InboundMessage."""
    subtype = event.get("subtype")
    channel = str(event.get("channel") or "")
    if not channel:
        raise Ignored("no channel")
    if subtype in _IGNORED_SUBTYPES:
        raise Ignored(f"subtype {subtype}")
    if subtype == "message_changed":
        inner = event.get("message") or {}
        previous = event.get("previous_message") or {}
        edited = (inner.get("edited") or {}).get("ts")
        if not edited or inner.get("text", "") == previous.get("text", ""):
            raise Ignored("message_changed without a real edit (an unfurl)")
        user = inner.get("user")
        bot = bool(inner.get("bot_id")) or (bot_user_id is not None and user == bot_user_id)
        return InboundMessage(
            channel=channel,
            ts=str(inner.get("ts") or ""),
            thread_ts=_thread_ts(inner),
            user=user,
            text=str(inner.get("text") or "")[:MAX_TEXT],
            edited_ts=str(edited),
            from_bot=bot,
        )
    user = event.get("user")
    bot = bool(event.get("bot_id")) or (bot_user_id is not None and user == bot_user_id)
    ts = str(event.get("ts") or "")
    if not ts:
        raise Ignored("no ts")
    return InboundMessage(
        channel=channel,
        ts=ts,
        thread_ts=_thread_ts(event),
        user=user,
        text=str(event.get("text") or "")[:MAX_TEXT],
        from_bot=bot,
    )


def reaction_from_slack(
    item: Mapping[str, Any], user: str, name: str, added: bool, event_ts: str
) -> InboundReaction:
    if item.get("type", "message") != "message" or not item.get("ts") or not item.get("channel"):
        raise Ignored("reaction on something that is not a channel message")
    return InboundReaction(
        channel=str(item["channel"]),
        item_ts=str(item["ts"]),
        user=user,
        name=name,
        added=added,
        event_ts=str(event_ts),
    )


def _thread_ts(message: Mapping[str, Any]) -> str | None:
    thread_ts = message.get("thread_ts")
    if thread_ts and thread_ts != message.get("ts"):
        return str(thread_ts)
    return None


MAX_ID = 255  # Slack's limit for an action_id (and a block_id)
MAX_VALUE = 2000  # a button's value holds up to 2,000 characters


def action_from_slack(payload: Mapping[str, Any]) -> Action:
    """An ``interactive`` envelope's ``block_actions`` payload (a button pressed, an option
    chosen on a message) -> Action. Anything else, or a payload missing who, where or what,
    raises :class:`Ignored`."""
    if payload.get("type") != "block_actions":
        raise Ignored(f"interactive payload of type {str(payload.get('type'))[:40]}")
    user = _mapping(payload, "user").get("id")
    container = _mapping(payload, "container")
    message = _mapping(payload, "message")
    channel = _mapping(payload, "channel").get("id") or container.get("channel_id")
    message_ts = container.get("message_ts") or message.get("ts")
    actions = payload.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    if not isinstance(first, Mapping):
        raise Ignored("block_actions without an action")
    option = first.get("selected_option")
    value = (option.get("value") if isinstance(option, Mapping) else None) or first.get("value")
    action_id, action_ts = first.get("action_id"), first.get("action_ts")
    for name, field in (("user", user), ("channel", channel), ("message ts", message_ts)):
        if not isinstance(field, str) or not field:
            raise Ignored(f"block_actions without a {name}")
    for name, field in (("action id", action_id), ("action ts", action_ts)):
        if not isinstance(field, str) or not field:
            raise Ignored(f"block_actions without an {name}")
    thread = message.get("thread_ts") or container.get("thread_ts")
    return Action(
        user=str(user),
        channel=str(channel),
        message_ts=str(message_ts),
        thread_ts=str(thread) if isinstance(thread, str) and thread != message_ts else None,
        action_id=str(action_id)[:MAX_ID],
        value=str(value)[:MAX_VALUE] if isinstance(value, str) else "",
        ts=str(action_ts),
    )


def command_from_slack(payload: Mapping[str, Any], envelope_id: str) -> Action:
    """A ``slash_commands`` envelope's payload -> Action: the command (``/watchstander``) as
    its id, the words after it as its value, the envelope as its key (a slash command has
    no ts of its own)."""
    command, user, channel = (payload.get(k) for k in ("command", "user_id", "channel_id"))
    for name, field in (("command", command), ("user", user), ("channel", channel)):
        if not isinstance(field, str) or not field:
            raise Ignored(f"slash command without a {name}")
    text = payload.get("text")
    return Action(
        user=str(user),
        channel=str(channel),
        message_ts="",
        thread_ts=None,
        action_id=str(command)[:MAX_ID],
        value=str(text)[:MAX_TEXT] if isinstance(text, str) else "",
        ts=envelope_id,
    )


_PERSON = re.compile(r"[UW][A-Z0-9]{2,30}")


def home_from_slack(event: Mapping[str, Any]) -> str:
    """An ``app_home_opened`` event -> the person who opened the bot's Home tab (the
    Messages tab, or an event without a person, is Ignored)."""
    tab = str(event.get("tab") or "")
    if tab != "home":
        raise Ignored(f"the {tab[:20] or 'unnamed'} tab")
    user = str(event.get("user") or "")
    if not _PERSON.fullmatch(user):
        raise Ignored("no person's id" if not user else f"not a person's id: {user[:30]!r}")
    return user


def _mapping(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    found = payload.get(key)
    return found if isinstance(found, Mapping) else {}
