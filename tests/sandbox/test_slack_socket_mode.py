"""LocalSlack's Socket Mode and its injected faults against the real slack_sdk clients:
hello, events and acks, edits, late connections, redelivery, held envelopes, errors, rate
limits, dropped connections."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import pytest
from slack_clients import Inbox, acked
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient

from watchstander_sandbox.slack import LocalSlack, World

# ---------------------------------------------------------------------------- Socket Mode


def test_socket_mode_hello_events_and_acks(
    server: LocalSlack, web: WebClient, connect: Callable[[], Inbox]
) -> None:
    inbox = connect()
    hello = inbox.first_frame()
    assert hello["type"] == "hello"
    assert hello["connection_info"] == {"app_id": "A0SANDBOX"}
    assert server.calls_to("apps.connections.open")

    ts = server.post("U0ALICE", "C0SUPPORT", f"help {World.mention_user('UBOT0001')}")
    [envelope_id] = inbox.wait(1)
    assert server.wait_for(acked(envelope_id))
    event = inbox.event(envelope_id)
    assert event == {
        "client_msg_id": event["client_msg_id"],
        "type": "message",
        "text": "help <@UBOT0001>",
        "user": "U0ALICE",
        "ts": ts,
        "team": "T0SANDBOX",
        "channel": "C0SUPPORT",
        "event_ts": ts,
        "channel_type": "channel",
    }
    [request] = inbox.requests
    assert request.type == "events_api"
    assert request.retry_attempt == 0
    assert request.payload["type"] == "event_callback"
    assert request.payload["event_id"].startswith("Ev")

    reply_ts = web.chat_postMessage(channel="C0SUPPORT", text="hi", thread_ts=ts)["ts"]
    react_ts = server.react("U0BOB", "C0SUPPORT", reply_ts, "white_check_mark")
    assert server.wait_for(lambda s: len(s.acks) == 3)
    echo, reaction = (inbox.event(e) for e in inbox.wait(3)[1:])
    assert "subtype" not in echo
    assert (echo["user"], echo["bot_id"], echo["app_id"]) == ("UBOT0001", "BBOT0001", "A0SANDBOX")
    assert (echo["ts"], echo["thread_ts"], echo["channel"]) == (reply_ts, ts, "C0SUPPORT")
    assert reaction == {
        "type": "reaction_added",
        "user": "U0BOB",
        "reaction": "white_check_mark",
        "item": {"type": "message", "channel": "C0SUPPORT", "ts": reply_ts},
        "item_user": "UBOT0001",
        "event_ts": react_ts,
    }
    server.unreact("U0BOB", "C0SUPPORT", reply_ts, "white_check_mark")
    assert server.wait_for(lambda s: len(s.acks) == 4)
    assert inbox.event(inbox.wait(4)[-1])["type"] == "reaction_removed"


def test_pings_carry_words_as_slacks_do(server: LocalSlack, web: WebClient) -> None:
    """Slack's pings say "Ping from applink-N". An empty one (two bytes) is read by slack_sdk's
    builtin client as the start of a frame: it waits for more, and an event read just before
    it waits too, until the next frame with words comes (its own ping's pong, up to 5 s)."""
    url = str(web.apps_connections_open(app_token=server.app_token)["url"])

    async def first_ping() -> bytes:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(url, autoping=False) as ws,
        ):
            while True:
                frame = await ws.receive(timeout=30)
                if frame.type is aiohttp.WSMsgType.PING:
                    return bytes(frame.data)
                assert frame.type is aiohttp.WSMsgType.TEXT, frame

    assert asyncio.run(first_ping()).startswith(b"Ping from applink-")


def test_edits_and_unfurls_are_message_changed(
    server: LocalSlack, connect: Callable[[], Inbox]
) -> None:
    inbox = connect()
    ts = server.post("U0CAROL", "C0SUPPORT", "see https://status.example.com/incidents/42")
    edit_ts = server.edit("U0CAROL", "C0SUPPORT", ts, "see <https://status.example.com/>")
    unfurl_ts = server.unfurl("C0SUPPORT", ts)
    assert server.wait_for(lambda s: len(s.acks) == 3)
    _, edited, unfurled = (inbox.event(e) for e in inbox.wait(3))
    assert edited["subtype"] == "message_changed"
    assert edited["hidden"] is True
    assert (edited["ts"], edited["event_ts"], edited["channel"]) == (edit_ts, edit_ts, "C0SUPPORT")
    assert edited["message"]["ts"] == ts
    assert edited["message"]["text"] == "see <https://status.example.com/>"
    assert edited["message"]["edited"] == {"user": "U0CAROL", "ts": edit_ts}
    assert "edited" not in edited["previous_message"]
    assert unfurled["ts"] == unfurl_ts
    assert unfurled["message"]["text"] == unfurled["previous_message"]["text"]
    assert unfurled["message"]["attachments"][0]["from_url"] == "https://status.example.com/"


def test_events_wait_for_a_late_connection_and_keep_their_order(
    server: LocalSlack, connect: Callable[[], Inbox]
) -> None:
    first = server.post("U0ALICE", "C0SUPPORT", "one")
    second = server.post("U0BOB", "C0SUPPORT", "two", thread_ts=first)
    custom = server.push_event({"type": "app_mention", "text": "three"}, event_id="Ev0CUSTOM")
    assert not server.connected
    assert server.acks == []

    inbox = connect()
    assert server.wait_for(lambda s: len(s.acks) == 3)
    events = [inbox.event(e) for e in inbox.wait(3)]
    assert inbox.frames[0]["type"] == "hello"
    assert [e["text"] for e in events] == ["one", "two", "three"]
    assert (events[1]["ts"], events[1]["thread_ts"], events[1]["parent_user_id"]) == (
        second,
        first,
        "U0ALICE",
    )
    assert inbox.envelope_ids()[2] == custom
    assert next(r for r in inbox.requests if r.envelope_id == custom).payload["event_id"] == (
        "Ev0CUSTOM"
    )


def test_reconnect_gets_what_was_pushed_while_away(
    server: LocalSlack, web: WebClient, connect: Callable[[], Inbox]
) -> None:
    away = SocketModeClient(app_token=server.app_token, web_client=web)
    away.connect()
    assert server.wait_for(lambda s: s.connected)
    away.close()
    assert server.wait_for(lambda s: not s.connected)
    envelope_id = server.push_event({"type": "app_home_opened", "user": "U0ALICE"})
    inbox = connect()
    assert server.wait_for(acked(envelope_id))
    assert inbox.wait(1) == [envelope_id]


def test_redeliver_sends_the_same_envelope_again(
    server: LocalSlack, connect: Callable[[], Inbox]
) -> None:
    inbox = connect()
    server.post("U0DAVE", "C0GENERAL", "anyone?")
    envelope_id = server.envelopes[-1]["envelope_id"]
    assert server.wait_for(lambda s: len(s.acks) == 1)
    assert inbox.wait(1) == [envelope_id]
    server.redeliver(envelope_id)
    assert server.wait_for(acked(envelope_id, times=2))
    assert inbox.wait(2) == [envelope_id, envelope_id]
    first, again = (f for f in inbox.frames if f.get("envelope_id") == envelope_id)
    assert (first["retry_attempt"], again["retry_attempt"]) == (0, 1)
    assert again["retry_reason"] == "timeout"
    assert again["payload"] == first["payload"]


def test_held_envelopes_go_out_in_the_order_released(
    server: LocalSlack, connect: Callable[[], Inbox]
) -> None:
    inbox = connect()
    root = server.post("U0ALICE", "C0SUPPORT", "prod is down")
    [posted] = inbox.wait(1)
    with server.held() as held:
        bob = server.react("U0BOB", "C0SUPPORT", root, "eyes")
        dave = server.react("U0DAVE", "C0SUPPORT", root, "eyes")
    assert float(bob) < float(dave)
    [top] = server.messages("C0SUPPORT")  # in the world at once, in ts order
    assert top["reactions"] == [{"name": "eyes", "users": ["U0BOB", "U0DAVE"], "count": 2}]
    assert [e["payload"]["event"]["user"] for e in held.envelopes] == ["U0BOB", "U0DAVE"]
    assert len(server.envelopes) == 3
    after = server.push_event({"type": "app_home_opened", "user": "U0ERIN"})  # not held
    assert inbox.wait(2) == [posted, after]  # one sender, in queue order: nothing held went

    sent = held.release(order=[1, 0])
    assert inbox.wait(4)[2:] == sent
    events = [inbox.event(e) for e in sent]
    assert [(e["type"], e["user"], e["event_ts"]) for e in events] == [
        ("reaction_added", "U0DAVE", dave),
        ("reaction_added", "U0BOB", bob),
    ]
    assert server.wait_for(lambda s: set(sent) <= set(s.acks))


def test_release_sends_what_is_still_held_and_refuses_bad_orders(
    server: LocalSlack, connect: Callable[[], Inbox]
) -> None:
    inbox = connect()
    with server.held() as held:
        for text in ("one", "two", "three"):
            server.post("U0BOB", "C0GENERAL", text)
        with pytest.raises(RuntimeError), server.held():
            pass  # one hold at a time
    assert [m["text"] for m in server.messages("C0GENERAL")] == ["one", "two", "three"]
    for wrong in ([0, 0], [3], [-1]):
        with pytest.raises(ValueError, match=r"still held, each once: \[0, 1, 2\]$"):
            held.release(order=wrong)
    held.release(order=[2])  # the rest stay held
    assert [inbox.event(e)["text"] for e in inbox.wait(1)] == ["three"]
    assert len(held.release()) == 2  # what is still held, in the order pushed
    assert [inbox.event(e)["text"] for e in inbox.wait(3)] == ["three", "one", "two"]
    with pytest.raises(ValueError, match=r"still held, each once: \[\]$"):
        held.release(order=[0])  # sent already
    assert held.release() == []
    assert len(held) == 3


# ------------------------------------------------------------------- injected faults


def test_injected_errors_answer_as_slack_does_then_heal(server: LocalSlack, web: WebClient) -> None:
    server.fail("chat.postMessage", "not_in_channel", times=1)
    with pytest.raises(SlackApiError) as refused:
        web.chat_postMessage(channel="C0SUPPORT", text="hello")
    assert refused.value.response.status_code == 200
    assert refused.value.response["error"] == "not_in_channel"
    assert web.chat_postMessage(channel="C0SUPPORT", text="again")["ok"]  # once only
    assert [m["text"] for m in server.messages("C0SUPPORT")] == ["again"]  # nothing done
    server.fail("*", "missing_scope", needed="users:read", provided="chat:write")
    with pytest.raises(SlackApiError) as scope:
        web.users_info(user="U0ALICE")
    assert (scope.value.response["needed"], scope.value.response["provided"]) == (
        "users:read",
        "chat:write",
    )
    assert web.auth_test()["ok"]  # connecting is never failed by "*"
    server.heal()
    assert web.users_info(user="U0ALICE")["user"]["id"] == "U0ALICE"
    assert [c.method for c in server.failed] == ["chat.postMessage", "users.info"]


def test_every_method_rate_limited_apart(server: LocalSlack, web: WebClient) -> None:
    server.limit("*", per_minute=1, burst=1)
    assert web.users_info(user="U0ALICE")["ok"]
    assert web.conversations_info(channel="C0SUPPORT")["ok"]  # a bucket per method
    with pytest.raises(SlackApiError) as limited:
        web.users_info(user="U0BOB")
    assert limited.value.response.status_code == 429
    assert int(limited.value.response.headers["Retry-After"]) >= 1
    assert web.auth_test()["ok"]  # connecting is never limited by "*"
    assert [c.method for c in server.limited] == ["users.info"]


def test_deleted_and_unknown_authors(server: LocalSlack, web: WebClient) -> None:
    dave = server.world.user("U0DAVE")
    assert dave is not None
    dave.deleted = True
    assert web.users_info(user="U0DAVE")["user"]["deleted"] is True
    ts = server.post("U0OTHERORG", "C0SUPPORT", "hi from a shared channel", stranger=True)
    assert server.messages("C0SUPPORT")[-1]["user"] == "U0OTHERORG"
    assert ts == server.messages("C0SUPPORT")[-1]["ts"]
    with pytest.raises(SlackApiError, match="user_not_found"):
        web.users_info(user="U0OTHERORG")


def test_a_dropped_connection_is_reconnected_and_unacked_events_sent_again(
    server: LocalSlack, web: WebClient
) -> None:
    inbox = Inbox()
    client = SocketModeClient(
        app_token=server.app_token,
        web_client=web,
        on_message_listeners=[inbox.on_raw],
        ping_interval=1,
    )
    client.socket_mode_request_listeners.append(inbox.on_request)
    client.connect()
    try:
        assert server.wait_for(lambda s: s.connected)
        opened = len(server.calls_to("apps.connections.open"))
        server.stall()  # delivered, but the ack is lost on the way
        unacked = server.push_event({"type": "app_home_opened", "user": "U0ALICE"})
        assert inbox.wait(1) == [unacked]
        assert unacked not in server.acks
        server.drop()  # no frame, no close: the TCP stream is cut
        queued = server.push_event({"type": "app_home_opened", "user": "U0BOB"})
        assert server.wait_for(lambda s: len(s.calls_to("apps.connections.open")) > opened, 30)
        got = inbox.wait(3)
        # the retry and the event queued meanwhile both come, in either order (the server
        # notices the cut connection a moment after the push may have queued; nor does Slack
        # order its retries with new events)
        assert got[0] == unacked
        assert sorted(got[1:]) == sorted([unacked, queued])
        again = [f for f in inbox.frames if f.get("envelope_id") == unacked][1]
        assert (again["retry_attempt"], again["retry_reason"]) == (1, "timeout")
        assert server.wait_for(lambda s: {unacked, queued} <= set(s.acks))
    finally:
        client.close()


def test_each_envelope_goes_to_one_of_the_apps_connections_in_turn(
    server: LocalSlack, connect: Callable[[], Inbox]
) -> None:
    """As Slack: with several connections open, an envelope goes to one of them (not to
    every one), and each connection gets its share."""
    first, second = connect(), connect()
    assert server.wait_for(lambda s: len(s.acks) == 0 and s.connected)
    for n in range(10):
        server.post("U0ALICE", "C0SUPPORT", f"question {n}")
    assert server.wait_for(lambda s: len(s.acks) == 10), server.acks
    pushed = [e["envelope_id"] for e in server.envelopes]
    got_first, got_second = first.envelope_ids(), second.envelope_ids()
    assert sorted(got_first + got_second) == sorted(pushed)  # each once, none to both
    assert not set(got_first) & set(got_second)
    assert len(got_first) == len(got_second) == 5
    assert sorted(server.acks) == sorted(pushed)
