"""The Mattermost chat port and REST client against the local Mattermost server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchstander.adapters.mattermost_api import MattermostApi, MattermostApiError
from watchstander.adapters.mattermost_chat import (
    MattermostChat,
    MattermostGroup,
    MattermostPeople,
    group_handles,
)
from watchstander.inbound.mattermost import post_ts
from watchstander.services.effects import ChatError, ThreadReader
from watchstander_sandbox.mattermost import LocalMattermost


def api_on(server: LocalMattermost, token: str | None = None) -> MattermostApi:
    api = MattermostApi(server.url, token or server.bot_token, proxies=False)
    api.connect(server.world.team.name)
    return api


def test_a_wrong_token_is_a_401(mattermost: LocalMattermost) -> None:
    with pytest.raises(MattermostApiError) as refused:
        api_on(mattermost, "wrong" * 5 + "x")
    assert refused.value.status == 401
    assert "wrong" not in str(refused.value)


def test_posts_replies_edits_and_links(mattermost: LocalMattermost) -> None:
    api = api_on(mattermost)
    chat = MattermostChat(api, site_url=mattermost.url)
    support = chat.channel_id("support")
    root = mattermost.post("carol", "support", "@oncall it is down")
    root_ts = post_ts(root, mattermost.post_by_id(root)["create_at"])
    fresh = api_on(mattermost)  # knows no post yet: finds the root by its ts over REST
    ts = MattermostChat(fresh, site_url=mattermost.url).post(support, root_ts, "on it")
    assert ts is not None
    (reply,) = mattermost.messages("support", root)
    assert reply["message"] == "on it"
    chat.update(support, ts, "on it, really")
    assert mattermost.messages("support", root)[0]["message"] == "on it, really"
    assert chat.link(support, root_ts).endswith(f"/{mattermost.world.team.name}/pl/{root}")
    with pytest.raises(ChatError):
        chat.post(support, "1.000000", "lost")  # no such thread: said, not posted at the top


def test_a_long_text_goes_in_parts(mattermost: LocalMattermost) -> None:
    api = api_on(mattermost)
    chat = MattermostChat(api, site_url=mattermost.url)
    support = chat.channel_id("support")
    chat.post(support, None, ("line\n" * 5000).strip())
    posts = [p for p in mattermost.messages("support") if p["user_id"] == api.me["id"]]
    assert len(posts) == 2
    assert all(len(p["message"]) <= 16_383 for p in posts)


def test_a_whisper_without_ephemeral_posts_is_a_direct_message(
    mattermost: LocalMattermost,
) -> None:
    api = api_on(mattermost)
    chat = MattermostChat(api, site_url=mattermost.url)
    support = chat.channel_id("support")
    alice = mattermost.user_id("alice")
    chat.whisper(support, None, alice, "only for you")
    chat.whisper(support, None, alice, "and this")
    direct = mattermost.world.direct(alice, api.me["id"]).id
    assert [p["message"] for p in mattermost.messages(direct)] == ["only for you", "and this"]
    assert len(mattermost.calls_to("POST /api/v4/posts/ephemeral")) == 1  # asked once
    assert not [p for p in mattermost.messages("support") if p["user_id"] == api.me["id"]]


def test_pictures_are_uploaded_into_the_thread(mattermost: LocalMattermost) -> None:
    api = api_on(mattermost)
    chat = MattermostChat(api, site_url=mattermost.url)
    support = chat.channel_id("support")
    root = mattermost.post("carol", "support", "figures?")
    root_ts = api.ts_of(root)
    assert root_ts is not None
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    assert chat.upload(support, root_ts, [("week.png", png, "This week")]) == 1
    (post,) = mattermost.messages("support", root)
    assert post["message"] == "This week"
    (info,) = post["metadata"]["files"]
    assert mattermost.stored_file(info["id"]).content == png  # type: ignore[union-attr]


def test_people_and_groups(mattermost: LocalMattermost) -> None:
    api = api_on(mattermost)
    people = MattermostPeople(api)
    alice = mattermost.user_id("alice")
    assert people.exists(alice)
    assert people.name(alice) == "Alice Jansen"
    email = people.email_of(alice)
    assert email is not None
    assert people(email) == alice
    mattermost.deactivate("frank", True)
    mattermost.deactivate("frank")
    assert not people.exists(mattermost.user_id("frank"))
    assert not people.exists("z" * 26)
    assert "oncall" in group_handles(api).values()
    mattermost.set_custom_groups("unlicensed")
    assert group_handles(api_on(mattermost)) == {}


def test_the_oncall_group_is_kept_to_one_person(mattermost: LocalMattermost) -> None:
    api = api_on(mattermost)
    group = MattermostGroup(api, "oncall")  # by name; an id works too
    alice, dave = mattermost.user_id("alice"), mattermost.user_id("dave")
    assert group.members() == [alice]
    group.set_members([dave])
    assert group.members() == [dave]
    assert mattermost.world.group("oncall").members == [dave]  # type: ignore[union-attr]
    mattermost.set_custom_groups("unlicensed")
    with pytest.raises(ChatError):
        MattermostGroup(api_on(mattermost), "oncall").members()


def test_the_thread_is_read_back_for_what_the_bot_said(mattermost: LocalMattermost) -> None:
    """What a process that stopped half-way owed is looked for in its thread first."""
    api = api_on(mattermost)
    chat = MattermostChat(api, site_url=mattermost.url)
    assert isinstance(chat, ThreadReader)
    support = chat.channel_id("support")
    root = mattermost.post("carol", "support", "@oncall it is down")
    root_ts = post_ts(root, mattermost.post_by_id(root)["create_at"])
    before = datetime.now(UTC) - timedelta(minutes=1)
    chat.post(support, root_ts, "🔔 Urgent: on it")
    mattermost.post("dave", "support", "🔔 Urgent: not the bot", root_id=root)
    fresh = MattermostChat(api_on(mattermost), site_url=mattermost.url)  # a new process
    assert fresh.bot_said(support, root_ts, "🔔 Urgent: on it", before)
    assert not fresh.bot_said(support, root_ts, "🔔 Urgent: not the bot", before)  # not ours
    assert not fresh.bot_said(support, root_ts, "🔔 Urgent: never said", before)
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert not fresh.bot_said(support, root_ts, "🔔 Urgent: on it", later)  # said before that
    with pytest.raises(ChatError):
        fresh.bot_said(support, "1.000000", "lost", before)
