"""`watchstander check` on Mattermost, against the local Mattermost server."""

from __future__ import annotations

from watchstander.check import check
from watchstander_sandbox.mattermost import LocalMattermost, User, World


def env_for(server: LocalMattermost, **more: str) -> dict[str, str]:
    return {
        "WATCHSTANDER_CHAT": "mattermost",
        "MATTERMOST_URL": server.url,
        "MATTERMOST_TOKEN": server.bot_token,
        "MATTERMOST_TEAM": server.world.team.name,
        "ROTATION_ADMINS": server.user_id("alice"),
        "ONCALL_USERGROUP_ID": "oncall",
        **more,
    }


def test_a_good_install(mattermost: LocalMattermost) -> None:
    lines = check(env_for(mattermost))
    text = "\n".join(str(line) for line in lines)
    assert not [line for line in lines if line.state == "wrong"], text
    assert "✓ Mattermost token: @watchstander in team watchstander" in text
    assert "@oncall" in text
    assert "SLACK" not in text


def test_a_wrong_token_and_wrong_ids(mattermost: LocalMattermost) -> None:
    token = "n0tthetoken0000000000000000"
    lines = check(env_for(mattermost, MATTERMOST_TOKEN=token, ROTATION_ADMINS="U0ALICE"))
    wrong = [line.text for line in lines if line.state == "wrong"]
    assert any("U0ALICE" in t and "Mattermost user id" in t for t in wrong), wrong
    assert any("401" in t for t in wrong), wrong
    assert token not in "\n".join(str(line) for line in lines)


def test_people_lists_the_teams_active_people_with_their_ids(mattermost: LocalMattermost) -> None:
    lines = check(env_for(mattermost), people=True)
    (people,) = [line for line in lines if line.text.startswith("People")]
    assert people.state == "ok", people
    assert f"@alice ({mattermost.user_id('alice')})" in people.text
    assert "@frank" not in people.text  # deactivated
    assert "@watchstander" not in people.text  # the bot
    assert people.text.startswith("People (5 active): @alice")


def test_people_reads_every_page() -> None:
    world = World.default()
    world.people += [User(f"person{n:03d}") for n in range(250)]
    with LocalMattermost(world=world) as server:
        lines = check(env_for(server), people=True)
        (people,) = [line for line in lines if line.text.startswith("People")]
        pages = [c.params.get("page") for c in server.calls_to("GET /api/v4/users")]
    assert people.text.startswith("People (255 active): "), people.text[:80]
    assert people.text.endswith(" and 155 more")
    assert pages == ["0", "1"]


def test_people_when_mattermost_refuses(mattermost: LocalMattermost) -> None:
    mattermost.fail_next("/api/v4/users", 403)
    lines = check(env_for(mattermost), people=True)
    (people,) = [line for line in lines if line.text.startswith("People")]
    assert people.state == "wrong"
    assert "403" in people.text
