"""`!rotation import <url>`: a feed, once, as the bot's own rotation with its overrides, on a
real store; admins only; a feed that cannot be read changes nothing; what was imported said
in one message through the one voice, the feed's words quoted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from ical_helpers import SECRET, FeedServer, fixture

from watchstander.adapters.calendar_feed import CalendarFeed
from watchstander.render import Renderer, SlackVoice
from watchstander.render.views import views
from watchstander.services.calendar_oncall import Matcher
from watchstander.services.oncall import OnCallError
from watchstander.services.rotation import RotationService
from watchstander.services.rotation_import import RotationImport
from watchstander.settings import Settings
from watchstander.store import AuditRow, OverrideRow, RotationRow, Store

NOW = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)
NAMES = [("alice", "U0ALICE"), ("bob", "U0BOB"), ("carol", "U0CAROL"), ("dave", "U0DAVE")]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    running = FeedServer().start()
    yield running
    running.stop()


def importer(store: Store) -> tuple[RotationImport, RotationService, Settings]:
    settings = Settings.from_env({"ROTATION_ADMINS": "U0ADMIN", "TIMEZONE": "Europe/Berlin"})
    rotation = RotationService(store, settings)
    matcher = Matcher(lambda email: None, lambda: NAMES)
    imports = RotationImport(rotation, matcher, lambda url: CalendarFeed(url, timeout=2))
    return imports, rotation, settings


def test_import_grafana_feed(server: FeedServer, store: Store) -> None:
    server.body = fixture("grafana_oncall.ics")
    imports, rotation, settings = importer(store)
    rotation.override("U0ADMIN", "<@U0BOB> from 2026-04-01 10:00 to 2026-04-02 10:00", NOW)
    done = imports.run("U0ADMIN", f"<{server.feed}>", NOW)
    assert done["people"] == ["U0ALICE", "U0BOB", "U0CAROL"]
    assert (done["every"], done["handoff"]) == ("7d", "mon 10:00")
    assert done["timezone"] == "Europe/Berlin"
    assert done["overrides"] == 1
    assert done["replaced"] == 1
    assert done["unknown"] == ["[L1] erin"]  # erin is nobody here: left to the rotation
    assert rotation(NOW).primary == "U0ALICE"
    assert rotation(datetime(2026, 3, 31, tzinfo=UTC)).primary == "U0BOB"  # no longer overridden
    assert rotation(datetime(2026, 4, 1, 12, 0, tzinfo=UTC)).primary == "U0BOB"
    assert rotation(datetime(2026, 4, 7, tzinfo=UTC)).primary == "U0DAVE"
    assert rotation(datetime(2026, 4, 14, tzinfo=UTC)).primary == "U0ALICE"
    assert rotation(datetime(2026, 4, 21, tzinfo=UTC)).primary == "U0BOB"
    assert rotation(datetime(2026, 3, 30, 7, 59, tzinfo=UTC)).primary == "U0ALICE"
    assert rotation(datetime(2026, 3, 30, 8, 0, tzinfo=UTC)).primary == "U0BOB"  # 10:00 CEST
    with store.transaction() as tx:
        assert tx.count(RotationRow) == 1
        rows = tx.overrides(NOW)
        assert [(o.person, o.reason) for o in rows if o.end_at > NOW] == [("U0DAVE", "import")]
        audits = [a for a in tx.session.query(AuditRow).all() if a.action == "rotation:import"]
        assert len(audits) == 1
        assert SECRET not in (audits[0].detail or "")
    text = Renderer(SlackVoice(), views(settings)).render("imported", done)
    assert text.startswith("📥 Imported the rotation from the calendar at 127.0.0.1: <@U0ALICE>")
    assert "'[L1] erin'" in text
    assert "\n" not in text


@pytest.mark.parametrize("written", ["URL", "<URL>", "<URL|feed>", "&lt;URL&gt;"])
def test_the_address_as_each_door_writes_it(server: FeedServer, store: Store, written: str) -> None:
    """As typed (Mattermost), as Slack links it, or typed in angle brackets (escaped)."""
    server.body = fixture("grafana_oncall.ics")
    imports, _, _ = importer(store)
    done = imports.run("U0ADMIN", written.replace("URL", server.feed), NOW)
    assert done["people"] == ["U0ALICE", "U0BOB", "U0CAROL"]


def test_hostile_names_in_the_message_are_quoted(server: FeedServer, store: Store) -> None:
    server.body = fixture("grafana_oncall.ics").replace(b"[L1] erin", b"<!channel> <@U0NOPE>")
    imports, _, settings = importer(store)
    done = imports.run("U0ADMIN", server.feed, NOW)
    text = Renderer(SlackVoice(), views(settings)).render("imported", done)
    assert "<!channel>" not in text
    assert "<@U0NOPE>" not in text


@pytest.mark.parametrize(
    ("actor", "args", "status", "why"),
    [
        ("U0BOB", "URL", 200, "Only rotation admins"),
        ("U0ADMIN", "", 200, "Give the feed's address"),
        ("U0ADMIN", "URL extra", 200, "Give the feed's address"),
        ("U0ADMIN", "file:///etc/passwd", 200, "not an http:// or https:// address"),
        ("U0ADMIN", "URL", 500, "answered 500; nothing changed."),
        ("U0ADMIN", "URL", 200, "names nobody known here"),
    ],
)
def test_refused_imports_change_nothing(
    server: FeedServer, store: Store, actor: str, args: str, status: int, why: str
) -> None:
    server.status = status
    body = fixture("grafana_oncall.ics")
    server.body = body if "nobody" not in why else body.replace(b"[L", b"[X").replace(b"] ", b"]zz")
    imports, rotation, _ = importer(store)
    with pytest.raises(OnCallError) as refused:
        imports.run(actor, args.replace("URL", server.feed), NOW)
    note = refused.value.note
    assert why in note.text.format(**{k: str(v) for k, v in note.values.items()})
    with store.transaction() as tx:
        assert tx.count(RotationRow) == 0
        assert tx.count(OverrideRow) == 0
    assert rotation(NOW + timedelta(hours=1)).source == "ROTATION_ADMINS"
