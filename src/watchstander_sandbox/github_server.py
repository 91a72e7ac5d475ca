"""A local GitHub-compatible REST server on 127.0.0.1: the few issue endpoints the review uses.

It answers in GitHub's shapes (issues with numbers, labels, ``html_url``), checks the token,
and lets a test queue failures: an error status, a slow answer, or a create that GitHub
*accepts* but answers late with a 502 (the case that makes a blindly retried POST a
duplicate).
"""

from __future__ import annotations

import json
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from watchstander_sandbox.http_stub import LocalHTTPServer


@dataclass
class Failure:
    status: int = 502
    accept: bool = False  # do the work anyway, then answer ``status`` (after ``delay``)
    delay: float = 0.0
    body: str | None = None
    method: str | None = None  # only requests of this method take it (None: the next one)


class LocalGitHub(LocalHTTPServer):
    def __init__(self, repo: str = "acme/app", token: str = "ghp_local", port: int = 0) -> None:
        super().__init__(port)
        self.repo, self.token = repo, token
        self.issues: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self._failures: deque[Failure] = deque()

    def close_issue(self, number: int) -> dict[str, Any] | None:
        """Close issue ``number`` as a person would on GitHub: the issue, or None if it does
        not exist or was closed already."""
        with self._cond:
            issue = next((i for i in self.issues if i["number"] == number), None)
            if issue is None or issue["state"] == "closed":
                return None
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            issue.update(state="closed", closed_at=stamp, updated_at=stamp)
            self._cond.notify_all()
            return dict(issue)

    def fail_next(self, *failures: Failure) -> None:
        with self._cond:
            self._failures.extend(failures)

    # ------------------------------------------------------------------------------------------

    def _route(self, request: BaseHTTPRequestHandler, method: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        with self._cond:
            self.requests.append((method, request.path))
            failure = None
            if self._failures and self._failures[0].method in (None, method):
                failure = self._failures.popleft()
            self._cond.notify_all()
        if failure is not None and failure.delay and not failure.accept:
            time.sleep(failure.delay)  # a slow GitHub, for the client's time-out
        if failure is not None and not failure.accept:
            body = failure.body or json.dumps({"message": "Simulated failure"})
            self._answer(request, failure.status, body)
            return
        auth = request.headers.get("Authorization", "")
        if auth not in (f"token {self.token}", f"Bearer {self.token}"):
            self._answer(request, 401, json.dumps({"message": "Bad credentials"}))
            return
        parts = urlsplit(request.path)
        prefix = f"/repos/{self.repo}"
        if not parts.path.startswith(prefix):
            self._answer(request, 404, json.dumps({"message": "Not Found"}))
            return
        rest = parts.path[len(prefix) :]
        status: int = 404
        answer: Any = {"message": "Not Found"}
        if rest == "" and method == "GET":  # the repository, as GET /repos/{owner}/{repo}
            status, answer = 200, self._repository()
        elif rest == "/issues" and method == "POST":
            status, answer = self._create(raw)
        elif rest == "/issues" and method == "GET":
            status, answer = 200, self._list(parse_qs(parts.query))
        elif rest.startswith("/issues/") and rest[8:].isdigit():
            status, answer = self._one(int(rest[8:]), method, raw)
        if failure is not None:  # accepted, but the answer is slow, then lost
            time.sleep(failure.delay)
            self._answer(request, failure.status, json.dumps({"message": "Bad Gateway"}))
            return
        self._answer(request, status, json.dumps(answer))

    def _create(self, raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw)
            title = str(body["title"]).strip()
        except (ValueError, KeyError, TypeError):
            return 400, {"message": "Problems parsing JSON"}
        if not title:
            return 422, {"message": "Validation Failed", "errors": [{"field": "title"}]}
        with self._cond:
            number = len(self.issues) + 1
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            issue = {
                "id": 1000 + number,
                "number": number,
                "title": title[:256],
                "body": body.get("body") or "",
                "state": "open",
                "labels": [{"name": str(name)} for name in body.get("labels") or []],
                "url": f"{self.url}/repos/{self.repo}/issues/{number}",
                "html_url": f"https://github.com/{self.repo}/issues/{number}",
                "user": {"login": "watchstander[bot]", "id": 1},
                "created_at": now,
                "updated_at": now,
                "closed_at": None,
            }
            self.issues.append(issue)
            self._cond.notify_all()
        return 201, issue

    def _repository(self) -> dict[str, Any]:
        owner, _, name = self.repo.partition("/")
        return {
            "id": 1,
            "name": name,
            "full_name": self.repo,
            "owner": {"login": owner},
            "private": True,
            "has_issues": True,
            "html_url": f"{self.url}/{self.repo}",
            "url": f"{self.url}/repos/{self.repo}",
            "permissions": {"admin": False, "push": True, "pull": True},
        }

    def _list(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        state = (query.get("state") or ["open"])[0]
        since = (query.get("since") or [""])[0]
        with self._cond:
            found = [i for i in self.issues if state == "all" or i["state"] == state]
        if since:
            found = [i for i in found if i["updated_at"] >= since.replace("+00:00", "Z")[:20]]
        return list(reversed(found))

    def _one(self, number: int, method: str, raw: bytes) -> tuple[int, Any]:
        with self._cond:
            if not 0 < number <= len(self.issues):
                return 404, {"message": "Not Found"}
            issue = self.issues[number - 1]
            if method == "PATCH":
                change = json.loads(raw or b"{}")
                if change.get("state") in ("open", "closed"):
                    issue["state"] = change["state"]
                    issue["closed_at"] = (
                        issue["updated_at"] if change["state"] == "closed" else None
                    )
            return 200, issue
