"""/healthz, /readyz and /metrics on a real App (real database, real web port): live while
it serves; ready only with the chat platform connected and the database answering, 503 with
the reasons otherwise (and ready again once they are back), the role said either way;
/metrics in Prometheus' text format from the App's own registry."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from test_app import NOW, Chat, platform, settings

from watchstander.app import App, Platform
from watchstander.store import Store
from watchstander_sandbox.bot_process import free_port

Start = Callable[[Platform], App]


@pytest.fixture
def start(database_url: str, store: Store) -> Iterator[Start]:
    apps: list[App] = []

    def make(made: Platform) -> App:
        app = App(settings(database_url, free_port()), made, clock=lambda: NOW).start()
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def get(app: App, path: str) -> tuple[int, str, bytes]:
    assert app.web is not None
    try:
        with urllib.request.urlopen(f"{app.web.address}{path}", timeout=5) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers["Content-Type"], refused.read()


def slack_like(connected: Callable[[], bool] | None) -> Platform:
    made = platform(Chat())
    return Platform(**{**made.__dict__, "connected": connected})


def role(app: App) -> str:
    """One process: ``single`` on SQLite; on PostgreSQL it holds the lease (``leader``)."""
    return "single" if app.store.is_sqlite else "leader"


def test_healthz_is_live(start: Start) -> None:
    app = start(slack_like(lambda: False))  # live, even when not ready
    assert get(app, "/healthz") == (200, "application/json", b'{"status": "live"}\n')


def test_readyz_follows_the_chat_connection(start: Start) -> None:
    up = [True]
    app = start(slack_like(lambda: up[0]))
    status, kind, body = get(app, "/readyz")
    assert (status, kind) == (200, "application/json")
    assert json.loads(body) == {
        "ready": True,
        "role": role(app),
        "chat": "connected",
        "database": "ok",
    }
    up[0] = False
    status, _, body = get(app, "/readyz")
    assert status == 503
    assert json.loads(body) == {
        "ready": False,
        "role": role(app),
        "chat": "disconnected",
        "database": "ok",
        "reasons": ["the chat platform is not connected"],
    }
    up[0] = True
    assert get(app, "/readyz")[0] == 200


def test_readyz_on_a_platform_that_cannot_tell_takes_it_as_connected(start: Start) -> None:
    app = start(platform(Chat()))  # Errbot's text/test backends: no `connected`
    status, _, body = get(app, "/readyz")
    assert status == 200
    assert json.loads(body)["chat"] == "unknown (this chat backend cannot tell; taken as connected)"


def test_readyz_is_503_while_the_database_does_not_answer(
    database_url: str, start: Start, tmp_path: Path
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the database is taken away as a file: SQLite")
    app = start(slack_like(lambda: True))
    path = Path(app.store.engine.url.database or "")
    app.store.engine.dispose()
    aside = tmp_path / "aside"
    aside.mkdir()
    for part in path.parent.glob(path.name + "*"):
        shutil.move(str(part), aside / part.name)
    path.mkdir()  # a directory where the file was: nothing can open it, not even root
    # a connection another thread (the meanings' keeper) opened before the move would still
    # reach the moved file: none is kept
    app.store.engine.dispose()
    try:
        status, _, body = get(app, "/readyz")
        answer = json.loads(body)
        assert status == 503
        assert answer["database"] == "unreachable"
        assert answer["reasons"] == ["the database does not answer (OperationalError)"]
        assert answer["role"] == role(app)
        assert get(app, "/healthz")[0] == 200  # still live
        assert b"watchstander_lease_holder" in get(app, "/metrics")[2]  # and still scraped
    finally:
        path.rmdir()
        for part in aside.iterdir():
            shutil.move(str(part), path.parent / part.name)
    assert get(app, "/readyz")[0] == 200


def test_metrics_are_prometheus_text_from_the_apps_own_registry(start: Start) -> None:
    app = start(slack_like(lambda: True))
    status, kind, body = get(app, "/metrics")
    assert status == 200
    assert kind.startswith("text/plain; version=")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    holder = families["watchstander_lease_holder"]
    assert [(s.labels, s.value) for s in holder.samples] == [({"role": role(app)}, 1.0)]
    open_urgent = families["watchstander_open_urgent_threads"]
    assert {s.labels["level"]: s.value for s in open_urgent.samples} == {
        "urgent": 0.0,
        "emergency": 0.0,
    }
    assert app.metrics.registry is not REGISTRY
    assert not [n for n in REGISTRY._names_to_collectors if n.startswith("watchstander")]
