"""PagerDuty's Events API v2, through the official ``pagerduty`` client, with bounded retries.

The client retries 429 without limit by default; here every status is retried a few times
with a short backoff, then :class:`PagerError` says in one line what went wrong. The routing
key never appears in an error or a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pagerduty

log = logging.getLogger(__name__)

SUMMARY_LIMIT = 1024
RETRIED = (429, 500, 502, 503, 504)
# What the official client lets out besides its own pagerduty.Error: its transport's (httpx2)
# errors it does not retry (a body it cannot decode, a bad URL, a stream error), a URL it
# refuses, and a ValueError for an event or an answer it cannot take.
TRANSPORT_ERRORS = (
    httpx2.HTTPError,
    httpx2.InvalidURL,
    httpx2.StreamError,
    pagerduty.UrlError,
    ValueError,
)


class _LoopbackUrl:
    """The official clients' base URL, also accepting ``http://`` on the loopback (a local
    PagerDuty-compatible server); any other address must be ``https://``, as upstream."""

    _url: str

    @property
    def url(self) -> str:
        return str(self._url)

    @url.setter
    def url(self, value: str) -> None:
        host = urlsplit(value).hostname or ""
        local = value.startswith("http://") and (host == "localhost" or _loopback(host))
        if not (value.startswith("https://") or local):
            raise pagerduty.UrlError("the PagerDuty URL must be https:// (or http:// on 127.0.0.1)")
        self._url = value


class _EventsClient(_LoopbackUrl, pagerduty.EventsApiV2Client):  # type: ignore[misc]
    pass


class _RestClient(_LoopbackUrl, pagerduty.RestApiV2Client):  # type: ignore[misc]
    pass


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bounded(client: Any, timeout: float, attempts: int, backoff: float) -> Any:
    """A few attempts on 429, 5xx and network errors, with a short backoff (the client's own
    default retries 429 without limit); a time-out on every request."""
    client.timeout = timeout
    client.retry = dict.fromkeys(RETRIED, attempts - 1)
    client.max_http_attempts = attempts
    client.max_network_attempts = attempts - 1
    client.sleep_timer = backoff
    client.sleep_timer_base = 2
    client.stagger_cooldown = 0
    return client


class PagerError(Exception):
    """Paging failed after the retries; the message is safe to show in chat."""


class Pager:
    """Trigger, acknowledge and resolve one alert per dedup key."""

    def __init__(
        self,
        routing_key: str,
        base_url: str = "https://events.pagerduty.com",
        *,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self._client = _bounded(
            _EventsClient(routing_key, base_url=base_url.rstrip("/")), timeout, attempts, backoff
        )

    def trigger(
        self,
        dedup_key: str,
        summary: str,
        source: str,
        *,
        severity: str = "critical",
        link: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        summary = summary.strip() or "(no text)"
        if len(summary) > SUMMARY_LIMIT:
            summary = summary[: SUMMARY_LIMIT - 1] + "…"
        payload = {
            "summary": summary,
            "source": source,
            "severity": severity,
            "custom_details": dict(details or {}),
        }
        links = [{"href": link, "text": "Slack thread"}] if link else []
        self._send("trigger", dedup_key, payload=payload, links=links)

    def acknowledge(self, dedup_key: str) -> None:
        self._send("acknowledge", dedup_key)

    def resolve(self, dedup_key: str) -> None:
        self._send("resolve", dedup_key)

    def close(self) -> None:
        self._client.close()

    def _send(self, action: str, dedup_key: str, **properties: Any) -> None:
        try:
            self._client.send_event(action, dedup_key=dedup_key, **properties)
        except pagerduty.HttpError as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status is not None and 200 <= status < 300:
                raise PagerError(f"PagerDuty's answer to the {action} could not be read") from None
            raise PagerError(f"PagerDuty answered {status or 'an error'} to the {action}") from None
        except pagerduty.Error as exc:
            reason = "did not answer in time" if "network" in str(exc).lower() else "failed"
            raise PagerError(f"PagerDuty {reason} for the {action}") from None
        except TRANSPORT_ERRORS as exc:
            kind = type(exc).__name__
            raise PagerError(f"PagerDuty could not be reached for the {action} ({kind})") from None


class Schedule:
    """A PagerDuty schedule read through the REST API: who is on call when (``/oncalls``)."""

    def __init__(
        self,
        api_token: str,
        schedule_id: str,
        base_url: str = "https://api.pagerduty.com",
        *,
        timeout: float = 10.0,
        attempts: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self._client = _bounded(
            _RestClient(api_token, base_url=base_url.rstrip("/")), timeout, attempts, backoff
        )
        self.schedule_id = schedule_id

    def on_call(self, since: datetime, until: datetime) -> list[tuple[str, datetime, datetime]]:
        """(e-mail, start, end) of each on-call shift between ``since`` and ``until``."""
        params = {
            "schedule_ids[]": [self.schedule_id],
            "since": since.isoformat(),
            "until": until.isoformat(),
            "include[]": ["users"],
        }
        try:
            entries = list(self._client.iter_all("/oncalls", params=params))
        except pagerduty.Error as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            raise PagerError(
                f"PagerDuty's schedule could not be read ({status or 'no answer'})"
            ) from None
        except TRANSPORT_ERRORS as exc:
            raise PagerError(
                f"PagerDuty's schedule could not be read ({type(exc).__name__})"
            ) from None
        shifts = []
        for entry in entries:
            email = str((entry.get("user") or {}).get("email") or "")
            if not email or not entry.get("start"):
                continue
            start = datetime.fromisoformat(str(entry["start"]).replace("Z", "+00:00"))
            end_text = entry.get("end")
            end = (
                datetime.fromisoformat(str(end_text).replace("Z", "+00:00")) if end_text else until
            )
            shifts.append((email, start, end))
        return sorted(shifts, key=lambda shift: shift[1])

    def user_id(self, email: str) -> str:
        """The PagerDuty user with this e-mail address."""
        try:
            users = self._client.rget("/users", params={"query": email})
        except (pagerduty.Error, *TRANSPORT_ERRORS):
            raise PagerError("PagerDuty's users could not be read") from None
        for user in users if isinstance(users, list) else []:
            if str(user.get("email", "")).lower() == email.lower():
                return str(user["id"])
        raise PagerError("nobody in PagerDuty has that person's e-mail address")

    def add_override(self, user_id: str, start: datetime, end: datetime) -> None:
        """Someone on call in the schedule from ``start`` to ``end`` (PagerDuty's override)."""
        body = {
            "overrides": [
                {
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "user": {"id": user_id, "type": "user_reference"},
                }
            ]
        }
        try:
            self._client.rpost(f"/schedules/{self.schedule_id}/overrides", json=body)
        except (pagerduty.Error, *TRANSPORT_ERRORS):
            raise PagerError("PagerDuty did not take the override") from None

    def close(self) -> None:
        self._client.close()


def webhook_signed(secret: str, body: bytes, header: str | None) -> bool:
    """A PagerDuty v3 webhook's ``X-PagerDuty-Signature`` (``v1=<hex>``, maybe several)."""
    if not secret or not header:
        return False
    expected = "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))


def webhook_event(body: bytes) -> tuple[str, str, str]:
    """(event type, incident key = our dedup key, who did it) from a v3 webhook body."""
    try:
        event = json.loads(body)["event"]
        kind = str(event["event_type"])
        key = str((event.get("data") or {}).get("incident_key") or "")
        agent = str((event.get("agent") or {}).get("summary") or "someone")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise PagerError("not a PagerDuty v3 webhook body") from None
    return kind, key, agent
