"""`watchstander check` on Mattermost, against the local Mattermost server."""

from __future__ import annotations

from watchstander.check import check
from watchstander_sandbox.mattermost import LocalMattermost


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
