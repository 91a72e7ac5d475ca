"""LocalMattermost's WebSocket through a real client: authentication, the events and their
``seq``, dropped links and reconnects (fresh, or resumed with ``connection_id`` and
``sequence_number``), and an event delivered twice."""

from __future__ import annotations

import json
from typing import Any

from mattermost_clients import WAIT, Api, Socket, connect

from watchstander_sandbox.mattermost import LocalMattermost


def _post_of(event: dict[str, Any]) -> dict[str, Any]:
    post: dict[str, Any] = json.loads(event["data"]["post"])  # a JSON string, as Mattermost's
    return post


def _hello(sock: Socket) -> dict[str, Any]:
    return sock.wait_events(1, "hello")[0]


def test_challenge_then_hello_then_ok(
    mattermost: LocalMattermost, mm_sockets: list[Socket]
) -> None:
    sock = connect(mattermost)
    mm_sockets.append(sock)
    sock.wait(lambda s: len(s.frames) >= 2, "hello and the challenge's answer")
    hello, answer = sock.frames[:2]
    assert (hello["event"], hello["seq"]) == ("hello", 0)
    assert hello["broadcast"]["user_id"] == mattermost.world.bot.id
    assert len(hello["data"]["connection_id"]) == 26
    assert answer == {"status": "OK", "seq_reply": 1}
    assert mattermost.wait_for(lambda s: s.connected, WAIT)


def test_a_wrong_token_closes_the_socket(
    mattermost: LocalMattermost, mm_sockets: list[Socket]
) -> None:
    sock = connect(mattermost, "not-a-token")
    mm_sockets.append(sock)
    sock.wait(lambda s: s.closed, "the socket closed")
    assert sock.frames == []
    assert not mattermost.connected


def test_header_authentication_says_hello_at_once_and_ignores_a_challenge(
    mattermost: LocalMattermost, mm_sockets: list[Socket]
) -> None:
    sock = connect(mattermost, header=True, challenge=False)
    mm_sockets.append(sock)
    assert _hello(sock)["seq"] == 0
    sock.send({"seq": 1, "action": "authentication_challenge", "data": {"token": "x"}})
    sock.send({"seq": 2, "action": "ping"})
    sock.wait(lambda s: any(f.get("seq_reply") == 2 for f in s.frames), "the ping's answer")
    replies = [f for f in sock.frames if "seq_reply" in f]
    assert [(r["seq_reply"], r["data"]["text"]) for r in replies] == [(2, "pong")]


def test_events_of_posts_edits_and_reactions(
    mattermost: LocalMattermost, mm_api: Api, mm_sockets: list[Socket]
) -> None:
    sock = connect(mattermost)
    mm_sockets.append(sock)
    _hello(sock)
    root = mattermost.post("alice", "support", "@watchstander the report is wrong")
    support = mattermost.channel_id("support")
    mine = mm_api.ok("POST", "/posts", 201, json={"channel_id": support, "message": "on it",
                                               "root_id": root})  # fmt: skip
    mattermost.edit("alice", root, "the report is wrong (edited)")
    mattermost.react("bob", root, "eyes")
    mattermost.unreact("bob", root, "eyes")
    events = sock.wait_events(6)
    names = [e["event"] for e in events]
    assert names == ["hello", "posted", "posted", "post_edited", "reaction_added",
                     "reaction_removed"]  # fmt: skip
    assert [e["seq"] for e in events] == list(range(6))
    posted = events[1]
    assert _post_of(posted)["id"] == root
    assert (posted["data"]["channel_name"], posted["data"]["sender_name"]) == (
        "support",
        "@alice",
    )
    assert posted["data"]["team_id"] == mattermost.world.team.id
    assert posted["broadcast"]["channel_id"] == support
    assert json.loads(posted["data"]["mentions"]) == [mattermost.world.bot.id]
    assert _post_of(events[2])["id"] == mine["id"]  # the bot's own post too
    assert _post_of(events[3])["message"] == "the report is wrong (edited)"
    reaction = json.loads(events[4]["data"]["reaction"])  # a JSON string too
    assert (reaction["emoji_name"], reaction["user_id"]) == ("eyes", mattermost.user_id("bob"))


def test_events_reach_channel_members_only(
    mattermost: LocalMattermost, mm_sockets: list[Socket]
) -> None:
    sock = connect(mattermost)
    mm_sockets.append(sock)
    _hello(sock)
    mattermost.post("alice", "off-topic", "lunch?")  # the bot is not a member
    shown = mattermost.post("alice", "support", "help")
    posted = sock.wait_events(1, "posted")
    assert [_post_of(e)["id"] for e in posted] == [shown]
    assert [e["event"] for e in mattermost.events] == ["posted", "posted"]


def test_a_dropped_link_and_a_fresh_reconnect_lose_what_was_said_meanwhile(
    mattermost: LocalMattermost, mm_api: Api, mm_sockets: list[Socket]
) -> None:
    first = connect(mattermost)
    mm_sockets.append(first)
    old = _hello(first)["data"]["connection_id"]
    mattermost.drop_websocket()
    first.wait(lambda s: s.closed, "the dropped socket seen closed")
    assert mattermost.wait_for(lambda s: not s.connected, WAIT)
    missed = mattermost.post("alice", "support", "while the bot was away")
    second = connect(mattermost)
    mm_sockets.append(second)
    hello = _hello(second)
    assert (hello["seq"], hello["data"]["connection_id"] != old) == (0, True)
    seen = mattermost.post("bob", "support", "after the reconnect")
    assert [_post_of(e)["id"] for e in second.wait_events(1, "posted")] == [seen]
    # Mattermost does not replay: the bot catches up over REST
    support = mattermost.channel_id("support")
    listing = mm_api.ok("GET", f"/channels/{support}/posts", params={"since": 1})
    assert missed in listing["order"]


def test_a_resume_with_connection_id_and_sequence_number_loses_nothing(
    mattermost: LocalMattermost, mm_sockets: list[Socket]
) -> None:
    first = connect(mattermost, header=True, challenge=False)
    mm_sockets.append(first)
    conn = _hello(first)["data"]["connection_id"]
    before = mattermost.post("alice", "support", "before")
    last = first.wait_events(1, "posted")[-1]["seq"]
    mattermost.drop_websocket()
    first.wait(lambda s: s.closed, "the dropped socket seen closed")
    assert mattermost.wait_for(lambda s: not s.connected, WAIT)
    away = mattermost.post("alice", "support", "while away")
    second = connect(
        mattermost, header=True, challenge=False, connection_id=conn, sequence_number=last + 1
    )
    mm_sockets.append(second)
    got = second.wait_events(1, "posted")
    assert [(_post_of(e)["id"], e["seq"]) for e in got] == [(away, last + 1)]
    assert second.events("hello") == []  # the same connection, going on
    assert mattermost.connection_ids == [conn]
    assert before != away


def test_a_resume_from_an_older_sequence_number_replays_with_the_same_seqs(
    mattermost: LocalMattermost, mm_sockets: list[Socket]
) -> None:
    first = connect(mattermost, header=True, challenge=False)
    mm_sockets.append(first)
    conn = _hello(first)["data"]["connection_id"]
    one = mattermost.post("alice", "support", "one")
    two = mattermost.post("bob", "support", "two")
    sent = first.wait_events(2, "posted")
    mattermost.drop_websocket()
    first.wait(lambda s: s.closed, "the dropped socket seen closed")
    assert mattermost.wait_for(lambda s: not s.connected, WAIT)
    again = connect(mattermost, header=True, challenge=False, connection_id=conn,
                    sequence_number=sent[0]["seq"])  # fmt: skip
    mm_sockets.append(again)
    replayed = again.wait_events(2, "posted")
    assert [(_post_of(e)["id"], e["seq"]) for e in replayed] == [
        (one, sent[0]["seq"]),
        (two, sent[1]["seq"]),
    ]


def test_a_resume_after_the_connection_expired_starts_again(
    mattermost: LocalMattermost, mm_sockets: list[Socket]
) -> None:
    first = connect(mattermost, header=True, challenge=False)
    mm_sockets.append(first)
    conn = _hello(first)["data"]["connection_id"]
    mattermost.post("alice", "support", "one")
    last = first.wait_events(1, "posted")[-1]["seq"]
    mattermost.drop_websocket()
    first.wait(lambda s: s.closed, "the dropped socket seen closed")
    assert mattermost.wait_for(lambda s: not s.connected, WAIT)
    mattermost.expire_connections()
    second = connect(mattermost, header=True, challenge=False, connection_id=conn,
                     sequence_number=last + 1)  # fmt: skip
    mm_sockets.append(second)
    hello = _hello(second)
    assert (hello["seq"], hello["data"]["connection_id"] != conn) == (0, True)


def test_an_event_sent_twice(mattermost: LocalMattermost, mm_sockets: list[Socket]) -> None:
    sock = connect(mattermost)
    mm_sockets.append(sock)
    _hello(sock)
    mattermost.send_twice("posted")
    twice = mattermost.post("alice", "support", "urgent: checkout is down")
    once = mattermost.post("bob", "support", "and again")
    posted = sock.wait_events(3, "posted")
    assert [_post_of(e)["id"] for e in posted] == [twice, twice, once]
    assert [e["seq"] for e in posted] == [1, 2, 3]
    assert len(mattermost.messages("support")) == 2  # stored once


def test_a_socket_that_never_authenticates_is_closed(
    mattermost: LocalMattermost, mm_sockets: list[Socket]
) -> None:
    mattermost.auth_seconds = 0.2
    sock = connect(mattermost, challenge=False)
    mm_sockets.append(sock)
    sock.wait(lambda s: s.closed, "the unauthenticated socket closed")
    assert sock.frames == []


def test_a_challenge_ignores_connection_id(
    mattermost: LocalMattermost, mm_sockets: list[Socket]
) -> None:
    first = connect(mattermost)
    mm_sockets.append(first)
    conn = _hello(first)["data"]["connection_id"]
    mattermost.drop_websocket()
    first.wait(lambda s: s.closed, "the dropped socket seen closed")
    assert mattermost.wait_for(lambda s: not s.connected, WAIT)
    again = connect(mattermost, connection_id=conn, sequence_number=1)
    mm_sockets.append(again)
    assert _hello(again)["data"]["connection_id"] != conn  # as Mattermost: a fresh one


def test_a_direct_message_mentions_the_bot(
    mattermost: LocalMattermost, mm_api: Api, mm_sockets: list[Socket]
) -> None:
    sock = connect(mattermost)
    mm_sockets.append(sock)
    _hello(sock)
    bot, carol = mattermost.world.bot.id, mattermost.user_id("carol")
    dm = mm_api.ok("POST", "/channels/direct", 201, json=[bot, carol])
    sent = mattermost.post("carol", dm["id"], "!oncall")
    event = sock.wait_events(1, "posted")[0]
    assert _post_of(event)["id"] == sent
    assert (event["data"]["channel_type"], event["data"]["team_id"]) == ("D", "")
    assert json.loads(event["data"]["mentions"]) == [bot]
