"""What the plugins need from Slack beyond Errbot: user-group handles, cached."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)


class GroupHandles:
    """``usergroups.list`` as {group id: handle}, refreshed at most every ``ttl`` seconds.

    Slack writes a bare ``<!subteam^ID>`` in some payloads; this map turns the id back into a
    handle. On an error the last good map is kept and the error is logged once per refresh.
    """

    def __init__(
        self,
        web_client: Any,
        *,
        ttl: float = 600.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = web_client
        self._ttl = ttl
        self._monotonic = monotonic
        self._handles: dict[str, str] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Mapping[str, str]:
        with self._lock:
            now = self._monotonic()
            if self._fetched_at is None or now - self._fetched_at >= self._ttl:
                self._fetched_at = now
                self._refresh()
            return dict(self._handles)

    def _refresh(self) -> None:
        try:
            response = self._client.usergroups_list()
            groups = response.get("usergroups") or []
            self._handles = {str(g["id"]): str(g.get("handle", "")) for g in groups if "id" in g}
        except Exception as exc:  # the Slack client raises many kinds; keep the last map
            log.warning(
                "usergroups.list failed, keeping %d known groups: %s", len(self._handles), exc
            )


class UserGroup:
    """The Slack user group ``@oncall``: who is in it, and making it exactly one person."""

    def __init__(self, web_client: Any, group_id: str) -> None:
        self._client = web_client
        self.group_id = group_id

    def members(self) -> list[str]:
        response = self._client.usergroups_users_list(usergroup=self.group_id)
        return [str(user) for user in response.get("users") or []]

    def set_members(self, users: list[str]) -> None:
        self._client.usergroups_users_update(usergroup=self.group_id, users=",".join(users))


class EmailDirectory:
    """E-mail address -> Slack user id (``users.lookupByEmail``), remembered once found."""

    def __init__(self, web_client: Any) -> None:
        self._client = web_client
        self._known: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def __call__(self, email: str) -> str | None:
        key = email.strip().lower()
        with self._lock:
            if key in self._known:
                return self._known[key]
        try:
            user = self._client.users_lookupByEmail(email=email).get("user") or {}
            found = str(user["id"]) if user.get("id") else None
        except Exception as exc:  # users_not_found, missing_scope, ratelimited
            log.warning("no Slack user for a PagerDuty e-mail address: %s", type(exc).__name__)
            return None
        with self._lock:
            self._known[key] = found
        return found

    def email_of(self, user_id: str) -> str | None:
        """The e-mail address on a Slack profile (``users.info``, needs users:read.email)."""
        try:
            user = self._client.users_info(user=user_id).get("user") or {}
        except Exception as exc:
            log.warning("no e-mail address for a Slack user: %s", type(exc).__name__)
            return None
        email = (user.get("profile") or {}).get("email")
        return str(email) if email else None


class UploadError(RuntimeError):
    """Slack refused or did not take a file: one line, no token."""


class Files:
    """Pictures into a channel or a thread through ``files_upload_v2``, given the channel id.

    (The backend's own ``send_stream_request`` passes a ``<#C…|name>`` string as the channel,
    which Slack rejects.)"""

    def __init__(self, web_client: Any) -> None:
        self._client = web_client

    def upload(
        self, channel_id: str, thread_ts: str | None, files: list[tuple[str, bytes, str]]
    ) -> int:
        """Upload (filename, content, title) files in one go: how many Slack took."""
        uploads = [{"file": data, "filename": name, "title": title} for name, data, title in files]
        try:
            response = self._client.files_upload_v2(
                channel=channel_id,
                thread_ts=thread_ts,
                file_uploads=uploads,
                request_file_info=False,
            )
        except Exception as exc:  # SlackApiError, a network error: one line
            error = getattr(getattr(exc, "response", None), "data", None) or {}
            reason = error.get("error") if isinstance(error, dict) else None
            why = reason or type(exc).__name__
            raise UploadError(f"Slack did not take the pictures ({why})") from None
        return len(response.get("files") or [])
