"""Mattermost's posts and reactions as the services' inbound records."""

from __future__ import annotations

import json
from typing import Any

import pytest

from watchstander.domain.levels import Level, parse_level
from watchstander.domain.markup import leading_person
from watchstander.inbound import Ignored
from watchstander.inbound.mattermost import (
    MOST_NAMES,
    core_text,
    event_key,
    matches,
    message_from_mattermost,
    ms_ts,
    post_ts,
    reaction_from_mattermost,
    ts_ms,
)
from watchstander.services.inbound import MAX_TEXT, ts_to_datetime

ROOT, REPLY, CHANNEL = "r" * 26, "p" * 26, "c" * 26
BOT, CAROL = "b" * 26, "u" * 26
AT = 1_796_000_000_123


def post(**fields: Any) -> dict[str, Any]:
    base = {
        "id": ROOT, "create_at": AT, "update_at": AT, "edit_at": 0, "delete_at": 0,
        "user_id": CAROL, "channel_id": CHANNEL, "root_id": "", "message": "@oncall help",
        "type": "", "props": {},
    }  # fmt: skip
    return {**base, **fields}


def roots(found: str | None = None) -> Any:
    return lambda _id: found


def test_a_ts_is_the_time_and_keeps_two_posts_of_one_millisecond_apart() -> None:
    one, other = post_ts("a" * 26, AT), post_ts("b" * 26, AT)
    assert one.startswith("1796000000.123")
    assert one != other
    assert ts_ms(one) == AT
    assert ts_to_datetime(one).timestamp() == pytest.approx(AT / 1000)
    assert matches({"id": "a" * 26, "create_at": AT}, one)
    assert not matches({"id": "b" * 26, "create_at": AT}, one)
    assert ts_ms("not a ts") == 0


def test_a_root_post() -> None:
    msg = message_from_mattermost(post(), BOT, roots())
    assert (msg.channel, msg.user, msg.thread_ts, msg.text) == (
        CHANNEL,
        CAROL,
        None,
        "@oncall help",
    )
    assert msg.ts == post_ts(ROOT, AT)
    assert not msg.from_bot
    assert not msg.is_edit


def test_a_reply_names_its_root_by_ts() -> None:
    root_ts = post_ts(ROOT, AT - 5000)
    msg = message_from_mattermost(post(id=REPLY, root_id=ROOT), BOT, roots(root_ts))
    assert msg.thread_ts == root_ts
    with pytest.raises(Ignored):
        message_from_mattermost(post(id=REPLY, root_id=ROOT), BOT, roots(None))


def test_an_edit_and_what_is_not_one() -> None:
    edited = message_from_mattermost(post(edit_at=AT + 9000), BOT, roots(), edited=True)
    assert edited.edited_ts == ms_ts(AT + 9000)
    assert edited.key != message_from_mattermost(post(), BOT, roots()).key
    with pytest.raises(Ignored):  # a post_edited for a reaction or a pin changes no text
        message_from_mattermost(post(), BOT, roots(), edited=True)


@pytest.mark.parametrize(
    "fields", [{"type": "system_join_channel"}, {"delete_at": AT}, {"id": ""}, {"create_at": 0}]
)
def test_what_is_ignored(fields: dict[str, Any]) -> None:
    with pytest.raises(Ignored):
        message_from_mattermost(post(**fields), BOT, roots())


def test_the_bots_own_post() -> None:
    assert message_from_mattermost(post(user_id=BOT), BOT, roots()).from_bot


def test_a_16000_character_post_is_taken_whole() -> None:
    text = "x" * 16_000
    assert message_from_mattermost(post(message=text), BOT, roots()).text == text


def test_reactions() -> None:
    item = post_ts(ROOT, AT)
    raw = {"user_id": CAROL, "post_id": ROOT, "emoji_name": "eyes", "channel_id": CHANNEL,
           "create_at": AT + 1000, "update_at": AT + 1000, "delete_at": 0}  # fmt: skip
    added = reaction_from_mattermost(raw, True, roots(item))
    assert (added.item_ts, added.name, added.added, added.event_ts) == (
        item,
        "eyes",
        True,
        ms_ts(AT + 1000),
    )
    removed = reaction_from_mattermost({**raw, "delete_at": AT + 2000}, False, roots(item))
    assert removed.event_ts == ms_ts(AT + 2000)
    assert removed.key != added.key
    with pytest.raises(Ignored):  # a post the bot cannot find
        reaction_from_mattermost(raw, True, roots(None))
    with pytest.raises(Ignored):
        reaction_from_mattermost({**raw, "emoji_name": ""}, True, roots(item))


def test_an_event_sent_twice_has_one_key() -> None:
    event = {"event": "posted", "data": {"post": json.dumps(post())}, "seq": 3}
    again = {**event, "seq": 4}
    assert event_key(event) == event_key(again)
    edited = {"event": "post_edited", "data": {"post": json.dumps(post(edit_at=AT + 1))}}
    assert event_key(edited) != event_key(event)
    assert event_key({"event": "hello", "data": {}}) is None
    assert event_key({"event": "posted", "data": {"post": "{not json"}}) is None


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("@oncall checkout is down", Level.URGENT),
        ("@here checkout is down", Level.EMERGENCY),
        ("@channel checkout is down", Level.EMERGENCY),
        ("@all checkout is down", Level.EMERGENCY),
        ("where is the export?", Level.GENERAL),
        ("mail me at a@oncall.example", Level.GENERAL),
    ],
)
def test_levels_from_mattermost_mentions(text: str, level: Level) -> None:
    tags = ("devs", "here", "channel", "all")  # Mattermost's default EMERGENCY_TAGS
    parsed = parse_level(text, oncall_handle="oncall", emergency_tags=tags)
    assert parsed.level is level


def test_people_named_in_a_post_are_written_in_the_core_markup() -> None:
    people = {"dave": "d" * 26, "bob.smith": "s" * 26}
    text = "!oncall override @dave 1h, then @Bob.Smith; @oncall @here a@dave.example"
    assert core_text(text, people.get) == (
        f"!oncall override <@{'d' * 26}|dave> 1h, then <@{'s' * 26}|Bob.Smith>; "
        "@oncall @here a@dave.example"
    )


def test_words_that_look_like_tokens_stay_words() -> None:
    """Typed on Mattermost, Slack's tokens are text: no level, no person, no link."""
    typed = "<!subteam^S0DEVS|@devs> <!here> <@U0DAVE> & <https://x.io|y> medium.com/@dave"
    text = core_text(typed, {"dave": "d" * 26}.get)
    assert "<" not in text
    assert ">" not in text
    assert "/@dave" in text  # an address's @ names nobody
    tags = ("devs", "here", "channel", "all")
    assert parse_level(text, oncall_handle="oncall", emergency_tags=tags).level is Level.GENERAL
    assert leading_person(text) is None


def test_a_post_naming_many_people_looks_up_a_few() -> None:
    asked: list[str] = []

    def lookup(name: str) -> str | None:
        asked.append(name)
        return None

    core_text(" ".join(f"@name{n} @name{n}" for n in range(500)), lookup)
    assert len(asked) == MOST_NAMES  # each name once, and no more than the cap


def test_a_post_that_begins_by_naming_a_person_names_them_for_the_nudge() -> None:
    post = {"id": "p" * 26, "channel_id": "c" * 26, "user_id": "u" * 26, "create_at": AT}
    post["message"] = "@dave: see the export guide"
    message = message_from_mattermost(
        post, "b" * 26, lambda _root: None, person_id_of={"dave": "d" * 26}.get
    )
    assert leading_person(message.text) == "d" * 26


def test_a_name_is_read_as_mattermost_reads_it() -> None:
    people = {"ops_": "o" * 26, "dave": "d" * 26, "oncall": "x" * 26}
    text = core_text("@ops_ and @dave. and @dave_ then `@dave` @oncall @here", people.get)
    assert text == (
        f"<@{'o' * 26}|ops_> and <@{'d' * 26}|dave>. and <@{'d' * 26}|dave>_ then `@dave` "
        f"<@{'x' * 26}|oncall> @here"
    )  # trailing punctuation tried whole, then without; code is words; @here is nobody
    tagged = core_text("@oncall the export is empty", people.get, handles=frozenset({"oncall"}))
    assert tagged == "@oncall the export is empty"  # a team's tag is never a person
    tags = ("devs", "here", "channel", "all")
    assert parse_level(tagged, oncall_handle="oncall", emergency_tags=tags).level is Level.URGENT


def test_a_huge_post_is_cut_before_it_is_written_in_the_core_markup() -> None:
    raw = "<" * 50_000
    message = message_from_mattermost(
        post(message=raw), BOT, lambda _root: None, person_id_of=lambda _name: None
    )
    assert message.text == "&lt;" * MAX_TEXT  # whole entities: the cut came first
