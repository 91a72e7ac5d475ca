"""Slack's events as the services' inbound records.

Slack's raw event (``msg.extras["slack_event"]``) is the source of truth: it keeps user-group
ids that the backend strips from the message body, and it carries ``thread_ts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from watchstander.inbound import Ignored
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
