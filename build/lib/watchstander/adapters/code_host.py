"""GitHub issues through PyGithub, made at most once per marker.

PyGithub retries a POST on 5xx by default, and GitHub may have made the issue before the
error: a blind retry is a duplicate. Here PyGithub's own retries are off; before a create,
and again after a failed one, the repository's recent issues are searched for the marker,
so a lost answer ends with the issue GitHub did make. Errors become one line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

import requests
from github import Auth, Github, GithubException


class CodeHostError(Exception):
    """GitHub could not do it; the message is one line, safe for the digest."""


@dataclass(frozen=True)
class Made:
    number: int
    url: str
    state: str = "open"


class CodeHost:
    def __init__(
        self,
        token: str,
        repo: str,
        base_url: str = "https://api.github.com",
        *,
        timeout: int = 15,
        seconds_between_writes: float = 1.0,
    ) -> None:
        self._github = Github(
            auth=Auth.Token(token),
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=seconds_between_writes or None,
        )
        self._repo = self._github.get_repo(repo, lazy=True)
        self._repo_name = repo

    def check(self) -> str:
        """What GitHub says of the repository and the token, in one line (for
        ``watchstander check``); :class:`CodeHostError` when it would not say."""
        try:
            repo = self._github.get_repo(self._repo_name)
            writes = bool(repo.permissions and repo.permissions.push)
        except (GithubException, requests.RequestException) as exc:
            raise CodeHostError(_reason(exc, "read the repository")) from None
        if not repo.has_issues:
            raise CodeHostError(f"{repo.full_name} has its issues turned off")
        if not writes:
            raise CodeHostError(f"{repo.full_name} answered, but the token cannot write issues")
        return f"{repo.full_name} answered; the token can write its issues"

    def find(self, marker: str, since: datetime) -> Made | None:
        """An issue whose body holds ``marker``, among those updated since ``since``."""
        try:
            for issue in self._repo.get_issues(state="all", since=since):
                if marker in (issue.body or ""):
                    return Made(issue.number, issue.html_url, issue.state)
        except (GithubException, requests.RequestException) as exc:
            raise CodeHostError(_reason(exc, "look for an issue")) from None
        return None

    def create_once(
        self,
        title: str,
        body: str,
        labels: tuple[str, ...],
        marker: str,
        since: datetime,
        *,
        look_first: bool = True,
    ) -> Made:
        """The issue for ``marker``: found if it exists, else made, never made twice.

        ``look_first=False`` when nothing can exist yet (the first try for this marker): the
        issue is made at once, and looked for only if the create fails."""
        found = self.find(marker, since) if look_first else None
        if found is not None:
            return found
        try:
            issue = self._repo.create_issue(title=title, body=body, labels=list(labels))
            return Made(issue.number, issue.html_url, issue.state)
        except (GithubException, requests.RequestException) as exc:
            reason = _reason(exc, "make an issue")
        found = self.find(marker, since)  # GitHub may have made it before the error
        if found is not None:
            return found
        raise CodeHostError(reason)

    def state(self, number: int) -> str:
        try:
            return str(self._repo.get_issue(number).state)
        except (GithubException, requests.RequestException) as exc:
            raise CodeHostError(_reason(exc, "read an issue")) from None

    def close(self) -> None:
        self._github.close()


def _reason(exc: Exception, doing: str) -> str:
    status = getattr(exc, "status", None)
    if status == 401:
        return f"GitHub refused the token when trying to {doing} (401)"
    if status == 403:
        return f"GitHub's rate limit or permissions stopped it to {doing} (403)"
    if status == 404:
        return f"GitHub does not know the repository (404) when trying to {doing}"
    if status == 422:
        return f"GitHub refused the fields or labels when trying to {doing} (422)"
    if status:
        return f"GitHub answered {status} when trying to {doing}"
    return f"GitHub did not answer when trying to {doing} ({type(exc).__name__})"


def webhook_signed(secret: str, body: bytes, header: str | None) -> bool:
    """GitHub's ``X-Hub-Signature-256: sha256=<hex>`` for ``body``."""
    if not secret or not header:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.strip())


def closed_issue(event: str | None, body: bytes) -> int | None:
    """The number of the issue an ``issues`` webhook says was closed, else None."""
    if event != "issues":
        return None
    try:
        payload = json.loads(body)
        if payload.get("action") != "closed":
            return None
        return int(payload["issue"]["number"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CodeHostError("not a GitHub issues webhook body") from None
