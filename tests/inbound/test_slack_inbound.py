"""Slack's raw events as the services' inbound records: posts, replies, real edits (not link
unfurls), the bot's own messages, subtypes the triage has nothing to do with, and texts cut at
Slack's own limit."""

from __future__ import annotations

from typing import Any

import pytest

from watchstander.inbound import Ignored
from watchstander.inbound.slack import message_from_slack, reaction_from_slack
from watchstander.services.inbound import MAX_TEXT, InboundMessage, InboundReaction

SUPPORT, CAROL, DAVE, BOT = "C0SUPPORT", "U0CAROL", "U0DAVE", "UBOT0001"
ROOT, REPLY, EDITED = "1795510800.000100", "1795510860.000200", "1795510920.000300"
CHANGED = "1795510921.000400"  # the message_changed event's own ts: not the edit's


def posted(**more: Any) -> dict[str, Any]:
    """A ``message`` event as Slack sends it for a person's post."""
    return {"type": "message", "channel": SUPPORT, "user": CAROL, "ts": ROOT, "text": "help"} | more


def changed(text: str, previous: str, *, edited: bool = True, **inner: Any) -> dict[str, Any]:
    """A ``message_changed`` event: the message now, and as it was."""
    message: dict[str, Any] = {"type": "message", "user": CAROL, "ts": ROOT, "text": text}
    if edited:
        message["edited"] = {"user": CAROL, "ts": EDITED}
    message |= inner
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": SUPPORT,
        "hidden": True,
        "ts": CHANGED,
        "message": message,
        "previous_message": {"type": "message", "user": CAROL, "ts": ROOT, "text": previous},
    }


def test_a_post_in_the_channel() -> None:
    msg = message_from_slack(posted(text="where is the export?"), BOT)
    assert msg == InboundMessage(SUPPORT, ROOT, None, CAROL, "where is the export?")
    assert (msg.root_ts, msg.is_edit, msg.key) == (ROOT, False, f"msg:{SUPPORT}:{ROOT}")


def test_a_reply_names_its_root_and_a_root_with_replies_is_no_reply() -> None:
    reply = message_from_slack(posted(user=DAVE, ts=REPLY, thread_ts=ROOT, text="on it"), BOT)
    assert (reply.ts, reply.thread_ts, reply.root_ts, reply.user) == (REPLY, ROOT, ROOT, DAVE)
    root = message_from_slack(posted(thread_ts=ROOT), BOT)  # a root carries its own ts
    assert (root.thread_ts, root.root_ts) == (None, ROOT)


@pytest.mark.parametrize(
    "subtype",
    [
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
    ],
)
def test_subtypes_the_triage_has_nothing_to_do_with_are_ignored(subtype: str) -> None:
    with pytest.raises(Ignored, match=f"^subtype {subtype}$"):
        message_from_slack(posted(subtype=subtype), BOT)


def test_a_file_shared_with_words_is_a_post() -> None:
    msg = message_from_slack(posted(subtype="file_share", text="screenshot of the error"), BOT)
    assert (msg.ts, msg.text) == (ROOT, "screenshot of the error")


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (posted(channel=""), "no channel"),
        ({"type": "message", "user": CAROL, "ts": ROOT, "text": "x"}, "no channel"),
        (posted(ts=""), "no ts"),
        ({"type": "message", "channel": SUPPORT, "user": CAROL, "text": "x"}, "no ts"),
    ],
)
def test_an_event_without_a_channel_or_a_ts_is_ignored(event: dict[str, Any], reason: str) -> None:
    with pytest.raises(Ignored, match=f"^{reason}$"):
        message_from_slack(event, BOT)


def test_a_real_edit_is_the_message_as_it_reads_now() -> None:
    edit = message_from_slack(changed("numbers look odd @oncall", "numbers look odd"), BOT)
    assert edit == InboundMessage(
        SUPPORT, ROOT, None, CAROL, "numbers look odd @oncall", edited_ts=EDITED
    )
    assert edit.is_edit
    assert edit.key == f"edit:{SUPPORT}:{ROOT}:{EDITED}"


def test_an_edited_reply_keeps_its_thread() -> None:
    edit = message_from_slack(changed("on it now", "on it", ts=REPLY, thread_ts=ROOT), BOT)
    assert (edit.ts, edit.thread_ts, edit.edited_ts, edit.text) == (
        REPLY,
        ROOT,
        EDITED,
        "on it now",
    )


def test_a_link_unfurl_is_not_an_edit() -> None:
    preview = [{"from_url": "https://status.example.com/", "title": "Status"}]
    text = "down? https://status.example.com/"
    with pytest.raises(Ignored, match="unfurl"):  # attachments added, no ``edited``
        message_from_slack(changed(text, text, edited=False, attachments=preview), BOT)
    with pytest.raises(Ignored, match="unfurl"):  # ``edited`` but the same words
        message_from_slack(changed(text, text, attachments=preview), BOT)
    with pytest.raises(Ignored, match="unfurl"):  # new words, but no person edited them
        message_from_slack(changed("down? Status", text, edited=False, attachments=preview), BOT)


def test_the_bots_own_messages_are_marked() -> None:
    assert message_from_slack(posted(user=BOT, bot_id="B0BOT"), BOT).from_bot
    assert message_from_slack(posted(user=BOT), BOT).from_bot  # its user id, no bot_id
    assert message_from_slack(posted(user="UOTHERAPP", bot_id="B0OTHER"), BOT).from_bot
    assert not message_from_slack(posted(user=BOT), None).from_bot  # its id not known yet
    assert not message_from_slack(posted(), BOT).from_bot
    assert message_from_slack(changed("new", "old", user=BOT), BOT).from_bot
    assert message_from_slack(changed("new", "old", bot_id="B0BOT"), BOT).from_bot
    assert not message_from_slack(changed("new", "old"), BOT).from_bot


def test_a_huge_text_is_cut_at_slacks_limit_and_a_missing_one_is_empty() -> None:
    huge = "ʕ•ᴥ•ʔ" * (MAX_TEXT // 5) + "x" * 100
    assert message_from_slack(posted(text=huge), BOT).text == huge[:MAX_TEXT]
    assert len(message_from_slack(posted(text=huge), BOT).text) == MAX_TEXT
    assert message_from_slack(changed(huge, "short"), BOT).text == huge[:MAX_TEXT]
    exact = "y" * MAX_TEXT
    assert message_from_slack(posted(text=exact), BOT).text == exact
    assert message_from_slack(posted(text=None), BOT).text == ""
    no_text = posted()
    del no_text["text"]
    assert message_from_slack(no_text, BOT).text == ""


def test_a_reaction_on_a_message() -> None:
    item = {"type": "message", "channel": SUPPORT, "ts": ROOT}
    added = reaction_from_slack(item, DAVE, "eyes", True, REPLY)
    assert added == InboundReaction(SUPPORT, ROOT, DAVE, "eyes", True, REPLY)
    assert added.key == f"react:add:{SUPPORT}:{ROOT}:{DAVE}:eyes:{REPLY}"
    removed = reaction_from_slack({"channel": SUPPORT, "ts": ROOT}, DAVE, "eyes", False, EDITED)
    assert removed == InboundReaction(SUPPORT, ROOT, DAVE, "eyes", False, EDITED)
    assert removed.key == f"react:remove:{SUPPORT}:{ROOT}:{DAVE}:eyes:{EDITED}"


@pytest.mark.parametrize(
    "item",
    [
        {"type": "file", "file": "F0FILE"},
        {"type": "file_comment", "channel": SUPPORT, "ts": ROOT},
        {"type": "message", "channel": SUPPORT},
        {"type": "message", "ts": ROOT},
    ],
)
def test_a_reaction_on_anything_but_a_channel_message_is_ignored(item: dict[str, Any]) -> None:
    with pytest.raises(Ignored, match="not a channel message"):
        reaction_from_slack(item, DAVE, "eyes", True, REPLY)
