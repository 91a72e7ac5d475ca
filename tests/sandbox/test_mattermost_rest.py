"""LocalMattermost's REST API v4 subset through a real HTTP client: each route's answer and
its errors (401, 403, 404, 400), Mattermost's shapes, and the injected faults."""

from __future__ import annotations

import pytest
from mattermost_clients import Api

from watchstander_sandbox.mattermost import MAX_POST_CHARS, LocalMattermost

# ------------------------------------------------------------------------ sessions


@pytest.mark.parametrize("token", [None, "not-a-token", "deactivated"])
def test_a_missing_wrong_or_deactivated_token_is_401(
    mattermost: LocalMattermost, token: str | None
) -> None:
    if token == "deactivated":
        token = mattermost.token_for("bob")
        mattermost.deactivate("bob")
    client = Api(mattermost, token)
    resp = client.get("/users/me")
    client.session.close()
    assert resp.status_code == 401
    body = resp.json()
    assert body["id"] == "api.context.session_expired.app_error"
    assert body["status_code"] == 401
    assert set(body) == {"id", "message", "detailed_error", "request_id", "status_code"}
    assert body["request_id"] == resp.headers["X-Request-Id"]
    assert [c.status for c in mattermost.calls_to("GET /api/v4/users/me")] == [401]


def test_unknown_route_and_bad_json(mm_api: Api) -> None:
    missing = mm_api.get("/pins")
    assert (missing.status_code, missing.json()["id"]) == (404, "api.context.404.app_error")
    bad = mm_api.post("/posts", data="{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400


# --------------------------------------------------------------------------- users


def test_users_by_me_id_ids_username_and_email(mm_api: Api, mattermost: LocalMattermost) -> None:
    me = mm_api.ok("GET", "/users/me")
    assert (me["username"], me["is_bot"], me["delete_at"]) == ("watchstander", True, 0)
    alice = mattermost.user_id("alice")
    assert mm_api.ok("GET", f"/users/{alice}")["email"] == "alice@example.com"
    assert mm_api.ok("GET", "/users/username/carol")["first_name"] == "Carol"
    assert mm_api.ok("GET", "/users/email/dave@example.com")["username"] == "dave"
    frank = mm_api.ok("GET", "/users/username/frank")
    assert frank["delete_at"] > 0  # deactivated, still found
    found = mm_api.ok("POST", "/users/ids", json=[alice, frank["id"], "x" * 26])
    assert [u["username"] for u in found] == ["alice", "frank"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/users/" + "x" * 26, 404),
        ("/users/short", 400),
        ("/users/username/nobody", 404),
        ("/users/email/nobody@example.com", 404),
    ],
)
def test_user_lookup_errors(mm_api: Api, path: str, status: int) -> None:
    resp = mm_api.get(path)
    assert resp.status_code == status
    assert resp.json()["status_code"] == status


def test_users_by_ids_wants_a_list_of_ids(mm_api: Api) -> None:
    assert mm_api.post("/users/ids", json=[]).status_code == 400
    assert mm_api.post("/users/ids", json={"ids": ["x"]}).status_code == 400


# ------------------------------------------------------------------ teams, channels


def test_team_and_channels_by_name_and_id(mm_api: Api, mattermost: LocalMattermost) -> None:
    team = mm_api.ok("GET", "/teams/name/watchstander")
    assert team["id"] == mattermost.world.team.id
    support = mm_api.ok("GET", f"/teams/{team['id']}/channels/name/support")
    assert (support["type"], support["team_id"], support["header"]) == (
        "O",
        team["id"],
        "Ask us anything",
    )
    assert mm_api.ok("GET", f"/channels/{support['id']}")["name"] == "support"
    assert mm_api.get("/teams/name/elsewhere").status_code == 404
    missing = mm_api.get(f"/teams/{team['id']}/channels/name/nowhere")
    assert (missing.status_code, missing.json()["id"]) == (
        404,
        "app.channel.get_by_name.missing.app_error",
    )
    assert mm_api.get("/channels/" + "x" * 26).status_code == 404


def test_direct_channel_between_two_users(mm_api: Api, mattermost: LocalMattermost) -> None:
    bot, carol = mattermost.world.bot.id, mattermost.user_id("carol")
    dm = mm_api.ok("POST", "/channels/direct", 201, json=[bot, carol])
    assert (dm["type"], dm["team_id"], dm["name"]) == ("D", "", "__".join(sorted([bot, carol])))
    assert mm_api.ok("POST", "/channels/direct", 201, json=[carol, bot])["id"] == dm["id"]
    others = [mattermost.user_id("alice"), carol]
    assert mm_api.post("/channels/direct", json=others).status_code == 403
    assert mm_api.post("/channels/direct", json=[bot]).status_code == 400
    assert mm_api.post("/channels/direct", json=[bot, "x" * 26]).status_code == 400


# --------------------------------------------------------------------------- posts


def test_create_get_thread_and_channel_posts(mm_api: Api, mattermost: LocalMattermost) -> None:
    support = mattermost.channel_id("support")
    root = mattermost.post("alice", "support", "the report is wrong")
    reply = mm_api.ok(
        "POST", "/posts", 201, json={"channel_id": support, "message": "looking", "root_id": root}
    )
    assert (reply["root_id"], reply["user_id"]) == (root, mattermost.world.bot.id)
    later = mattermost.post("bob", "support", "me too", root)
    got = mm_api.ok("GET", f"/posts/{root}")
    assert (got["message"], got["reply_count"]) == ("the report is wrong", 2)
    thread = mm_api.ok("GET", f"/posts/{later}/thread")
    assert thread["order"] == [later, reply["id"], root]  # newest first
    assert set(thread["posts"]) == {root, reply["id"], later}
    listing = mm_api.ok("GET", f"/channels/{support}/posts", params={"per_page": 2})
    assert listing["order"] == [later, reply["id"]]
    assert root in listing["posts"]  # the thread's root comes along
    assert listing["prev_post_id"] == root
    page = mm_api.ok("GET", f"/channels/{support}/posts", params={"per_page": 2, "page": 1})
    assert page["order"] == [root]
    since = mm_api.ok("GET", f"/channels/{support}/posts", params={"since": reply["create_at"]})
    assert since["order"] == [later]
    assert [m["id"] for m in mattermost.messages("support", root)] == [reply["id"], later]


def test_post_errors(mm_api: Api, mattermost: LocalMattermost) -> None:
    support = mattermost.channel_id("support")
    assert mm_api.ok("POST", "/posts", 201, json={"channel_id": support, "message": "x" * 16_383})
    too_long = mm_api.post("/posts", json={"channel_id": support, "message": "x" * (16_383 + 1)})
    assert (too_long.status_code, too_long.json()["id"]) == (
        400,
        "model.post.is_valid.msg.app_error",
    )
    assert MAX_POST_CHARS == 16_383
    root = mattermost.post("alice", "support", "root")
    reply = mattermost.post("bob", "support", "reply", root)
    for bad_root in ("x" * 26, reply):
        resp = mm_api.post(
            "/posts", json={"channel_id": support, "message": "m", "root_id": bad_root}
        )
        assert resp.json()["id"] == "api.post.create_post.root_id.app_error"
    digest = mattermost.channel_id("support-digest")
    wrong = mm_api.post("/posts", json={"channel_id": digest, "message": "m", "root_id": root})
    assert wrong.json()["id"] == "api.post.create_post.channel_root_id.app_error"
    off_topic = mattermost.channel_id("off-topic")  # the bot is not a member
    assert mm_api.post("/posts", json={"channel_id": off_topic, "message": "m"}).status_code == 403
    assert mm_api.post("/posts", json={"message": "m"}).status_code == 400
    assert mm_api.get("/posts/" + "x" * 26).status_code == 404
    assert mm_api.get("/posts/nope").status_code == 400


def test_patch_edits_own_posts_only(mm_api: Api, mattermost: LocalMattermost) -> None:
    support = mattermost.channel_id("support")
    mine = mm_api.ok("POST", "/posts", 201, json={"channel_id": support, "message": "draft"})
    edited = mm_api.ok("PUT", f"/posts/{mine['id']}/patch", json={"message": "final"})
    assert (edited["message"], edited["edit_at"] > 0) == ("final", True)
    assert mattermost.post_by_id(mine["id"])["message"] == "final"
    theirs = mattermost.post("alice", "support", "hers")
    assert mm_api.put(f"/posts/{theirs}/patch", json={"message": "mine now"}).status_code == 403
    too_long = mm_api.put(f"/posts/{mine['id']}/patch", json={"message": "x" * 16_384})
    assert too_long.status_code == 400
    assert mm_api.put("/posts/" + "x" * 26 + "/patch", json={"message": "m"}).status_code == 404


# ----------------------------------------------------------------------- reactions


def test_reactions_add_list_remove(mm_api: Api, mattermost: LocalMattermost) -> None:
    bot = mattermost.world.bot.id
    post = mattermost.post("alice", "support", "help")
    body = {"user_id": bot, "post_id": post, "emoji_name": "eyes"}
    added = mm_api.ok("POST", "/reactions", 201, json=body)
    assert (added["emoji_name"], added["user_id"], added["post_id"]) == ("eyes", bot, post)
    mm_api.ok("POST", "/reactions", 201, json=body)  # the same again: still one
    mattermost.react("bob", post, "white_check_mark")
    listed = mm_api.ok("GET", f"/posts/{post}/reactions")
    assert sorted(r["emoji_name"] for r in listed) == ["eyes", "white_check_mark"]
    assert mm_api.ok("GET", f"/posts/{post}")["metadata"]["reactions"]
    removed = mm_api.ok("DELETE", f"/users/{bot}/posts/{post}/reactions/eyes")
    assert removed == {"status": "OK"}
    assert [r["emoji_name"] for r in mattermost.reactions(post)] == ["white_check_mark"]


def test_reaction_errors(mm_api: Api, mattermost: LocalMattermost) -> None:
    bot, bob = mattermost.world.bot.id, mattermost.user_id("bob")
    post = mattermost.post("alice", "support", "help")
    as_bob = mm_api.post("/reactions", json={"user_id": bob, "post_id": post, "emoji_name": "eyes"})
    assert as_bob.status_code == 403
    bad = mm_api.post("/reactions", json={"user_id": bot, "post_id": post, "emoji_name": "no way"})
    assert bad.status_code == 400
    unknown = {"user_id": bot, "post_id": "x" * 26, "emoji_name": "eyes"}
    assert mm_api.post("/reactions", json=unknown).status_code == 404
    assert mm_api.delete(f"/users/{bob}/posts/{post}/reactions/eyes").status_code == 403


# --------------------------------------------------------------------------- files


def test_upload_a_file_and_post_it(mm_api: Api, mattermost: LocalMattermost) -> None:
    support = mattermost.channel_id("support")
    uploaded = mm_api.ok(
        "POST",
        "/files",
        201,
        data={"channel_id": support},
        files={"files": ("week.png", b"\x89PNG picture", "image/png")},
    )
    info = uploaded["file_infos"][0]
    assert (info["name"], info["size"], info["mime_type"]) == ("week.png", 12, "image/png")
    post = mm_api.ok(
        "POST",
        "/posts",
        201,
        json={"channel_id": support, "message": "the week", "file_ids": [info["id"]]},
    )
    assert post["file_ids"] == [info["id"]]
    assert post["metadata"]["files"][0]["post_id"] == post["id"]
    assert mm_api.get(f"/files/{info['id']}").content == b"\x89PNG picture"
    assert mm_api.ok("GET", f"/files/{info['id']}/info")["post_id"] == post["id"]
    no_channel = mm_api.post("/files", files={"files": ("a.txt", b"a", "text/plain")})
    assert no_channel.status_code == 400
    assert mm_api.get("/files/" + "x" * 26).status_code == 404


# -------------------------------------------------------------------------- groups


def test_custom_groups_where_the_server_has_them(mm_api: Api, mattermost: LocalMattermost) -> None:
    groups = mm_api.ok("GET", "/groups", params={"q": "on", "include_member_count": "true"})
    assert [(g["name"], g["member_count"], g["source"]) for g in groups] == [
        ("oncall", 1, "custom")
    ]
    oncall = groups[0]["id"]
    members = mm_api.ok("GET", f"/groups/{oncall}/members")
    assert [m["username"] for m in members["members"]] == ["alice"]
    bob = mattermost.user_id("bob")
    assert mm_api.ok("POST", f"/groups/{oncall}/members", json={"user_ids": [bob]})[0]["user_id"]
    assert mm_api.ok("GET", f"/groups/{oncall}/members")["total_member_count"] == 2
    mm_api.ok("DELETE", f"/groups/{oncall}/members", json={"user_ids": [bob]})
    assert mattermost.world.group("oncall").members == [mattermost.user_id("alice")]  # type: ignore[union-attr]
    assert [g["name"] for g in mm_api.ok("GET", f"/users/{bob}/groups")] == ["devs"]
    assert mm_api.get("/groups/" + "x" * 26).status_code == 404
    assert mm_api.post(f"/groups/{oncall}/members", json={"user_ids": []}).status_code == 400


def test_no_custom_groups_on_an_unlicensed_or_configured_off_server(
    mm_api: Api, mattermost: LocalMattermost
) -> None:
    oncall = mattermost.world.group("oncall").id  # type: ignore[union-attr]
    mattermost.set_custom_groups("unlicensed")
    for path in ("/groups", f"/groups/{oncall}/members", f"/users/{oncall}/groups"):
        resp = mm_api.get(path)
        assert (resp.status_code, resp.json()["id"]) == (501, "api.license_error")
    mattermost.set_custom_groups("disabled")
    custom = mm_api.get("/groups", params={"group_source": "custom"})
    assert (custom.status_code, custom.json()["id"]) == (
        400,
        "api.custom_groups.feature_disabled",
    )
    assert mm_api.ok("GET", "/groups") == []


# -------------------------------------------------------------------------- faults


def test_fail_next_answers_once_then_heals(mm_api: Api, mattermost: LocalMattermost) -> None:
    support = mattermost.channel_id("support")
    mattermost.fail_next("/api/v4/posts", 500, method="POST")
    failed = mm_api.post("/posts", json={"channel_id": support, "message": "first"})
    assert (failed.status_code, failed.json()["status_code"]) == (500, 500)
    assert mattermost.messages("support") == []
    mm_api.ok("POST", "/posts", 201, json={"channel_id": support, "message": "again"})
    mattermost.fail_next("/api/v4/posts/{post_id}", 503, body="maintenance", times=2)
    post = mattermost.messages("support")[0]["id"]
    assert [mm_api.get(f"/posts/{post}").status_code for _ in range(3)] == [503, 503, 200]
    assert [c.status for c in mattermost.calls_to("POST /api/v4/posts")] == [500, 201]
    assert len(mattermost.failed) == 3


def test_rate_limit_answers_429_with_mattermost_headers(
    mm_api: Api, mattermost: LocalMattermost
) -> None:
    mattermost.rate_limit(0.5, burst=2)
    first = mm_api.get("/users/me")
    assert first.status_code == 200
    assert first.headers["X-Ratelimit-Limit"] == "3"
    assert mm_api.get("/users/me").status_code == 200
    limited = mm_api.get("/users/me")
    assert (limited.status_code, limited.text) == (429, "limit exceeded\n")
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-Ratelimit-Remaining"] == "0"
    assert "X-Ratelimit-Reset" in limited.headers
    assert len(mattermost.limited) == 1
    mattermost.rate_limit(None)
    assert mm_api.get("/users/me").status_code == 200


def test_users_listed_by_page_in_team_active_or_inactive(
    mm_api: Api, mattermost: LocalMattermost
) -> None:
    team = mattermost.world.team.id
    everyone = mm_api.ok("GET", "/users")
    names = [u["username"] for u in everyone]
    assert names == sorted(names)  # by username, as Mattermost lists them
    assert {"watchstander", "frank"} <= set(names)  # bots and the deactivated too
    active = mm_api.ok("GET", f"/users?in_team={team}&active=true")
    assert "frank" not in [u["username"] for u in active]
    assert len(active) == len(everyone) - 1
    assert [u["username"] for u in mm_api.ok("GET", "/users?inactive=true")] == ["frank"]
    pages = [mm_api.ok("GET", f"/users?per_page=3&page={p}") for p in range(3)]
    assert [u["username"] for page in pages for u in page] == names
    assert [len(page) for page in pages] == [3, 3, 1]
    for query, status in (
        ("active=true&inactive=true", 400),
        ("in_team=nope", 400),
        (f"in_team={'x' * 26}", 403),
        ("page=-1", 400),
        ("active=maybe", 400),
    ):
        assert mm_api.get(f"/users?{query}").status_code == status, query


def test_a_create_sent_again_with_its_pending_post_id_makes_one_post(
    mm_api: Api, mattermost: LocalMattermost
) -> None:
    support = mattermost.channel_id("support")
    body = {"channel_id": support, "message": "once", "pending_post_id": "abc:1"}
    first = mm_api.ok("POST", "/posts", 201, json=body)
    again = mm_api.ok("POST", "/posts", 201, json=body)
    other = mm_api.ok("POST", "/posts", 201, json={**body, "pending_post_id": "abc:2"})
    assert again["id"] == first["id"] != other["id"]
    assert [p["message"] for p in mattermost.messages("support")] == ["once", "once"]
    assert mattermost.deduplicated == 1


def test_a_fault_done_then_answered_late(mm_api: Api, mattermost: LocalMattermost) -> None:
    support = mattermost.channel_id("support")
    mattermost.fail_next("/api/v4/posts", 502, method="POST", done=True)
    resp = mm_api.post("/posts", json={"channel_id": support, "message": "made"})
    assert resp.status_code == 502
    assert [p["message"] for p in mattermost.messages("support")] == ["made"]
