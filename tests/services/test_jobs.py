"""The timer job on a real APScheduler and database: armed at the earliest deadline, each
action once, armed again from the database after a restart. The clock the job reads is fixed;
tests wait on an event with a timeout, never on sleep."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from triage_helpers import CHANNEL, ONCALL, SECONDARY

from watchstander import jobs
from watchstander.services.effects import Effect
from watchstander.services.inbound import InboundMessage, datetime_to_ts
from watchstander.services.oncall import OnCall
from watchstander.services.triage import TriageService
from watchstander.settings import Settings
from watchstander.store import Store

URGENT = "<!subteam^S0ONCALL|@oncall> export is broken"
# APScheduler runs on real time: every deadline here is a day ahead of it, so a job runs only
# when a test arms it in the past on purpose.
BASE = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


def at(minutes: float) -> datetime:
    return BASE + timedelta(minutes=minutes)


def ts(minutes: float) -> str:
    return datetime_to_ts(at(minutes))


def post(minutes: float, user: str, text: str) -> InboundMessage:
    return InboundMessage(CHANNEL, ts(minutes), None, user, text)


class Said:
    def __init__(self) -> None:
        self.effects: list[Effect] = []
        self.changed = threading.Condition()

    def __call__(self, effect: Effect, /) -> None:
        with self.changed:
            self.effects.append(effect)
            self.changed.notify_all()

    def wait_for(self, template: str, count: int = 1, timeout: float = 15) -> bool:
        with self.changed:
            return self.changed.wait_for(
                lambda: sum(e.template == template for e in self.effects) >= count, timeout
            )


def service_on(store: Store, scheduler: jobs.Scheduler, said: Said) -> TriageService:
    return TriageService(
        store,
        Settings.from_env({}),
        channel_id=CHANNEL,
        emit=said,
        oncall=lambda now: OnCall(ONCALL, SECONDARY),
        timers=scheduler,
    )


@dataclass
class Host:
    """The bot as the jobs see it (as the composition root runs them), on a fixed clock."""

    service: TriageService
    scheduler: jobs.Scheduler
    clock: list[datetime]

    def due_timers(self) -> None:
        self.scheduler.take_due(
            lambda: self.service.run_due(self.clock[0]), self.service.earliest_due
        )

    def handoff_due(self) -> None:
        raise AssertionError("no handoff job in these tests")

    def run_scheduled(self, job: str) -> None:
        raise AssertionError(f"no scheduled job in these tests: {job}")


Running = tuple[TriageService, jobs.Scheduler, Said, list[datetime]]


@pytest.fixture
def running(store: Store) -> Iterator[Running]:
    said = Said()
    clock = [at(0)]
    scheduler = jobs.Scheduler(store.engine, writer=store.writer)
    service = service_on(store, scheduler, said)
    jobs.install(Host(service, scheduler, clock))
    scheduler.start()
    yield service, scheduler, said, clock
    jobs.install(None)
    scheduler.shutdown()


def test_armed_at_the_earliest_deadline_only(running: Running) -> None:
    service, scheduler, _, _ = running
    service.handle_message(post(0, "U0CAROL", URGENT), at(0))
    assert scheduler.armed_at == at(15)  # the claim reminder
    service.handle_message(post(5, "U0CAROL", URGENT), at(5))
    assert scheduler.armed_at == at(15)  # a later deadline does not move the job


def test_due_actions_run_once_and_rearm(running: Running) -> None:
    service, scheduler, said, clock = running
    service.handle_message(post(-100, "U0CAROL", URGENT), at(0))
    service.handle_message(post(-1, "U0CAROL", URGENT), at(0))
    assert scheduler.armed_at == at(-85)  # the old thread's reminder, still ahead in real time
    clock[0] = at(0)
    ran = threading.Event()
    scheduler.when_job_done(ran.set)
    scheduler.settle(datetime.now(UTC) - timedelta(seconds=1))  # a past time: runs at once
    assert ran.wait(15)
    assert said.wait_for("breach")  # the old thread: reminder and breach
    assert said.wait_for("claim_reminder", count=1)
    with said.changed:
        kinds = [(e.thread_ts, e.template) for e in said.effects if e.template != "announce"]
    assert kinds.count((ts(-100), "claim_reminder")) == 1
    assert kinds.count((ts(-100), "breach")) == 1
    assert all(t != ts(-1) for t, _ in kinds)  # not due yet
    # armed again at the young thread's reminder, read from the database
    assert scheduler.armed_at == at(-1) + timedelta(minutes=15)


def test_restart_arms_from_the_database(store: Store) -> None:
    first = jobs.Scheduler(store.engine, writer=store.writer)
    service = service_on(store, first, Said())
    first.start()
    service.handle_message(post(0, "U0CAROL", URGENT), at(0))
    first.shutdown()
    second = jobs.Scheduler(store.engine, writer=store.writer)
    second.start()
    try:
        second.settle(service.earliest_due())
        assert second.armed_at == at(15)
    finally:
        second.shutdown()


def test_the_weekly_review_is_a_cron_job_in_the_team_time_zone(store: Store) -> None:
    from zoneinfo import ZoneInfo

    scheduler = jobs.Scheduler(store.engine, writer=store.writer)
    scheduler.start()
    try:
        amsterdam = ZoneInfo("Europe/Amsterdam")
        at_next = scheduler.set_cron("review", "mon 10:00", amsterdam)
        assert at_next is not None
        local = at_next.astimezone(amsterdam)
        assert (local.weekday(), local.hour, local.minute) == (0, 10, 0)
        assert scheduler.set_cron("review", "mon 10:00", amsterdam) == at_next  # replaced, one job
    finally:
        scheduler.shutdown()


def test_a_bad_review_schedule_is_one_line() -> None:
    from watchstander.settings import SettingsError

    with pytest.raises(SettingsError, match="REVIEW_SCHEDULE: 'sometimes' is not a schedule"):
        Settings.from_env({"REVIEW_SCHEDULE": "sometimes"})
