"""`watchstander check` on Mattermost: the settings it needs, and whether Mattermost answers
with them (the token, the team, the support channel, custom groups). Never prints a secret."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from watchstander.adapters.mattermost_api import MattermostApi, MattermostApiError
from watchstander.adapters.mattermost_chat import group_handles
from watchstander.settings import Settings

USER_ID = re.compile(r"^[a-z0-9]{26}$")
SHOWN = 100  # people listed at most with --people
PAGE = 200  # people asked for at a time (Mattermost's most)
PAGES = 50  # pages read at most: 10,000 people


def mattermost_lines(
    settings: Settings, env: Mapping[str, str], people: bool = False
) -> Iterator[tuple[str, str]]:
    """(state, text) lines: "ok", "wrong", "off" or "info"."""
    for name, values in (
        ("ROTATION_ADMINS", settings.rotation_admins),
        ("BOT_ADMINS", settings.bot_admins),
    ):
        for value in values:
            if not USER_ID.match(value):
                yield "wrong", f"{name}: '{value[:40]}' is not a Mattermost user id"
    if not settings.rotation_admins and not settings.bot_admins:
        yield "wrong", "ROTATION_ADMINS: nobody may set the rotation (give Mattermost user ids)"
    if not settings.oncall_usergroup_id:
        yield "off", "ONCALL_USERGROUP_ID is not set: the bot does not keep @oncall"
    yield "info", f"SUPPORT_CHANNEL: ~{settings.support_channel}; TIMEZONE: {settings.timezone}"
    url, token, team = (env.get(n, "").strip() for n in ("MATTERMOST_URL", "MATTERMOST_TOKEN",
                                                        "MATTERMOST_TEAM"))  # fmt: skip
    missing = [n for n, v in (("MATTERMOST_URL", url), ("MATTERMOST_TOKEN", token),
                              ("MATTERMOST_TEAM", team)) if not v]  # fmt: skip
    for name in missing:
        yield "wrong", f"{name} is not set"
    if missing:
        return
    api = MattermostApi(url, token)
    try:
        api.connect(team)
    except MattermostApiError as exc:
        yield "wrong", f"Mattermost at {url}: {exc}"
        return
    yield "ok", f"Mattermost token: @{api.me.get('username')} in team {api.team.get('name')}"
    try:
        yield "ok", f"~{settings.support_channel}: {api.channel_id(settings.support_channel)}"
    except MattermostApiError as exc:
        yield "wrong", f"~{settings.support_channel}: {exc}"
    handles = group_handles(api)
    if handles:
        listed = ", ".join(f"@{h} ({i})" for i, h in sorted(handles.items(), key=lambda x: x[1]))
        yield "ok", f"Custom groups: {listed}"
    else:
        yield "off", "Custom groups: none (a Professional server has them; @oncall is read anyway)"
    if people:
        yield _people(api)
    api.close()


def _people(api: MattermostApi) -> tuple[str, str]:
    """The team's active people (not bots), with their ids for ROTATION_ADMINS: how many, and
    the first SHOWN by username."""
    team = api.team.get("id")
    found: list[Mapping[str, object]] = []
    try:
        for page in range(PAGES):
            batch = api.call(
                "GET", f"/users?in_team={team}&active=true&page={page}&per_page={PAGE}"
            )
            found += [u for u in batch or [] if isinstance(u, Mapping) and not u.get("is_bot")]
            if len(batch or []) < PAGE:
                break
    except MattermostApiError as exc:
        return "wrong", f"People: {exc}"
    if not found:
        return "wrong", "People: nobody active in the team"
    listed = ", ".join(f"@{u.get('username')} ({u.get('id')})" for u in found[:SHOWN])
    more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return "ok", f"People ({len(found)} active): {listed}{more}"
