"""The bot's web routes: PagerDuty's and GitHub's webhooks (signature checked first: an
unsigned or wrongly signed request is 401 and changes nothing; a signed one that is not a
webhook body is 400) and the on-call calendar feed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from watchstander.adapters import code_host, pager
from watchstander.services.review import Closed
from watchstander.web import Handler

Answer = tuple[int, str, bytes]
UNSIGNED: Answer = (401, "text/plain", b"unsigned or wrongly signed\n")
TAKEN: Answer = (202, "text/plain", b"")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


def pagerduty_route(
    secret: str,
    incident: Callable[[str, str, str, datetime], object],
    clock: Callable[[], datetime],
) -> Handler:
    """POST /pagerduty: a v3 webhook; an acknowledge or resolve done in PagerDuty."""

    def handle(headers: Mapping[str, str], body: bytes) -> Answer:
        if not pager.webhook_signed(secret, body, _header(headers, "x-pagerduty-signature")):
            return UNSIGNED
        try:
            kind, key, agent = pager.webhook_event(body)
        except pager.PagerError as error:
            return 400, "text/plain", f"{error}\n".encode()
        incident(kind, key, agent, clock())
        return TAKEN

    return handle


def github_route(
    secret: str,
    closed: Callable[[int, datetime], Closed | None],
    tell: Callable[[Closed | None], None],
    clock: Callable[[], datetime],
) -> Handler:
    """POST /github: an ``issues`` webhook; a closed issue made from a thread is told there."""

    def handle(headers: Mapping[str, str], body: bytes) -> Answer:
        if not code_host.webhook_signed(secret, body, _header(headers, "x-hub-signature-256")):
            return UNSIGNED
        try:
            number = code_host.closed_issue(_header(headers, "x-github-event"), body)
        except code_host.CodeHostError as error:
            return 400, "text/plain", f"{error}\n".encode()
        if number is not None:
            tell(closed(number, clock()))
        return TAKEN

    return handle


def calendar_route(feed: Callable[[datetime], bytes], clock: Callable[[], datetime]) -> Handler:
    """GET /oncall.ics: who is on call, the next weeks, as an iCalendar feed."""

    def handle(headers: Mapping[str, str], body: bytes) -> Answer:
        return 200, "text/calendar; charset=utf-8", feed(clock())

    return handle
