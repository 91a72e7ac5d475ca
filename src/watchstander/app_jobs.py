"""The composition root's scheduled work: leading (the lease's holder runs the scheduler),
and what each scheduled job does. Mixed into :class:`watchstander.app.App`, which wires
everything these use."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from watchstander.lease import gone_here
from watchstander.services.calendar_oncall import FeedOnCall
from watchstander.stopping import Abandoned

if TYPE_CHECKING:
    from watchstander import jobs
    from watchstander.lease import Lease
    from watchstander.render import ChatSpeaker
    from watchstander.services.help import HelpService
    from watchstander.services.reports import Reports
    from watchstander.services.review import ReviewService
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
    help: HelpService
    review: ReviewService
    taker: str  # this process, as the lease and the work it takes name it
    _resuming: threading.Lock  # held while work left by processes gone is taken over

    def rotation_changed(self, at: datetime, sync_group: bool = False) -> None:
        raise NotImplementedError

    # --- leading: running the scheduled work ----------------------------------------------------

    def lead(self, now: datetime) -> None:
        """This process runs the scheduled work from now on: the scheduler starts, armed at
        the earliest due time the database holds (what fell due while none led runs now, once),
        and what the last leader began and did not finish is taken up."""
        self.scheduler.lead()
        self.scheduler.settle(self.triage.earliest_due())
        self.take_over(now)

    def gained(self, now: datetime) -> None:
        """The lease was taken (at start, or from a holder that died or stopped): what fell
        due while none held it runs now (a cron job's time passed then, too)."""
        self.lead(now)
        self.rotation_changed(now)
        for job in self.scheduler.catch_up(now, 3 * self.settings.lease_length):
            log.info("The scheduled %s fell due while no process held the lease: now", job)

    def kept(self, now: datetime) -> None:
        """The lease was renewed: other processes may have set earlier due times or changed
        the rotation since the last renewal; arm for them. Work a process gone left (a
        standby that died making an issue, say) is taken over now."""
        self.scheduler.settle(self.triage.earliest_due())
        self.rotation_changed(now)
        if self.left_over(now):
            self.take_over(now)

    # --- taking over what a process gone left half-done -----------------------------------------

    def take_over(self, now: datetime) -> None:
        """Take up in the background what processes now gone left half-done (`resume`)."""
        threading.Thread(target=self.resume, args=(now,), name="resume", daemon=True).start()

    def resume(self, now: datetime) -> None:
        """What processes gone at ``now`` (stopped, or dead: this one's last run, or another
        replica) began and did not finish: the pages PagerDuty did not answer, what they
        decided to say in threads and did not, the help forms not yet posted, the review's
        issues GitHub did not make, and (the lease's holder) the scheduled job of the day.
        Each piece is taken over first: a live process keeps its own, and two processes
        taking over at once take each piece once."""
        if not self._resuming.acquire(blocking=False):
            return  # a take-over runs already: it finds what this one would
        try:
            with self.store.transaction() as tx:  # killed on this host: gone, whatever its row
                tx.forget_replicas(gone_here(tx.live_replicas(now)))
            self.triage.resume_pages(now)
            self.triage.settle_owed(now, seen=self.say.said_already)
            self.help.resume(now)
            self.review.resume(now)
            self.resume_daily(now)
        except Exception:  # a fault: logged, and the bot runs on
            log.exception("taking over what a stopped process began failed")
        finally:
            self._resuming.release()

    def left_over(self, now: datetime) -> bool:
        """Whether a process gone left work half-done (asked on every renewal of the lease)."""
        me, leading = self.taker, self.lease is None or self.lease.generation is not None
        with self.store.transaction() as tx:
            return bool(
                tx.pending_pages(me, now)
                or tx.owed_left(me, now)
                or tx.unfinished_issues(me, now)
                or tx.pending_questions(me, now)
                or (leading and tx.unfinished_daily(me, now))
            )

    def resume_daily(self, now: datetime) -> None:
        """The lease's holder runs the scheduled job of today (the digest, the review) that a
        process gone began and did not finish; one of an earlier day is let go."""
        if not self.may_run():
            return
        with self.store.transaction() as tx:
            left = tx.unfinished_daily(self.taker, now)
        today = now.astimezone(self.settings.tz).date().isoformat()
        for key, holder in left:
            _, job, day = key.split(":", 2)
            with self.store.transaction() as tx:
                if not tx.take_over_daily(key, holder, self.taker, now):
                    continue
                if day != today or job not in DAILY:
                    tx.daily_done(key, now)
                    log.info("The %s of %s that %s left undone is past: let go", job, day, holder)
                    continue
                tx.audit(now, None, f"took_over:{job}", None, holder or "")
            log.info("Running the %s of today that %s left half-done", job, holder)
            self._run(job, now, key)

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
        if self._work(job) is None:
            log.warning("no work for the scheduled job %s (from an older version?)", job)
            return
        now = self.clock()
        key = self._first_of_day(job, now) if job in DAILY else None
        if job in DAILY and key is None:
            log.info("the scheduled %s of today was run already", job)
            return
        self._run(job, now, key)

    def _work(self, job: str) -> Callable[[datetime], None] | None:
        return {
            "review": self.reports.scheduled_review,
            "digest": self.reports.scheduled_digest,
            "github-poll": self.reports.poll_closed,
            "oncall-feed": self.feed_due,
        }.get(job)

    def _run(self, job: str, now: datetime, key: str | None) -> None:
        """Run ``job``; the day's ``key`` is done after, unless the process stops half-way
        (then the next start, or the lease's next holder, runs it again)."""
        work = self._work(job)
        assert work is not None
        done = True
        try:
            work(now)
        except Abandoned as why:  # stopping: recorded, finished at the next start
            done = False
            log.info("Stopping: the %s job left %s to the next start", job, why)
        finally:
            if done and key is not None:
                with self.store.transaction() as tx:
                    tx.daily_done(key, self.clock())

    def feed_due(self, now: datetime) -> None:
        """Read the calendar feed again; who is on call may have changed."""
        feed = self.rotation.external
        if isinstance(feed, FeedOnCall) and feed.refresh(now):
            self.rotation_changed(now)

    def _first_of_day(self, job: str, now: datetime) -> str | None:
        """The digest and the review run once a day (in TIMEZONE) whichever process, and
        however often, their job runs: the first to take the day's key runs them (the key,
        or None). The key names this process until the job is done."""
        key = f"scheduled:{job}:{now.astimezone(self.settings.tz).date().isoformat()}"
        with self.store.transaction() as tx:
            return key if tx.take_daily(key, self.taker, now) else None
