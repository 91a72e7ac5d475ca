"""The sandbox's Mattermost server: its team, people (and the bot's own user), channels and
custom user groups, as the `World` dataclass, with the REST API v4 shapes of each; Mattermost's
error bodies (`MattermostError`); and the records the server keeps of what was called (`Call`,
`StoredFile`).

Ids are Mattermost's: 26 characters of its base32 alphabet. The world's own ids are derived
from names (``stable_id``), so they are the same in every run; posts, reactions and files get
fresh ones (``new_id``).
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

CREATED = 1_700_000_000_000  # a fixed "create_at" (ms) for the world's objects
_ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"  # Mattermost's base32 alphabet for ids
_TRANS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET)
_ID = re.compile(r"^[a-z0-9]{26}$")


def _encode(raw: bytes) -> str:
    return base64.b32encode(raw).decode().translate(_TRANS)[:26]


def new_id() -> str:
    """A fresh id, as Mattermost's ``model.NewId``."""
    return _encode(uuid.uuid4().bytes)


def stable_id(name: str) -> str:
    """The same valid id for the same name in every run."""
    return _encode(hashlib.sha256(name.encode()).digest()[:16])


def valid_id(value: str) -> bool:
    return bool(_ID.match(value))


class MattermostError(Exception):
    """An error as Mattermost's ``AppError``: HTTP status, its id and message."""

    def __init__(self, status: int, error_id: str, message: str, detailed: str = "") -> None:
        super().__init__(f"{status} {error_id}: {message}")
        self.status, self.error_id, self.message, self.detailed = (
            status,
            error_id,
            message,
            detailed,
        )

    def body(self, request_id: str = "") -> JSON:
        """The JSON body Mattermost answers (``detailed_error`` blank: developer mode off)."""
        return {
            "id": self.error_id, "message": self.message, "detailed_error": "",
            "request_id": request_id, "status_code": self.status,
        }  # fmt: skip


def unauthorized() -> MattermostError:
    return MattermostError(
        401,
        "api.context.session_expired.app_error",
        "Invalid or expired session, please login again.",
    )


def forbidden() -> MattermostError:
    return MattermostError(
        403, "api.context.permissions.app_error", "You do not have the appropriate permissions."
    )


def invalid_param(name: str, where: str = "URL") -> MattermostError:
    if where == "URL":
        return MattermostError(
            400,
            "api.context.invalid_url_param.app_error",
            f"Invalid or missing {name} parameter in request URL.",
        )
    return MattermostError(
        400,
        "api.context.invalid_body_param.app_error",
        f"Invalid or missing {name} in request body.",
    )


@dataclass
class User:
    """A user: a person, or the bot's own (``is_bot``). Deactivated: ``delete_at`` > 0."""

    username: str
    first_name: str = ""
    last_name: str = ""
    position: str = ""
    timezone: str = "Europe/Amsterdam"
    is_bot: bool = False
    delete_at: int = 0
    id: str = ""
    email: str = ""

    def __post_init__(self) -> None:
        self.id = self.id or stable_id("user:" + self.username)
        if not self.email:
            domain = "bots.example.com" if self.is_bot else "example.com"
            self.email = f"{self.username}@{domain}"

    def to_api(self) -> JSON:
        """The user object of GET /users/{id}."""
        return {
            "id": self.id, "create_at": CREATED, "update_at": max(CREATED, self.delete_at),
            "delete_at": self.delete_at, "username": self.username, "auth_data": "",
            "auth_service": "", "email": self.email, "nickname": "",
            "first_name": self.first_name, "last_name": self.last_name,
            "position": self.position, "roles": "system_user", "locale": "en",
            "timezone": {"useAutomaticTimezone": "false", "manualTimezone": self.timezone,
                         "automaticTimezone": ""},
            "is_bot": self.is_bot, "bot_description": "Watchstander" if self.is_bot else "",
            "disable_welcome_email": False, "props": {},
        }  # fmt: skip


@dataclass
class Team:
    name: str
    display_name: str
    id: str = ""

    def __post_init__(self) -> None:
        self.id = self.id or stable_id("team:" + self.name)

    def to_api(self) -> JSON:
        return {
            "id": self.id, "create_at": CREATED, "update_at": CREATED, "delete_at": 0,
            "display_name": self.display_name, "name": self.name, "description": "",
            "email": "", "type": "O", "company_name": "", "allowed_domains": "", "invite_id": "",
            "allow_open_invite": True, "scheme_id": None, "group_constrained": None,
            "policy_id": None, "cloud_limits_archived": False,
        }  # fmt: skip


@dataclass
class Channel:
    """A channel: open (``O``), private (``P``) or a direct message (``D``, no team)."""

    name: str
    display_name: str = ""
    type: str = "O"
    team_id: str = ""
    members: list[str] = field(default_factory=list)
    header: str = ""
    purpose: str = ""
    id: str = ""
    last_post_at: int = 0

    def __post_init__(self) -> None:
        self.id = self.id or stable_id(f"channel:{self.team_id}:{self.name}")

    def to_api(self) -> JSON:
        return {
            "id": self.id, "create_at": CREATED, "update_at": CREATED, "delete_at": 0,
            "team_id": self.team_id, "type": self.type, "display_name": self.display_name,
            "name": self.name, "header": self.header, "purpose": self.purpose,
            "last_post_at": self.last_post_at, "last_root_post_at": self.last_post_at,
            "total_msg_count": 0, "total_msg_count_root": 0, "extra_update_at": 0,
            "creator_id": "", "scheme_id": None, "props": None, "group_constrained": None,
            "shared": None, "policy_id": None,
        }  # fmt: skip


@dataclass
class Group:
    """A custom user group (Professional and Enterprise servers), mentioned as ``@name``."""

    name: str
    display_name: str
    members: list[str] = field(default_factory=list)
    id: str = ""

    def __post_init__(self) -> None:
        self.id = self.id or stable_id("group:" + self.name)

    def to_api(self, member_count: bool = False) -> JSON:
        out: JSON = {
            "id": self.id, "name": self.name, "display_name": self.display_name,
            "description": "", "source": "custom", "remote_id": None, "create_at": CREATED,
            "update_at": CREATED, "delete_at": 0, "has_syncables": False,
            "allow_reference": True,
        }  # fmt: skip
        if member_count:
            out["member_count"] = len(self.members)
        return out


def _bot() -> User:
    return User("watchstander", "Watchstander", is_bot=True, timezone="America/Los_Angeles")


@dataclass
class World:
    """The sandbox server's team and who is in it. Change it before `LocalMattermost.start`,
    or through the server's methods."""

    team: Team = field(default_factory=lambda: Team("watchstander", "Watchstander Sandbox"))
    bot: User = field(default_factory=_bot)
    people: list[User] = field(default_factory=list)
    channels: list[Channel] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)

    @classmethod
    def default(cls) -> World:
        world = cls()
        people = [
            ("alice", "Alice", "Jansen", "Site Reliability Engineer", "Europe/Amsterdam"),
            ("bob", "Bob", "de Vries", "Backend Engineer", "Europe/Amsterdam"),
            ("carol", "Carol", "Smith", "Support Lead", "Europe/London"),
            ("dave", "Dave", "Kowalski", "Platform Engineer", "America/New_York"),
            ("erin", "Erin", "Okafor", "Engineering Manager", "Europe/Amsterdam"),
        ]
        world.people = [User(u, first, last, pos, tz) for u, first, last, pos, tz in people]
        world.people.append(User("frank", "Frank", "Moreau", "Former Engineer", delete_at=CREATED))
        everyone = [u.id for u in world.people] + [world.bot.id]
        team = world.team.id
        world.channels = [
            Channel("town-square", "Town Square", team_id=team, members=everyone),
            Channel("support", "Support", team_id=team, members=everyone,
                    header="Ask us anything", purpose="Customer help"),
            Channel("support-digest", "Support digest", team_id=team, members=everyone),
            Channel("off-topic", "Off-Topic", team_id=team, members=everyone[:-1]),
        ]  # fmt: skip
        alice, bob, dave = (world.user(n).id for n in ("alice", "bob", "dave"))  # type: ignore[union-attr]
        world.groups = [
            Group("oncall", "On-call", [alice]),
            Group("devs", "Developers", [alice, bob, dave]),
        ]
        return world

    def everyone(self) -> list[User]:
        return [self.bot, *self.people]

    def user(self, ref: str) -> User | None:
        """By id, username or ``@username``."""
        name = ref.removeprefix("@")
        return next((u for u in self.everyone() if ref == u.id or name == u.username), None)

    def channel(self, ref: str) -> Channel | None:
        """By id, ``#name`` or name."""
        name = ref.removeprefix("#")
        return next((c for c in self.channels if ref == c.id or name == c.name), None)

    def group(self, ref: str) -> Group | None:
        name = ref.removeprefix("@")
        return next((g for g in self.groups if ref == g.id or name == g.name), None)

    def direct(self, one: str, other: str) -> Channel:
        """The direct-message channel of two user ids, made on first use (named as
        Mattermost names them: both ids, sorted, joined by ``__``)."""
        name = "__".join(sorted((one, other)))
        found = self.channel(name)
        if found is None:
            found = Channel(name, "", "D", "", sorted({one, other}))
            self.channels.append(found)
        return found


# ------------------------------------------------------------- what the server records


@dataclass(frozen=True)
class Call:
    """One REST call as received: HTTP method, path, the route it matched (``{post_id}``...),
    query and JSON body merged, the status answered, and when (``time.time()``)."""

    method: str
    path: str
    route: str
    params: JSON
    status: int
    at: float

    def matches(self, what: str) -> bool:
        """``what``: ``"POST /api/v4/posts"``, ``"/api/v4/posts"``, or a route with its
        placeholders (``"PUT /api/v4/posts/{post_id}/patch"``)."""
        return what in (
            self.path,
            self.route,
            f"{self.method} {self.path}",
            f"{self.method} {self.route}",
        )


@dataclass
class StoredFile:
    """An uploaded file: its FileInfo fields and content."""

    id: str
    user_id: str
    channel_id: str
    name: str
    content: bytes
    mime_type: str
    create_at: int
    post_id: str = ""

    def to_api(self) -> JSON:
        ext = self.name.rsplit(".", 1)[-1].lower() if "." in self.name else ""
        return {
            "id": self.id, "user_id": self.user_id, "post_id": self.post_id,
            "channel_id": self.channel_id, "create_at": self.create_at,
            "update_at": self.create_at, "delete_at": 0, "name": self.name, "extension": ext,
            "size": len(self.content), "mime_type": self.mime_type, "width": 0, "height": 0,
            "has_preview_image": False, "mini_preview": None, "remote_id": "", "archived": False,
        }  # fmt: skip
