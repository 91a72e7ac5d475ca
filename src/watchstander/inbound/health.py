"""The bot's health on its web server: ``/healthz`` (the process serves), ``/readyz`` (it
can do its work: the chat platform connected, the database answering, and this replica's
role) and ``/metrics`` (Prometheus' text format). Bodies are short JSON, never a secret."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from watchstander.web import Handler

Answer = tuple[int, str, bytes]
JSON = "application/json"


def _json(status: int, body: Mapping[str, object]) -> Answer:
    return status, JSON, json.dumps(body, sort_keys=True).encode() + b"\n"


def live_route() -> Handler:
    """GET /healthz: 200 while the process serves requests."""

    def handle(headers: Mapping[str, str], body: bytes) -> Answer:
        return _json(200, {"status": "live"})

    return handle


def ready_route(
    *,
    connected: Callable[[], bool] | None,
    database: Callable[[], str | None],
    role: Callable[[], str],
) -> Handler:
    """GET /readyz: 200 when the chat platform is connected and the database answers a
    trivial query (``database``: None, or why not), 503 with the reasons otherwise; both
    say this replica's ``role``. ``connected`` None: the platform cannot say (not Slack),
    taken as connected."""

    def handle(headers: Mapping[str, str], body: bytes) -> Answer:
        reasons: list[str] = []
        if connected is None:
            chat = "unknown (this chat backend cannot tell; taken as connected)"
        elif connected():
            chat = "connected"
        else:
            chat = "disconnected"
            reasons.append("the chat platform is not connected")
        failed = database()
        if failed is not None:
            reasons.append(f"the database does not answer ({failed})")
        answer: dict[str, object] = {
            "ready": not reasons,
            "role": role(),
            "chat": chat,
            "database": "ok" if failed is None else "unreachable",
        }
        if reasons:
            answer["reasons"] = reasons
        return _json(503 if reasons else 200, answer)

    return handle


def metrics_route(exposition: Callable[[], bytes], content_type: str) -> Handler:
    """GET /metrics: every metric, in Prometheus' text format."""

    def handle(headers: Mapping[str, str], body: bytes) -> Answer:
        return 200, content_type, exposition()

    return handle
