"""LocalSlack's Web API against the real slack_sdk WebClient: shapes, errors, pagination,
messages and reactions, user groups, files, timestamps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from slack_clients import LEGACY, Inbox
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from watchstander_sandbox.slack import LocalSlack, SlackError, World

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


def test_ephemerals_are_recorded_for_one_person_and_pushed_to_nobody(
    server: LocalSlack, web: WebClient
) -> None:
    root = server.post("U0CAROL", "C0SUPPORT", "help")
    pushed = len(server.envelopes)
    answer = web.chat_postEphemeral(channel="C0SUPPORT", user="U0BOB", text="psst", thread_ts=root)
    (shown,) = server.ephemerals("U0BOB")
    assert (shown["text"], shown["thread_ts"], shown["ts"]) == ("psst", root, answer["message_ts"])
    assert server.ephemerals("U0CAROL") == []
    assert len(server.envelopes) == pushed  # no event: nobody else sees it
    assert server.messages("C0SUPPORT", root) == []


def test_pressing_a_button_sends_a_block_actions_envelope(
    server: LocalSlack, web: WebClient
) -> None:
    button = {"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}}
    blocks = [{"type": "actions", "block_id": "b", "elements": [{**button, "value": "v"}]}]
    ts = web.chat_postMessage(channel="C0SUPPORT", text="press", blocks=blocks)["ts"]
    envelope_id = server.press("U0BOB", "C0SUPPORT", ts, "go")
    (envelope,) = [e for e in server.envelopes if e["envelope_id"] == envelope_id]
    assert envelope["type"] == "interactive"
    payload = envelope["payload"]
    assert (payload["type"], payload["user"]["id"], payload["container"]["message_ts"]) == (
        "block_actions",
        "U0BOB",
        ts,
    )
    assert (payload["actions"][0]["action_id"], payload["actions"][0]["value"]) == ("go", "v")
    with pytest.raises(SlackError, match="no_such_control"):
        server.press("U0BOB", "C0SUPPORT", ts, "elsewhere")


def test_pressing_a_button_on_an_ephemeral_message_only_its_person_can(
    server: LocalSlack, web: WebClient
) -> None:
    root = server.post("U0CAROL", "C0SUPPORT", "help")
    button = {"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}}
    blocks = [{"type": "actions", "block_id": "b", "elements": [{**button, "value": "v"}]}]
    shown = web.chat_postEphemeral(
        channel="C0SUPPORT", user="U0BOB", text="psst", blocks=blocks, thread_ts=root
    )["message_ts"]
    envelope_id = server.press("U0BOB", "C0SUPPORT", shown, "go")
    (envelope,) = [e for e in server.envelopes if e["envelope_id"] == envelope_id]
    payload = envelope["payload"]
    assert payload["container"] == {
        "type": "message",
        "message_ts": shown,
        "channel_id": "C0SUPPORT",
        "is_ephemeral": True,
        "thread_ts": root,
    }
    assert "message" not in payload  # Slack sends no copy of an ephemeral message
    assert payload["actions"][0]["value"] == "v"
    with pytest.raises(SlackError, match="message_not_found"):
        server.press("U0CAROL", "C0SUPPORT", shown, "go")  # not shown to Carol
