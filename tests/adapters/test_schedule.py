"""Who is on call from a PagerDuty schedule: the official REST client against the local
server's /oncalls, its errors, and the service that maps PagerDuty users to Slack."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from watchstander.adapters.pager import PagerError, Schedule
from watchstander.services.oncall import AdminsOnCall, ScheduleOnCall
from watchstander.settings import Settings
from watchstander_sandbox.pagerduty_server import Failure, LocalPagerDuty

TOKEN = "u+local-rest-token"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SLACK = {"alice.jansen@example.com": "U0ALICE", "bob.de.vries@example.com": "U0BOB"}


def entry(email: str, start: datetime, end: datetime) -> dict[str, object]:
    return {
        "escalation_level": 1,
        "schedule": {"id": "PSCHED1", "type": "schedule_reference"},
        "user": {"id": "P" + email[:3].upper(), "type": "user", "email": email},
        "start": start.isoformat().replace("+00:00", "Z"),
        "end": end.isoformat().replace("+00:00", "Z"),
    }


@pytest.fixture
def pd() -> Iterator[LocalPagerDuty]:
    server = LocalPagerDuty(api_token=TOKEN).start()
    server.oncalls = [
        entry("alice.jansen@example.com", NOW - timedelta(days=1), NOW + timedelta(days=6)),
        entry("bob.de.vries@example.com", NOW + timedelta(days=6), NOW + timedelta(days=13)),
        {**entry("bob.de.vries@example.com", NOW, NOW), "schedule": {"id": "OTHER"}},
    ]
    yield server
    server.stop()


def schedule(pd: LocalPagerDuty, token: str = TOKEN) -> Schedule:
    return Schedule(token, "PSCHED1", pd.url, timeout=1.0, backoff=0.001)


def test_reads_the_schedule(pd: LocalPagerDuty) -> None:
    reader = schedule(pd)
    try:
        shifts = reader.on_call(NOW, NOW + timedelta(weeks=2))
    finally:
        reader.close()
    assert [s[0] for s in shifts] == ["alice.jansen@example.com", "bob.de.vries@example.com"]
    assert shifts[0][2] == NOW + timedelta(days=6)


def test_a_wrong_token_or_an_outage_is_one_clear_error(pd: LocalPagerDuty) -> None:
    for reader, failures in ((schedule(pd, "wrong"), ()), (schedule(pd), (Failure(500),) * 5)):
        pd.fail_next(*failures)
        try:
            with pytest.raises(PagerError, match="schedule could not be read"):
                reader.on_call(NOW, NOW + timedelta(days=1))
        finally:
            reader.close()


def test_on_call_from_pagerduty_with_the_last_good_answer_kept(pd: LocalPagerDuty) -> None:
    reader = schedule(pd)
    fallback = AdminsOnCall(Settings.from_env({"ROTATION_ADMINS": "U0ERIN"}))
    source = ScheduleOnCall(reader, SLACK.get, fallback, refresh=timedelta(minutes=5))
    try:
        now = source(NOW)
        assert (now.primary, now.next_person, now.source) == ("U0ALICE", "U0BOB", "PagerDuty")
        assert now.until == NOW + timedelta(days=6)
        calls = len(pd.requests)
        source(NOW + timedelta(minutes=1))
        assert len(pd.requests) == calls  # cached
        pd.fail_next(*[Failure(503)] * 5)
        assert source(NOW + timedelta(minutes=10)).primary == "U0ALICE"  # kept through an outage
        assert source(NOW + timedelta(days=7)).primary == "U0BOB"
        unknown = ScheduleOnCall(reader, lambda email: None, fallback)
        assert unknown(NOW).primary == "U0ERIN"  # nobody in Slack with that address
    finally:
        reader.close()


def test_an_override_goes_into_the_pagerduty_schedule(pd: LocalPagerDuty) -> None:
    from watchstander.services.oncall import OnCallError
    from watchstander.services.rotation import RotationService
    from watchstander.store import Store

    reader = schedule(pd)
    fallback = AdminsOnCall(Settings.from_env({"ROTATION_ADMINS": "U0ERIN"}))
    emails = {v: k for k, v in SLACK.items()}
    source = ScheduleOnCall(reader, SLACK.get, fallback, email_of=emails.get)
    store = Store("sqlite://")
    store.migrate()
    settings = Settings.from_env({"ROTATION_ADMINS": "U0ERIN"})
    rotations = RotationService(store, settings, external=source)
    try:
        assert rotations(NOW).primary == "U0ALICE"
        made = rotations.override("U0ERIN", "<@U0BOB> 2h", NOW)
        assert made["person"] == "U0BOB"
        assert rotations(NOW + timedelta(hours=1)).primary == "U0BOB"  # read again at once
        assert rotations(NOW + timedelta(hours=3)).primary == "U0ALICE"
        with pytest.raises(OnCallError, match="e-mail address"):
            rotations.override("U0ERIN", "<@U0CAROL> 1h", NOW)
        with pytest.raises(OnCallError, match="Only rotation admins"):
            rotations.override("U0BOB", "<@U0BOB> 1h", NOW)
    finally:
        reader.close()
        store.dispose()
