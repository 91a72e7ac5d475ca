"""A local PagerDuty-compatible Events API v2 server on 127.0.0.1, for tests and the sandbox.

It checks every event against the Events API v2 rules (routing key, action, dedup key,
payload summary/source/severity) and answers as PagerDuty does: 202 with a dedup key, 400
``invalid event`` with the errors, or whatever failure a test queued (429, 5xx, a slow answer,
a body that is not JSON). Incidents are kept by dedup key, so a trigger sent twice is one
incident, as at PagerDuty.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from watchstander_sandbox.http_stub import LocalHTTPServer

SEVERITIES = {"critical", "error", "warning", "info"}
ACTIONS = {"trigger", "acknowledge", "resolve"}


@dataclass
class Failure:
    status: int = 500
    delay: float = 0.0
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Incident:
    dedup_key: str
    summary: str
    status: str  # triggered | acknowledged | resolved
    events: list[dict[str, Any]] = field(default_factory=list)


class LocalPagerDuty(LocalHTTPServer):
    """``start()``, point ``PAGERDUTY_EVENTS_URL`` at :attr:`url`, inspect what arrived."""

    def __init__(self, port: int = 0, api_token: str = "") -> None:
        super().__init__(port)
        self.api_token = api_token  # the REST API's token (``Authorization: Token token=…``)
        # The REST API's /oncalls entries: {"user": {...}, "start": iso, "end": iso, ...}
        self.oncalls: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []  # every request body, valid or not
        self.events: list[dict[str, Any]] = []  # every accepted event, in order
        self.incidents: dict[str, Incident] = {}
        self.received: list[tuple[float, str, str]] = []  # (time.time(), action, dedup key)
        self._failures: deque[Failure] = deque()

    def _route(self, request: BaseHTTPRequestHandler, method: str) -> None:
        if method == "GET":
            self._handle_rest(request)
        else:
            self._handle(request)

    def fail_next(self, *failures: Failure) -> None:
        """The next requests get these answers, in order, before the normal ones resume."""
        with self._cond:
            self._failures.extend(failures)

    def actions(self, dedup_key: str) -> list[str]:
        with self._cond:
            return [e["event_action"] for e in self.events if e.get("dedup_key") == dedup_key]

    # ------------------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length)
        with self._cond:
            failure = self._failures.popleft() if self._failures else None
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        with self._cond:
            self.requests.append({"path": request.path, "body": body})
            self._cond.notify_all()
        if failure is not None:
            if failure.delay:
                time.sleep(failure.delay)  # a slow PagerDuty, for the client's time-out
            payload = (
                failure.body
                if failure.body is not None
                else json.dumps({"status": "error", "message": "simulated failure"})
            )
            self._answer(request, failure.status, payload, failure.headers)
            return
        if request.path.startswith("/schedules/") and request.path.endswith("/overrides"):
            self._add_overrides(request, request.path.split("/")[2], body)
            return
        if request.path != "/v2/enqueue":
            self._answer(request, 404, json.dumps({"status": "error", "message": "Not found"}))
            return
        errors = _check(body)
        if errors:
            answer = {"status": "invalid event", "message": "Event object is invalid"}
            self._answer(request, 400, json.dumps({**answer, "errors": errors}))
            return
        assert isinstance(body, dict)
        key = str(body.get("dedup_key") or uuid.uuid4().hex)
        with self._cond:
            received = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.events.append({**body, "dedup_key": key, "received_at": received})
            self.received.append((time.time(), str(body["event_action"]), key))
            incident = self.incidents.get(key)
            action = body["event_action"]
            if action == "trigger" and incident is None:
                summary = str(body["payload"]["summary"])
                self.incidents[key] = Incident(key, summary, "triggered", [body])
            elif incident is not None:
                incident.events.append(body)
                if action == "acknowledge" and incident.status == "triggered":
                    incident.status = "acknowledged"
                elif action == "resolve":
                    incident.status = "resolved"
            self._cond.notify_all()
        accepted = {"status": "success", "message": "Event processed", "dedup_key": key}
        self._answer(request, 202, json.dumps(accepted))

    def _add_overrides(self, request: BaseHTTPRequestHandler, schedule: str, body: Any) -> None:
        """POST /schedules/{id}/overrides: the final layer of /oncalls changes accordingly."""
        if request.headers.get("Authorization") != f"Token token={self.api_token}":
            self._answer(request, 401, json.dumps({"error": {"message": "Unauthorized"}}))
            return
        try:
            wanted = [
                (o["user"]["id"], _iso(o["start"]), _iso(o["end"])) for o in body["overrides"]
            ]
        except (KeyError, TypeError, ValueError):
            self._answer(request, 400, json.dumps({"error": {"message": "Invalid Input"}}))
            return
        with self._cond:
            users = {e["user"]["id"]: e["user"] for e in self.oncalls if e.get("user")}
            for user_id, start, end in wanted:
                kept = []
                for entry in self.oncalls:
                    s0, e0 = _iso(entry["start"]), _iso(entry["end"])
                    if (
                        (entry.get("schedule") or {}).get("id") != schedule
                        or e0 <= start
                        or s0 >= end
                    ):
                        kept.append(entry)
                        continue
                    if s0 < start:
                        kept.append({**entry, "end": start.isoformat()})
                    if e0 > end:
                        kept.append({**entry, "start": end.isoformat()})
                kept.append(
                    {
                        "escalation_level": 1,
                        "schedule": {"id": schedule, "type": "schedule_reference"},
                        "user": users.get(user_id, {"id": user_id, "type": "user"}),
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                    }
                )
                self.oncalls = kept
            self._cond.notify_all()
        self._answer(request, 201, json.dumps([{"status": 201, "override": {}} for _ in wanted]))

    def _handle_rest(self, request: BaseHTTPRequestHandler) -> None:
        """GET /oncalls, as the REST API v2 answers it (classic pagination, one page)."""
        with self._cond:
            failure = self._failures.popleft() if self._failures else None
            self.requests.append({"path": request.path, "body": None})
            self._cond.notify_all()
        if failure is not None:
            body = failure.body or json.dumps({"error": {"message": "simulated", "code": 2001}})
            self._answer(request, failure.status, body, failure.headers)
            return
        if request.headers.get("Authorization") != f"Token token={self.api_token}":
            error = {"error": {"message": "Unauthorized", "code": 2006}}
            self._answer(request, 401, json.dumps(error))
            return
        path, _, query = request.path.partition("?")
        params = parse_qs(query)
        if path == "/users":
            wanted_email = (params.get("query") or [""])[0].lower()
            with self._cond:
                users = {e["user"]["id"]: e["user"] for e in self.oncalls if e.get("user")}
            found = [u for u in users.values() if wanted_email in str(u.get("email", "")).lower()]
            page = {"users": found, "limit": 100, "offset": 0, "more": False, "total": None}
            self._answer(request, 200, json.dumps(page))
            return
        if path != "/oncalls":
            missing = {"error": {"message": "Not Found", "code": 2100}}
            self._answer(request, 404, json.dumps(missing))
            return
        with self._cond:
            entries = list(self.oncalls)
        wanted = set(params.get("schedule_ids[]", []))
        if wanted:
            entries = [e for e in entries if (e.get("schedule") or {}).get("id") in wanted]
        answer = {"oncalls": entries, "limit": 100, "offset": 0, "more": False, "total": None}
        self._answer(request, 200, json.dumps(answer))


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def _check(body: Any) -> list[str]:
    """The Events API v2 rules, as PagerDuty applies them."""
    if not isinstance(body, dict):
        return ["Event object must be a JSON object"]
    errors = []
    key = body.get("routing_key")
    if not isinstance(key, str) or len(key) != 32:
        errors.append("'routing_key' must be a 32 character string")
    action = body.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' must be one of trigger, acknowledge, resolve")
    dedup = body.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or len(dedup) > 255):
        errors.append("'dedup_key' must be a string of at most 255 characters")
    if action in ("acknowledge", "resolve") and not dedup:
        errors.append("'dedup_key' is required for acknowledge and resolve")
    if action == "trigger":
        payload = body.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is required for trigger")
        else:
            summary = payload.get("summary")
            if not isinstance(summary, str) or not summary or len(summary) > 1024:
                errors.append("'payload.summary' must be 1 to 1024 characters")
            if not isinstance(payload.get("source"), str) or not payload.get("source"):
                errors.append("'payload.source' is required")
            if payload.get("severity") not in SEVERITIES:
                errors.append("'payload.severity' must be critical, error, warning or info")
    return errors
