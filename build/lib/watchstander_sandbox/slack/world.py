"""The sandbox workspace: its people (and the bot's own user), channels and user groups, as
the `World` dataclass, with the Web API's shapes of each; and the records the server keeps of
what the bot did (`Call`, `UploadedFile`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

CREATED = 1_700_000_000  # a fixed "created" epoch for the sandbox's objects


class SlackError(Exception):
    """A Slack error code; Web API methods answer it as ``{"ok": false, "error": code}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _false(names: str) -> JSON:
    return dict.fromkeys(names.split(), False)


@dataclass
class Member:
    """A user of the workspace (a person, or the bot's own user)."""

    id: str
    name: str
    real_name: str
    display_name: str = ""
    email: str = ""
    title: str = ""
    tz: str = "Europe/Amsterdam"
    tz_label: str = "Central European Time"
    tz_offset: int = 3600
    is_bot: bool = False
    bot_id: str = ""
    app_id: str = ""
    deleted: bool = False  # deactivated: users.info still answers, with deleted true

    def to_api(self, team_id: str) -> JSON:
        """The user object of users.info / users.list."""
        first, _, last = self.real_name.partition(" ")
        profile: JSON = {
            "title": self.title, "phone": "", "skype": "", "real_name": self.real_name,
            "real_name_normalized": self.real_name, "display_name": self.display_name,
            "display_name_normalized": self.display_name, "fields": None, "status_text": "",
            "status_emoji": "", "status_expiration": 0, "avatar_hash": "g" + self.id[-6:].lower(),
            "first_name": first, "last_name": last, "team": team_id,
            "image_72": f"https://avatars.sandbox.slack.com/{self.id}_72.png",
        }  # fmt: skip
        if self.is_bot:
            profile.update(bot_id=self.bot_id, api_app_id=self.app_id, always_active=True)
        else:
            profile["email"] = self.email
        return {
            "id": self.id, "team_id": team_id, "name": self.name, "deleted": self.deleted,
            "color": "9f69e7", "real_name": self.real_name, "tz": self.tz,
            "tz_label": self.tz_label, "tz_offset": self.tz_offset, "profile": profile,
            **_false("is_admin is_owner is_primary_owner is_restricted is_ultra_restricted"),
            "is_bot": self.is_bot, "is_app_user": False, "updated": CREATED,
            "is_email_confirmed": not self.is_bot,
        }  # fmt: skip


@dataclass
class Channel:
    """A conversation: public or private channel, or a direct message (``D…``) with `user`."""

    id: str
    name: str = ""
    topic: str = ""
    purpose: str = ""
    is_private: bool = False
    is_member: bool = True
    members: list[str] = field(default_factory=list)
    user: str = ""

    @property
    def is_im(self) -> bool:
        return self.id.startswith("D")

    @property
    def channel_type(self) -> str:  # as in Events API ``channel_type``
        return "im" if self.is_im else "group" if self.is_private else "channel"

    @property
    def kind(self) -> str:  # as in conversations.list ``types``
        return "im" if self.is_im else "private_channel" if self.is_private else "public_channel"

    def to_api(self, team_id: str) -> JSON:
        """The conversation object of conversations.info / conversations.list."""
        if self.is_im:
            return {
                "id": self.id, "created": CREATED, "is_im": True, "is_org_shared": False,
                "user": self.user, "is_user_deleted": False, "priority": 0,
            }  # fmt: skip
        meta = {"creator": "U0ALICE", "last_set": CREATED}
        return {
            "id": self.id, "name": self.name, "name_normalized": self.name,
            "is_channel": not self.is_private, "is_group": self.is_private,
            "is_private": self.is_private, "is_general": self.name == "general",
            **_false("is_im is_mpim is_archived is_shared is_ext_shared is_org_shared"),
            "is_pending_ext_shared": False, "is_member": self.is_member, "created": CREATED,
            "creator": "U0ALICE", "unlinked": 0, "context_team_id": team_id,
            "shared_team_ids": [team_id], "updated": CREATED * 1000, "parent_conversation": None,
            "topic": {"value": self.topic, **meta}, "purpose": {"value": self.purpose, **meta},
            "previous_names": [], "num_members": len(self.members),
        }  # fmt: skip


@dataclass
class UserGroup:
    id: str
    handle: str
    name: str
    description: str = ""
    users: list[str] = field(default_factory=list)
    date_update: int = CREATED

    def to_api(self, team_id: str, include_users: bool) -> JSON:
        """The user group object of usergroups.list / usergroups.users.update."""
        out: JSON = {
            "id": self.id, "team_id": team_id, "is_usergroup": True, "is_subteam": True,
            "name": self.name, "description": self.description, "handle": self.handle,
            "is_external": False, "date_create": CREATED, "date_update": self.date_update,
            "date_delete": 0, "auto_type": None, "auto_provision": False,
            "enterprise_subteam_id": "", "created_by": "U0ALICE", "updated_by": "U0ALICE",
            "deleted_by": None, "prefs": {"channels": [], "groups": []},
            "user_count": len(self.users), "channel_count": 0,
        }  # fmt: skip
        if include_users:
            out["users"] = list(self.users)
        return out


def _default_bot() -> Member:
    return Member(
        "UBOT0001", "watchstander", "Watchstander", is_bot=True, bot_id="BBOT0001",
        app_id="A0SANDBOX", tz="America/Los_Angeles", tz_label="Pacific Standard Time",
        tz_offset=-28800,
    )  # fmt: skip


@dataclass
class World:
    """The sandbox workspace. Mutate it before `LocalSlack.start`, or through the server."""

    team_id: str = "T0SANDBOX"
    team_name: str = "Watchstander Sandbox"
    team_domain: str = "sandbox"
    bot: Member = field(default_factory=_default_bot)
    people: list[Member] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    groups: list[UserGroup] = field(default_factory=list)

    @classmethod
    def default(cls) -> World:
        ams = ("Europe/Amsterdam", "Central European Time", 3600)
        lon = ("Europe/London", "Greenwich Mean Time", 0)
        nyc = ("America/New_York", "Eastern Standard Time", -18000)
        people = [
            ("U0ALICE", "alice", "Alice Jansen", "Site Reliability Engineer", ams),
            ("U0BOB", "bob", "Bob de Vries", "Backend Engineer", ams),
            ("U0CAROL", "carol", "Carol Smith", "Support Lead", lon),
            ("U0DAVE", "dave", "Dave Kowalski", "Platform Engineer", nyc),
            ("U0ERIN", "erin", "Erin Okafor", "Engineering Manager", ams),
        ]
        members = [
            Member(uid, name, real, name, f"{real.lower().replace(' ', '.')}@example.com",
                   title, tz, label, offset)
            for uid, name, real, title, (tz, label, offset) in people
        ]  # fmt: skip
        everyone = [m.id for m in members] + ["UBOT0001"]
        channels = [
            Channel("C0SUPPORT", "support", "Ask us anything", "Customer help", members=everyone),
            Channel("C0GENERAL", "general", "", "Company-wide announcements", members=everyone),
            Channel("C0DIGEST", "support-digest", "", "Daily support digests", members=everyone),
            Channel("C0RANDOM", "random", "", "Off-topic", is_member=False, members=everyone[:-1]),
        ]  # fmt: skip
        groups = [
            UserGroup("S0ONCALL", "oncall", "On-call", "Whoever holds the pager", ["U0ALICE"]),
            UserGroup("S0DEVS", "devs", "Developers", "Engineers", ["U0ALICE", "U0BOB", "U0DAVE"]),
        ]  # fmt: skip
        return cls(people=members, channels=channels, groups=groups)

    @property
    def app_id(self) -> str:
        return self.bot.app_id

    def user(self, uid: str) -> Member | None:
        return next((m for m in [self.bot, *self.people] if m.id == uid), None)

    def channel(self, ref: str) -> Channel | None:
        """By id, ``#name`` or name; ``D…`` ids of direct messages open on first use."""
        name = ref.removeprefix("#")
        found = next((c for c in self.channels if ref == c.id or (c.name and name == c.name)), None)
        if found is None and ref.startswith("D") and (who := self.user("U" + ref[1:])):
            found = self.im_with(who.id)
        return found

    def im_with(self, uid: str) -> Channel:
        """The bot's direct-message channel with `uid` (a stable ``D…`` id)."""
        cid = "D" + uid[1:]
        found = next((c for c in self.channels if c.id == cid), None)
        if found is None:
            found = Channel(cid, user=uid, is_private=True, members=[uid, self.bot.id])
            self.channels.append(found)
        return found

    def group(self, ref: str) -> UserGroup | None:
        return next((g for g in self.groups if ref in (g.id, g.handle)), None)

    def mention_group(self, handle: str) -> str:
        group = self.group(handle)
        if group is None:
            raise KeyError(f"no user group {handle!r}")
        return f"<!subteam^{group.id}|@{group.handle}>"

    @staticmethod
    def mention_user(uid: str) -> str:
        return f"<@{uid}>"


# ------------------------------------------------------------- what the server records


@dataclass(frozen=True)
class Call:
    """One Web API call as received: method, merged query/form/JSON params, arrival time."""

    method: str
    params: JSON
    at: float


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int
    content: bytes = b""
    title: str = ""
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False
