"""Custom user groups over REST, where the server has them.

Custom groups are a feature of licensed (Professional, Enterprise) Mattermost servers with
``EnableCustomGroups`` on. `custom_groups` says which server this is:

- ``"on"``: ``GET /groups`` (``q``, ``filter_has_member``, ``include_member_count``, paging),
  ``GET /groups/{id}``, ``GET|POST|DELETE /groups/{id}/members``, ``GET /users/{id}/groups``;
  ``@name`` mentions a group's members.
- ``"unlicensed"`` (Team Edition, the usual self-hosted server): every one of those answers
  501 ``api.license_error``, as Mattermost's ``requireLicense``.
- ``"disabled"`` (licensed, custom groups turned off): asking for custom groups answers 400
  ``api.custom_groups.feature_disabled``; ``GET /groups`` without a source lists none.
"""

from __future__ import annotations

from typing import Any

from watchstander_sandbox.mattermost.history import History, not_found
from watchstander_sandbox.mattermost.posts_api import MAX_PER_PAGE, Reply, _id, _int
from watchstander_sandbox.mattermost.world import (
    JSON,
    Group,
    MattermostError,
    User,
    invalid_param,
    valid_id,
)


def _unlicensed() -> MattermostError:
    return MattermostError(501, "api.license_error", "Your license does not support this feature.")


def _disabled() -> MattermostError:
    return MattermostError(
        400, "api.custom_groups.feature_disabled", "Custom user groups feature is disabled."
    )


class GroupsApi(History):
    """The custom user groups of `LocalMattermost`."""

    custom_groups: str

    def set_custom_groups(self, mode: str) -> None:
        """``"on"``, ``"unlicensed"`` or ``"disabled"`` (see the module's docstring)."""
        if mode not in ("on", "unlicensed", "disabled"):
            raise ValueError(f"custom groups: on, unlicensed or disabled, not {mode!r}")
        with self._cond:
            self.custom_groups = mode
            self._changed()

    def _groups_allowed(self, custom_asked: bool = True) -> bool:
        """Raise as Mattermost does when it has no custom groups; False: list none."""
        if self.custom_groups == "unlicensed":
            raise _unlicensed()
        if self.custom_groups == "disabled":
            if custom_asked:
                raise _disabled()
            return False
        return True

    def _group(self, match: dict[str, str]) -> Group:
        group_id = _id(match, "group_id")
        self._groups_allowed()
        found = self.world.group(group_id)
        if found is None:
            raise not_found("group")
        return found

    def _api_groups(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        source = query.get("group_source", "")
        if not self._groups_allowed(custom_asked=source == "custom"):
            return 200, []
        if source not in ("", "custom"):
            return 200, []  # no LDAP groups here
        q = query.get("q", "").lower()
        member = query.get("filter_has_member", "")
        groups = [
            g for g in self.world.groups
            if (q in g.name.lower() or q in g.display_name.lower())
            and (not member or member in g.members)
        ]  # fmt: skip
        page, per_page = _int(query, "page", 0), min(_int(query, "per_page", 60), MAX_PER_PAGE)
        counted = query.get("include_member_count") == "true"
        picked = groups[page * per_page : (page + 1) * per_page]
        return 200, [g.to_api(counted) for g in picked]

    def _api_group(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        group = self._group(match)
        return 200, group.to_api(query.get("include_member_count") == "true")

    def _api_group_members(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        group = self._group(match)
        page, per_page = _int(query, "page", 0), min(_int(query, "per_page", 60), MAX_PER_PAGE)
        members = [u.to_api() for uid in group.members if (u := self.world.user(uid))]
        picked = members[page * per_page : (page + 1) * per_page]
        return 200, {"members": picked, "total_member_count": len(members)}

    def _modify_members(self, group: Group, body: Any, add: bool) -> list[JSON]:
        ids = body.get("user_ids") if isinstance(body, dict) else None
        if (
            not isinstance(ids, list)
            or not ids
            or not all(isinstance(i, str) and valid_id(i) for i in ids)
        ):
            raise invalid_param("user_ids", "body")
        changed: list[JSON] = []
        for uid in ids:
            if self.world.user(uid) is None:
                raise not_found("user")
            if add and uid not in group.members:
                group.members.append(uid)
            elif not add and uid in group.members:
                group.members.remove(uid)
            else:
                continue
            ms = self._now_ms()
            changed.append(
                {"group_id": group.id, "user_id": uid, "create_at": ms,
                 "delete_at": 0 if add else ms}
            )  # fmt: skip
        self._changed()
        return changed

    def _api_add_group_members(
        self, user: User, match: dict[str, str], query: Any, body: Any
    ) -> Reply:
        return 200, self._modify_members(self._group(match), body, True)

    def _api_remove_group_members(
        self, user: User, match: dict[str, str], query: Any, body: Any
    ) -> Reply:
        return 200, self._modify_members(self._group(match), body, False)

    def _api_user_groups(self, user: User, match: dict[str, str], query: Any, body: Any) -> Reply:
        uid = match.get("user_id", "")
        uid = user.id if uid == "me" else uid
        if not valid_id(uid):
            raise invalid_param("user_id")
        if not self._groups_allowed(custom_asked=False):
            return 200, []
        return 200, [g.to_api() for g in self.world.groups if uid in g.members]
