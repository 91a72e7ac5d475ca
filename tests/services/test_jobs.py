"""The timer job on a real APScheduler and database: armed at the earliest deadline, each
action once, armed again from the database after a restart. The clock the job reads is fixed;
tests wait on an event with a timeout, never on sleep."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
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

    leads: bool = True  # holds the lease (see watchstander.lease)

    def may_run(self) -> bool:
        return self.leads

    def handoff_due(self) -> None:
        raise AssertionError("no handoff job in these tests")

    def run_scheduled(self, job: str) -> None:
        self.ran.append(job)

    ran: list[str] = field(default_factory=list)


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


def test_a_follower_arms_nothing_and_sets_its_cron_jobs_when_it_leads(store: Store) -> None:
    """Before it leads (another process holds the lease), a scheduler touches no job; its
    cron jobs are noted and set when it leads; after `follow` it can lead again."""
    scheduler = jobs.Scheduler(store.engine, writer=store.writer)
    service = service_on(store, scheduler, Said())
    assert scheduler.set_cron("digest", "mon-fri 09:00", UTC) is not None
    service.handle_message(post(0, "U0CAROL", URGENT), at(0))
    scheduler.settle(service.earliest_due())
    scheduler.arm_handoff(at(60))
    assert not scheduler.leading
    assert scheduler.armed_at is None
    with store.engine.connect() as connection:
        assert not store.engine.dialect.has_table(connection, jobs.JOB_TABLE)
    scheduler.lead()
    try:
        assert scheduler.leading
        assert scheduler._scheduler.get_job("watchstander:digest") is not None
        scheduler.settle(service.earliest_due())
        assert scheduler.armed_at == at(15)
        scheduler.follow()
        assert not scheduler._scheduler.running
        assert scheduler.armed_at is None
        scheduler.lead()  # a new APScheduler: one shut down cannot start again
        assert scheduler._scheduler.running
        assert scheduler.armed_at == at(15)  # the job store kept it
    finally:
        scheduler.shutdown()


def test_a_job_of_a_process_that_lost_the_lease_does_nothing(store: Store) -> None:
    """The fence: the job runs (the scheduler did not stop in time) but the host says it may
    not, and nothing is taken or said."""
    said, clock = Said(), [at(0)]
    scheduler = jobs.Scheduler(store.engine, writer=store.writer)
    service = service_on(store, scheduler, said)
    host = Host(service, scheduler, clock, leads=False)
    jobs.install(host)
    scheduler.start()
    try:
        service.handle_message(post(-100, "U0CAROL", URGENT), at(0))
        ran = threading.Event()
        scheduler.when_job_done(ran.set)
        scheduler.settle(datetime.now(UTC) - timedelta(seconds=1))
        assert ran.wait(15)
        assert not said.wait_for("claim_reminder", timeout=0)
        assert service.earliest_due() == at(-85)  # still due, for the lease's holder
    finally:
        jobs.install(None)
        scheduler.shutdown()


def test_a_cron_run_that_fell_due_while_none_led_runs_once_when_one_leads(store: Store) -> None:
    first = jobs.Scheduler(store.engine, writer=store.writer)
    first.set_cron("digest", "mon-fri 09:00", UTC)
    first.lead()
    first._scheduler.pause()  # the holder dies (runs nothing from here on) before it ran:
    first._scheduler.modify_job(
        "watchstander:digest", next_run_time=datetime.now(UTC) - timedelta(minutes=1)
    )
    host = Host(service_on(store, first, Said()), first, [at(0)])
    ran = threading.Event()
    second = jobs.Scheduler(store.engine, writer=store.writer)
    second.when_job_done(ran.set)
    jobs.install(host)
    try:
        second.set_cron("digest", "mon-fri 09:00", UTC)  # the stored job is kept, still due
        second.lead()
        assert ran.wait(15)
        assert host.ran == ["digest"]
        job = second._scheduler.get_job("watchstander:digest")
        assert job.next_run_time > datetime.now(UTC)  # once, then the next day's
    finally:
        jobs.install(None)
        second.shutdown()
        first.shutdown()


def test_a_new_holder_runs_the_cron_jobs_whose_time_just_passed(store: Store) -> None:
    """The old holder's APScheduler moved the digest on and did not run it (it lost the
    lease): the new holder runs the jobs whose time came within the window, and no other."""
    scheduler = jobs.Scheduler(store.engine, writer=store.writer)
    host = Host(service_on(store, scheduler, Said()), scheduler, [at(0)])
    ran = threading.Event()
    scheduler.when_job_done(ran.set)
    scheduler.set_cron("digest", "mon-fri 09:00", UTC)
    scheduler.set_cron("review", "mon 10:00", UTC)
    monday_nine = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert scheduler.catch_up(monday_nine, timedelta(seconds=45)) == []  # not leading
    jobs.install(host)
    scheduler.lead()
    try:
        after = monday_nine + timedelta(seconds=20)
        assert scheduler.catch_up(after, timedelta(seconds=45)) == ["digest"]
        assert ran.wait(15)
        assert host.ran == ["digest"]
        assert scheduler.catch_up(after + timedelta(minutes=5), timedelta(seconds=45)) == []
    finally:
        jobs.install(None)
        scheduler.shutdown()
