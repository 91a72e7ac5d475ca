"""LocalSlack against the real slack_sdk clients: WebClient and the builtin SocketModeClient."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from watchstander_sandbox.slack import LocalSlack, World

# The scopes that make the SlackV3 backend pick the RTM API instead of Socket Mode.
LEGACY = {"apps", "bot", "bot:basic", "client", "files:write:user", "identify", "post", "read"}


class Inbox:
    """What a Socket Mode client saw: raw frames in arrival order, and acked requests."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.frames: list[dict[str, Any]] = []
        self.requests: list[SocketModeRequest] = []

    def on_raw(self, raw: str) -> None:  # runs on the receiving thread, in arrival order
        with self.lock:
            self.frames.append(json.loads(raw))
            self.lock.notify_all()

    def on_request(self, client: Any, req: SocketModeRequest) -> None:
        with self.lock:
            self.requests.append(req)
        client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    def wait(self, envelopes: int) -> list[str]:
        """The envelope ids received, once there are `envelopes` of them (or after 10 s)."""
        with self.lock:
            self.lock.wait_for(lambda: len(self.envelope_ids()) >= envelopes, timeout=10)
            return self.envelope_ids()

    def first_frame(self) -> dict[str, Any]:
        with self.lock:
            self.lock.wait_for(lambda: bool(self.frames), timeout=10)
            return self.frames[0]

    def envelope_ids(self) -> list[str]:
        with self.lock:
            return [f["envelope_id"] for f in self.frames if "envelope_id" in f]

    def event(self, envelope_id: str) -> dict[str, Any]:
        with self.lock:
            found = next(f for f in self.frames if f.get("envelope_id") == envelope_id)
        event: dict[str, Any] = found["payload"]["event"]
        return event


@pytest.fixture
def server() -> Iterator[LocalSlack]:
    slack = LocalSlack().start()
    yield slack
    slack.stop()


@pytest.fixture
def web(server: LocalSlack) -> WebClient:
    return WebClient(token=server.bot_token, base_url=server.api_url)


@pytest.fixture
def connect(server: LocalSlack, web: WebClient) -> Iterator[Callable[[], Inbox]]:
    """Connect a real SocketModeClient that acks everything; closed at teardown."""
    clients: list[SocketModeClient] = []

    def _connect() -> Inbox:
        inbox = Inbox()
        client = SocketModeClient(
            app_token=server.app_token, web_client=web, on_message_listeners=[inbox.on_raw]
        )
        client.socket_mode_request_listeners.append(inbox.on_request)
        clients.append(client)
        client.connect()
        assert server.wait_for(lambda s: s.connected)
        return inbox

    yield _connect
    for client in clients:
        client.close()


def acked(envelope_id: str, times: int = 1) -> Callable[[LocalSlack], bool]:
    return lambda s: s.acks.count(envelope_id) >= times


# ------------------------------------------------------------------------------ Web API


def test_auth_test_sends_modern_bot_scopes(web: WebClient) -> None:
    resp = web.auth_test()
    assert resp["user_id"] == "UBOT0001"
    assert resp["bot_id"] == "BBOT0001"
    assert resp["url"] == "https://sandbox.slack.com/"
    scopes = resp.headers["x-oauth-scopes"].split(",")
    assert {"chat:write", "reactions:write", "usergroups:write", "files:write"} <= set(scopes)
    assert not LEGACY.issuperset(scopes)  # so the SlackV3 backend picks Socket Mode


def test_bad_or_missing_token_is_rejected_and_recorded(server: LocalSlack) -> None:
    with pytest.raises(SlackApiError) as wrong:
        WebClient(token="xoxb-wrong", base_url=server.api_url).auth_test()
    assert wrong.value.response.status_code == 200
    assert wrong.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=server.api_url).users_info(user="U0ALICE")
    assert missing.value.response["error"] == "not_authed"
    assert [c.method for c in server.calls] == ["auth.test", "users.info"]
    assert server.calls[1].params == {"user": "U0ALICE"}


def test_unknown_method(web: WebClient) -> None:
    with pytest.raises(SlackApiError, match="unknown_method"):
        web.api_call("pins.list", params={"channel": "C0SUPPORT"})


def test_users_conversations_and_team_shapes(web: WebClient) -> None:
    alice = web.users_info(user="U0ALICE")["user"]
    assert alice["team_id"] == "T0SANDBOX"
    assert alice["is_bot"] is False
    assert alice["tz"] == "Europe/Amsterdam"
    assert alice["profile"]["display_name"] == "alice"
    assert alice["profile"]["email"] == "alice.jansen@example.com"
    bot = web.users_info(user="UBOT0001")["user"]
    assert bot["is_bot"]
    assert bot["profile"]["bot_id"] == "BBOT0001"
    assert web.bots_info(bot="BBOT0001")["bot"]["user_id"] == "UBOT0001"
    with pytest.raises(SlackApiError, match="user_not_found"):
        web.users_info(user="U0NOBODY")
    assert web.users_lookupByEmail(email="bob.de.vries@example.com")["user"]["id"] == "U0BOB"

    support = web.conversations_info(channel="C0SUPPORT")["channel"]
    assert (support["name"], support["is_member"], support["is_im"]) == ("support", True, False)
    assert support["topic"]["value"] == "Ask us anything"
    assert "value" in support["purpose"]
    with pytest.raises(SlackApiError, match="channel_not_found"):
        web.conversations_info(channel="C0NOPE")
    assert web.team_info()["team"]["domain"] == "sandbox"

    dm = web.conversations_open(users="U0CAROL")["channel"]["id"]
    assert dm == web.conversations_open(users="U0CAROL")["channel"]["id"]
    info = web.conversations_info(channel=dm)["channel"]
    assert info["is_im"] is True
    assert info["user"] == "U0CAROL"


def test_lists_paginate_with_cursors(web: WebClient) -> None:
    ids, cursor = [], None
    while cursor != "":
        page = web.users_list(limit=2, cursor=cursor)
        ids += [m["id"] for m in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
    assert ids == ["U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN", "UBOT0001"]
    names = [c["name"] for c in web.conversations_list()["channels"]]
    assert {"support", "general", "support-digest"} <= set(names)


def test_post_message_in_a_thread_is_stored_and_recorded(
    server: LocalSlack, web: WebClient
) -> None:
    root = server.post("U0ALICE", "C0SUPPORT", "prod is down")
    resp = web.chat_postMessage(channel="#support", text="on it", thread_ts=root)
    assert resp["channel"] == "C0SUPPORT"
    assert resp["message"]["thread_ts"] == root
    assert resp["message"]["bot_id"] == "BBOT0001"
    assert float(resp["ts"]) > float(root)

    [reply] = server.messages("C0SUPPORT", thread_ts=root)
    assert reply["text"] == "on it"
    assert (reply["user"], reply["app_id"]) == ("UBOT0001", "A0SANDBOX")
    assert reply["parent_user_id"] == "U0ALICE"
    [top] = server.messages("support")
    assert (top["ts"], top["reply_count"], top["latest_reply"]) == (root, 1, resp["ts"])
    [call] = server.calls_to("chat.postMessage")
    assert call.params["thread_ts"] == root
    assert call.params["channel"] == "#support"
    thread = web.conversations_replies(channel="C0SUPPORT", ts=root)["messages"]
    assert [m["text"] for m in thread] == ["prod is down", "on it"]
    history = web.conversations_history(channel="C0SUPPORT")["messages"]
    assert [m["ts"] for m in history] == [root]


def test_post_message_errors(web: WebClient) -> None:
    assert web.chat_postMessage(channel="C0SUPPORT", text="x" * 40_000)["ok"]
    with pytest.raises(SlackApiError, match="msg_too_long"):
        web.chat_postMessage(channel="C0SUPPORT", text="x" * 40_001)
    with pytest.raises(SlackApiError, match="no_text"):
        web.api_call("chat.postMessage", json={"channel": "C0SUPPORT"})
    with pytest.raises(SlackApiError, match="channel_not_found"):
        web.chat_postMessage(channel="#nope", text="hi")


def test_update_delete_and_reactions(server: LocalSlack, web: WebClient) -> None:
    ts = web.chat_postMessage(channel="C0DIGEST", text="draft")["ts"]
    web.chat_update(channel="C0DIGEST", ts=ts, text="final")
    [msg] = server.messages("C0DIGEST")
    assert msg["text"] == "final"
    assert msg["edited"]["user"] == "UBOT0001"
    # the backend sends reactions as a JSON body
    web.api_call("reactions.add", json={"channel": "C0DIGEST", "timestamp": ts, "name": "eyes"})
    assert server.messages("C0DIGEST")[0]["reactions"] == [
        {"name": "eyes", "users": ["UBOT0001"], "count": 1}
    ]
    with pytest.raises(SlackApiError, match="already_reacted"):
        web.reactions_add(channel="C0DIGEST", timestamp=ts, name="eyes")
    web.reactions_remove(channel="C0DIGEST", timestamp=ts, name="eyes")
    with pytest.raises(SlackApiError, match="no_reaction"):
        web.reactions_remove(channel="C0DIGEST", timestamp=ts, name="eyes")
    assert "reactions" not in server.messages("C0DIGEST")[0]
    web.chat_delete(channel="C0DIGEST", ts=ts)
    assert server.messages("C0DIGEST") == []
    assert web.chat_postEphemeral(channel="C0SUPPORT", user="U0BOB", text="psst")["message_ts"]


def test_usergroups_users_update_changes_the_group(server: LocalSlack, web: WebClient) -> None:
    assert web.usergroups_users_list(usergroup="S0ONCALL")["users"] == ["U0ALICE"]
    resp = web.usergroups_users_update(usergroup="S0ONCALL", users=["U0BOB", "U0CAROL"])
    assert resp["usergroup"]["users"] == ["U0BOB", "U0CAROL"]
    assert web.usergroups_users_list(usergroup="S0ONCALL")["users"] == ["U0BOB", "U0CAROL"]
    group = server.world.group("oncall")
    assert group is not None
    assert group.users == ["U0BOB", "U0CAROL"]
    listed = web.usergroups_list(include_users=True)["usergroups"]
    assert {g["handle"]: g["users"] for g in listed}["oncall"] == ["U0BOB", "U0CAROL"]
    with pytest.raises(SlackApiError, match="invalid_users"):
        web.usergroups_users_update(usergroup="S0ONCALL", users=["U0GHOST"])
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        web.usergroups_users_list(usergroup="S0NOPE")


def test_files_upload_v2_round_trip(server: LocalSlack, web: WebClient) -> None:
    root = server.post("U0ALICE", "C0DIGEST", "digest please")
    resp = web.files_upload_v2(
        channel="C0DIGEST",
        thread_ts=root,
        filename="digest.csv",
        title="Weekly digest",
        content="ticket,owner\n1,alice\n",
    )
    assert resp["file"]["title"] == "Weekly digest"
    [upload] = server.files
    assert upload.content == b"ticket,owner\n1,alice\n"
    assert (upload.channel, upload.thread_ts) == ("C0DIGEST", root)
    assert (upload.filename, upload.title) == ("digest.csv", "Weekly digest")
    methods = [c.method for c in server.calls]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]


def test_ts_values_are_unique_and_increasing(server: LocalSlack) -> None:
    stamps = [server.post("U0BOB", "C0GENERAL", f"n{i}") for i in range(200)]
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    assert [float(t) for t in stamps] == sorted({float(t) for t in stamps})


def test_posts_and_reactions_dated_in_the_past(
    server: LocalSlack, connect: Callable[[], Inbox]
) -> None:
    now = server.post("U0BOB", "C0SUPPORT", "now")
    then = datetime(2026, 11, 24, 9, 0, 0, 123456, tzinfo=UTC)
    old = server.post("U0ALICE", "C0SUPPORT", "an hour ago", at=then)
    again = server.post("U0BOB", "C0SUPPORT", "the same instant", at=then)
    eyes = server.react("U0BOB", "C0SUPPORT", old, "eyes", at=then + timedelta(minutes=1))
    later = server.post("U0BOB", "C0SUPPORT", "after")
    assert (old, again, eyes) == ("1795510800.123456", "1795510800.123457", "1795510860.123456")
    assert float(later) > float(now) > float(eyes)  # undated stamps keep increasing
    with pytest.raises(ValueError, match="naive"):
        server.post("U0BOB", "C0SUPPORT", "when?", at=then.replace(tzinfo=None))
    inbox = connect()
    events = [inbox.event(e) for e in inbox.wait(5)]
    assert [(e.get("ts"), e.get("event_ts")) for e in events] == [
        (now, now),
        (old, old),
        (again, again),
        (None, eyes),
        (later, later),
    ]
    assert events[3]["item"] == {"type": "message", "channel": "C0SUPPORT", "ts": old}


def test_world_mentions() -> None:
    world = World.default()
    assert world.mention_group("oncall") == "<!subteam^S0ONCALL|@oncall>"
    assert world.mention_user("U0ALICE") == "<@U0ALICE>"
    devs = world.group("devs")
    assert devs is not None
    assert len(devs.users) > 1


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
        assert inbox.wait(3) == [unacked, unacked, queued]
        again = [f for f in inbox.frames if f.get("envelope_id") == unacked][1]
        assert (again["retry_attempt"], again["retry_reason"]) == (1, "timeout")
        assert server.wait_for(lambda s: {unacked, queued} <= set(s.acks))
    finally:
        client.close()
