"""The chat port on Slack against the local Slack server: text posted as rendered (no
mention linked by Slack, no unfurl), long texts in parts cut between lines, direct messages,
pictures into a thread by the channel's id, and every refusal one line with no token."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient

from watchstander.adapters.slack_blocks import SECTION_LIMIT, blocks
from watchstander.adapters.slack_chat import (
    PART,
    EmailDirectory,
    PeopleNames,
    SlackChat,
    parts,
)
from watchstander.adapters.slack_web import CachedWebClient, ChannelPacer
from watchstander.services.controls import ANSWERED, THREAD_CONTROLS, answered_button
from watchstander.services.effects import ChatError
from watchstander_sandbox.slack import LocalSlack

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
SUPPORT, POSTER = "C0SUPPORT", "U0CAROL"


def chat(slack: LocalSlack) -> SlackChat:
    web = WebClient(token=slack.bot_token, base_url=slack.api_url)
    return SlackChat(web, workspace_url="https://sandbox.slack.com/")


def test_a_post_goes_as_rendered_in_its_thread(slack: LocalSlack) -> None:
    root = slack.post(POSTER, SUPPORT, "help")
    ts = chat(slack).post(SUPPORT, root, "line one\n• line two")
    (call,) = slack.calls_to("chat.postMessage")
    assert call.params["text"] == "line one\n• line two"
    assert call.params["thread_ts"] == root
    assert str(call.params["link_names"]).lower() in ("0", "false")
    assert str(call.params["unfurl_links"]).lower() in ("0", "false")
    assert ts == slack.messages(SUPPORT, root)[-1]["ts"]


def test_a_long_text_goes_in_parts_cut_between_lines(slack: LocalSlack) -> None:
    lines = [f"{n:04d} " + "x" * 95 for n in range(100)]  # 10,000 characters
    first = chat(slack).post(SUPPORT, None, "\n".join(lines))
    texts = [str(c.params["text"]) for c in slack.calls_to("chat.postMessage")]
    assert len(texts) == 3
    assert all(len(t) <= PART for t in texts)
    assert "\n".join(texts).split("\n") == lines  # nothing lost, no line cut
    assert first == slack.messages(SUPPORT)[0]["ts"]


def test_parts_of_a_line_longer_than_a_part() -> None:
    assert parts("a" * 10, limit=4) == ["aaaa", "aaaa", "aa"]
    assert parts("ab\n" + "c" * 5 + "\nd", limit=4) == ["ab", "cccc", "c\nd"]
    assert parts("") == [""]


def test_a_refused_post_is_one_line_without_the_token(slack: LocalSlack) -> None:
    with pytest.raises(ChatError, match="channel_not_found") as error:
        chat(slack).post("C0NOWHERE", None, "hello")
    assert slack.bot_token not in str(error.value)
    assert "\n" not in str(error.value)


def test_a_direct_message_opens_the_conversation_once(slack: LocalSlack) -> None:
    port = chat(slack)
    port.direct("U0DAVE", "you are on call")
    port.direct("U0DAVE", "still you")
    assert len(slack.calls_to("conversations.open")) == 1
    channels = {c.params["channel"] for c in slack.calls_to("chat.postMessage")}
    assert len(channels) == 1
    assert next(iter(channels)).startswith("D")


def test_posts_keep_the_pace_given(slack: LocalSlack) -> None:
    slept: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = ChannelPacer(rate=1.0, burst=2, clock=lambda: now[0], sleep=sleep)
    port = SlackChat(WebClient(token=slack.bot_token, base_url=slack.api_url), pacer)
    for n in range(4):
        port.post(SUPPORT, None, f"message {n}")
    assert slept == [1.0, 1.0]
    assert len(slack.calls_to("chat.postMessage")) == 4


def test_pictures_land_in_the_thread(slack: LocalSlack) -> None:
    root = slack.post(POSTER, SUPPORT, "figures")
    taken = chat(slack).upload(SUPPORT, root, [("a.png", PNG, "A"), ("b.png", PNG + b"1", "B")])
    assert taken == 2
    assert [(f.filename, f.channel, f.thread_ts, f.content) for f in slack.files] == [
        ("a.png", SUPPORT, root, PNG),
        ("b.png", SUPPORT, root, PNG + b"1"),
    ]


def test_a_refused_upload_is_one_line_without_the_token(slack: LocalSlack) -> None:
    with pytest.raises(ChatError) as error:
        chat(slack).upload("<#C0SUPPORT|support>", None, [("a.png", PNG, "A")])
    text = str(error.value)
    assert "channel_not_found" in text
    assert slack.bot_token not in text
    assert "\n" not in text
    assert slack.files == []


def test_links_and_channel_ids() -> None:
    port = SlackChat(None, workspace_url="https://acme.slack.com/", channel_lookup=lambda n: "C9")
    assert port.link("C0SUPPORT", "1700000000.000100") == (
        "https://acme.slack.com/archives/C0SUPPORT/p1700000000000100"
    )
    assert port.channel_id("C0SUPPORT") == "C0SUPPORT"
    assert port.channel_id("support") == "C9"


def test_people_are_named_as_slack_names_them(slack: LocalSlack) -> None:
    names = PeopleNames(WebClient(token=slack.bot_token, base_url=slack.api_url))
    assert names("U0CAROL") == "Carol Smith"
    assert names("U0NOBODY") == "U0NOBODY"  # user_not_found: the id, and no exception


@pytest.mark.parametrize("remembering", [False, True])
def test_whether_a_person_exists_as_users_info_says(slack: LocalSlack, remembering: bool) -> None:
    client = (CachedWebClient if remembering else WebClient)(
        token=slack.bot_token, base_url=slack.api_url
    )
    people = EmailDirectory(client)
    gone = slack.world.user("U0DAVE")
    assert gone is not None
    gone.deleted = True
    assert people.exists("U0ALICE")
    assert not people.exists("U0NOPE")  # user_not_found
    assert not people.exists("U0DAVE")  # removed from the workspace
    slack.fail("users.info", "fatal_error")
    assert people.exists("U0ERIN")  # Slack cannot say now: not a no
    slack.heal()


def test_a_known_answer_costs_no_call_per_command(slack: LocalSlack) -> None:
    people = EmailDirectory(CachedWebClient(token=slack.bot_token, base_url=slack.api_url))
    for _ in range(3):
        assert people.exists("U0ALICE")
        assert not people.exists("U0NOPE")
    asked = [str(c.params.get("user")) for c in slack.calls_to("users.info")]
    assert sorted(asked) == ["U0ALICE", "U0NOPE"]


def test_a_whisper_with_a_control_goes_to_one_person_with_its_blocks(slack: LocalSlack) -> None:
    root = slack.post(POSTER, SUPPORT, "help")
    chat(slack).whisper(SUPPORT, root, POSTER, "💡 maybe this", controls=[answered_button(root, 7)])
    (shown,) = slack.ephemerals(POSTER)
    assert (shown["text"], shown["thread_ts"]) == ("💡 maybe this", root)
    section, actions = shown["blocks"]
    assert section["text"]["text"] == "💡 maybe this"
    (button,) = actions["elements"]
    assert (button["action_id"], button["value"]) == (ANSWERED, f"{root} 7")
    chat(slack).whisper(SUPPORT, None, POSTER, "plain")
    assert "blocks" not in slack.ephemerals(POSTER)[1]
    with pytest.raises(ChatError, match=r"user_not_in_channel|user_not_found"):
        chat(slack).whisper(SUPPORT, None, "U0NOBODY", "psst")


def test_a_long_message_keeps_its_controls_and_its_whole_text() -> None:
    """Past what a section holds, the section is shortened (never at a mention) and the
    controls stay; the message's text, Slack's fallback, is whole."""
    link = "<https://example.com/a|a label of several words that runs past the limit>"
    text = ("x" * 2970) + " " + link + (" y" * 200)
    drawn = blocks(text, THREAD_CONTROLS)
    assert drawn is not None
    section, actions = drawn
    shown = section["text"]["text"]
    assert len(shown) <= SECTION_LIMIT
    assert shown.endswith("…")
    assert "<" not in shown  # the cut link is dropped, not left open
    assert shown == "x" * 2970 + "…"
    assert [e["action_id"] for e in actions["elements"]] == [c.action_id for c in THREAD_CONTROLS]
    assert blocks("short", THREAD_CONTROLS) is not None
    assert blocks(text, ()) is None


def test_the_bot_finds_in_a_thread_what_it_said_there_since_a_moment(slack: LocalSlack) -> None:
    root = slack.post(POSTER, SUPPORT, "help")
    said = chat(slack)
    text = "first part\n" + "x" * (PART + 10)  # in parts: the first is looked for
    ts = said.post(SUPPORT, root, text)
    assert ts is not None
    before = datetime.fromtimestamp(float(root), UTC)
    assert said.bot_said(SUPPORT, root, text, before)
    assert not said.bot_said(SUPPORT, root, "other words", before)
    after = datetime.fromtimestamp(float(ts) + 5, UTC)
    assert not said.bot_said(SUPPORT, root, text, after)  # said before that moment
    slack.post(POSTER, SUPPORT, "a person's words", thread_ts=root)
    assert not said.bot_said(SUPPORT, root, "a person's words", before)
    with pytest.raises(ChatError, match="channel_not_found"):
        said.bot_said("C0NOWHERE", root, text, before)
