"""The composition root's scheduled work: leading (the lease's holder runs the scheduler),
and what each scheduled job does. Mixed into :class:`watchstander.app.App`, which wires
everything these use."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from watchstander.services.calendar_oncall import FeedOnCall
from watchstander.stopping import Abandoned

if TYPE_CHECKING:
    from watchstander import jobs
    from watchstander.lease import Lease
    from watchstander.render import ChatSpeaker
    from watchstander.services.reports import Reports
    from watchstander.services.rotation import RotationService
    from watchstander.services.triage import TriageService
    from watchstander.settings import Settings
    from watchstander.store import Store

log = logging.getLogger("watchstander.app")

DAILY = ("digest", "review")  # run once a day at most, whichever process runs their job


class ScheduledWork:
    """What the App has and these use:"""

    scheduler: jobs.Scheduler
    triage: TriageService
    settings: Settings
    lease: Lease | None
    clock: Callable[[], datetime]
    reports: Reports
    rotation: RotationService
    store: Store
    say: ChatSpeaker

    def resume(self, now: datetime) -> None:
        raise NotImplementedError

    def rotation_changed(self, at: datetime, sync_group: bool = False) -> None:
        raise NotImplementedError

    # --- leading: running the scheduled work ----------------------------------------------------

    def lead(self, now: datetime) -> None:
        """This process runs the scheduled work from now on: the scheduler starts, armed at
        the earliest due time the database holds (what fell due while none led runs now, once),
        and what the last leader began and did not finish is taken up."""
        self.scheduler.lead()
        self.scheduler.settle(self.triage.earliest_due())
        threading.Thread(target=self.resume, args=(now,), name="resume", daemon=True).start()

    def gained(self, now: datetime) -> None:
        """The lease was taken (at start, or from a holder that died or stopped): what fell
        due while none held it runs now (a cron job's time passed then, too)."""
        self.lead(now)
        self.rotation_changed(now)
        for job in self.scheduler.catch_up(now, 3 * self.settings.lease_length):
            log.info("The scheduled %s fell due while no process held the lease: now", job)

    def kept(self, now: datetime) -> None:
        """The lease was renewed: other processes may have set earlier due times or changed
        the rotation since the last renewal; arm for them. What a process that died left
        unsaid is said (in a thread of its own: the renewals go on meanwhile)."""
        self.scheduler.settle(self.triage.earliest_due())
        self.rotation_changed(now)
        settling: threading.Lock = self.__dict__.setdefault("_settling", threading.Lock())
        if settling.acquire(blocking=False):  # one at a time
            args = (now, settling)
            threading.Thread(target=self._settle, args=args, name="owed", daemon=True).start()

    def _settle(self, now: datetime, settling: threading.Lock) -> None:
        try:
            self.triage.settle_owed(now, seen=self.say.said_already)
        except Exception:  # a fault: logged; the next renewal tries again
            log.exception("saying what a stopped process left unsaid failed")
        finally:
            settling.release()

    def may_run(self) -> bool:
        """The fence each job passes: SQLite's one process always; on PostgreSQL the holder
        of the lease, as the database says now."""
        return self.lease is None or self.lease.held(self.clock())

    # --- what the scheduler runs (jobs.Host) ----------------------------------------------------

    def due_timers(self) -> None:
        self.scheduler.take_due(lambda: self.triage.run_due(self.clock()), self.triage.earliest_due)

    def handoff_due(self) -> None:
        self.rotation_changed(self.clock())

    def run_scheduled(self, job: str) -> None:
        work = {
            "review": self.reports.scheduled_review,
            "digest": self.reports.scheduled_digest,
            "github-poll": self.reports.poll_closed,
            "oncall-feed": self.feed_due,
        }.get(job)
        if work is None:
            log.warning("no work for the scheduled job %s (from an older version?)", job)
            return
        now = self.clock()
        if job in DAILY and not self._first_of_day(job, now):
            log.info("the scheduled %s of today was run already", job)
            return
        try:
            work(now)
        except Abandoned as why:  # stopping: recorded, finished at the next start
            log.info("Stopping: the %s job left %s to the next start", job, why)

    def feed_due(self, now: datetime) -> None:
        """Read the calendar feed again; who is on call may have changed."""
        feed = self.rotation.external
        if isinstance(feed, FeedOnCall) and feed.refresh(now):
            self.rotation_changed(now)

    def _first_of_day(self, job: str, now: datetime) -> bool:
        """The digest and the review run once a day (in TIMEZONE) whichever process, and
        however often, their job runs: the first to claim the day's key runs them."""
        day = now.astimezone(self.settings.tz).date().isoformat()
        with self.store.transaction() as tx:
            return tx.once(f"scheduled:{job}:{day}", now)
