"""The composition root: how Watchstander is wired, in one place.

A chat platform's door (the Errbot glue, ``watchstander_errbot``) builds a :class:`Platform`
(how to post, the voice that quotes, links and look-ups) and hands it here with the settings.
:class:`App` builds everything else once, in dependency order: the store, the voice, the
scheduler, the outside services (PagerDuty, GitHub), the services, the web routes. ``start``
brings the schema up to date and starts the work that runs by itself; ``close`` stops it all in
reverse order. Plugins get the services from here and never from each other.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from watchstander import jobs
from watchstander.adapters.calendar_feed import CalendarFeed
from watchstander.adapters.code_host import CodeHost
from watchstander.adapters.metrics import CONTENT_TYPE, ApiCounts, PrometheusMetrics
from watchstander.adapters.pager import Pager, Schedule
from watchstander.app_jobs import ScheduledWork
from watchstander.app_meaning import keep_meanings, meanings_of
from watchstander.domain.levels import Level
from watchstander.inbound import health, webhooks
from watchstander.later import Later
from watchstander.lease import Lease, hold_file, holder_id, holds_file, let_go_file
from watchstander.render import ChatSpeaker, Renderer, Voice
from watchstander.render.views import views
from watchstander.services.actions import ThreadActions
from watchstander.services.answers import AnswerService
from watchstander.services.calendar_oncall import FeedOnCall, Matcher
from watchstander.services.commands import ThreadCommands
from watchstander.services.effects import ChatPort, PeoplePort
from watchstander.services.figures import FiguresService
from watchstander.services.handoffs import GroupPort, HandoffService
from watchstander.services.help import HelpService
from watchstander.services.home import HomePort, HomeService
from watchstander.services.inbound import InboundMessage
from watchstander.services.nudge import Nudges
from watchstander.services.oncall import AdminsOnCall, ScheduleOnCall
from watchstander.services.postmortem import PostmortemService
from watchstander.services.reports import Reports
from watchstander.services.review import ReviewService
from watchstander.services.rotation import RotationService
from watchstander.services.rotation_import import RotationImport
from watchstander.services.suggestions import Suggestions
from watchstander.services.triage import TriageService
from watchstander.settings import Settings
from watchstander.store import Store, StoreError
from watchstander.web import WebServer

log = logging.getLogger(__name__)
FEED_EVERY = timedelta(minutes=5)  # how often a calendar feed of who is on call is read


class People(PeoplePort, Protocol):
    """The chat platform's people: whether one exists (commands that name people), and
    e-mail addresses (for a PagerDuty schedule)."""

    def __call__(self, email: str) -> str | None: ...

    def email_of(self, user: str) -> str | None: ...


@dataclass(frozen=True)
class Platform:
    """What a chat platform gives the core."""

    chat: ChatPort
    voice: Voice
    link: Callable[[str, str], str]  # (channel, ts) -> the message's address
    channel_id: Callable[[str], str]  # a channel's name -> its id
    group_handles: Callable[[], Mapping[str, str]] | None = None  # group id -> handle
    user_group: Callable[[str], GroupPort] | None = None  # group id -> its members
    people: People | None = None
    names: Callable[[str], str] | None = None  # a person's id -> their name, for documents
    home: HomePort | None = None  # a person's Home (Slack: the App Home tab)
    named: Callable[[], Iterable[tuple[str, str]]] | None = None  # (name, id): a calendar feed
    connected: Callable[[], bool] | None = None  # None: cannot tell (taken as connected)
    api_calls: ApiCounts | None = None  # the platform's API calls and 429s, by method
    api_platform: str = "slack"  # whose API ``api_calls`` counts (metrics.API_NAMES)


def utc_now() -> datetime:
    return datetime.now(UTC)


class App(ScheduledWork):
    def __init__(
        self, settings: Settings, platform: Platform, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.settings, self.platform, self.clock = settings, platform, clock
        # Set when the process begins to stop: work waiting on GitHub or PagerDuty lets go
        # (what it began is recorded, and finished by the next start's `resume`)
        self.stopping = threading.Event()
        self.taker, self._resuming = holder_id(), threading.Lock()  # see app_jobs.resume
        self._stack = ExitStack()
        try:
            self._build(settings, platform)
        except BaseException:
            self._stack.close()
            raise

    def _build(self, settings: Settings, platform: Platform) -> None:
        close = self._stack.callback
        # the store, and the one voice
        self.store = Store(settings.database_url)
        close(self.store.dispose)
        self.metrics = PrometheusMetrics()  # the App's own registry
        self.metrics.read_at_scrape(
            open_threads=self.open_urgent,
            role=self.role,
            api_calls=platform.api_calls,
            api_platform=platform.api_platform,
        )
        self.renderer = Renderer(platform.voice, views(settings))
        self.say = ChatSpeaker(self.renderer, platform.chat)
        self.channel_id = platform.channel_id(settings.support_channel)
        self._digest_channel: str | None = None
        # the scheduler (its job store is the bot's own database)
        self.scheduler = jobs.Scheduler(self.store.engine, settings.tz, self.store.writer)
        self.scheduler.when_job_late(self.metrics.job_lag, utc_now)  # APScheduler's real time
        # PostgreSQL: any number of processes; the lease's holder runs the scheduled work
        self.lease = (
            None
            if self.store.is_sqlite
            else Lease(
                self.store,
                self.taker,
                settings.lease_length,
                gained=self.gained,
                lost=lambda _now: self.scheduler.follow(),
                kept=self.kept,
            )
        )
        # the outside services, each only when its secret is set
        secrets = settings.secrets
        key = secrets.get("PAGERDUTY_ROUTING_KEY")
        self.pager = Pager(key, settings.pagerduty_events_url) if key else None
        if self.pager is not None:
            close(self.pager.close)
        token = secrets.get("GITHUB_TOKEN")
        repo = settings.github_repo
        self.code_host = CodeHost(token, repo, settings.github_api_url) if token and repo else None
        if self.code_host is not None:
            close(self.code_host.close)
        # the services
        self.names: Callable[[str], str] = platform.names or (lambda person: person)
        people = platform.people
        self.matcher = Matcher(people, platform.named) if people is not None else None
        self.rotation = RotationService(
            self.store, settings, self._schedule(), people=platform.people, names=self.names
        )
        self.rotation_import = RotationImport(self.rotation, self.matcher, CalendarFeed)
        self.triage = TriageService(
            self.store,
            settings,
            channel_id=self.channel_id,
            emit=self.say,
            oncall=self.rotation,
            timers=self.scheduler,
            group_handles=platform.group_handles,
            pager=self.pager,
            link=platform.link,
            stopping=self.stopping,
            update=self.say.update,
            metrics=self.metrics,
            taker=self.taker,
            forget_after=1.0,
        )
        self.commands = ThreadCommands(self.triage, people=platform.people)
        self.actions = ThreadActions(self.commands)
        self.meanings = meanings_of(settings, self.store)
        self.answers = AnswerService(
            self.store, platform.link, settings.topic_stopwords, meanings=self.meanings
        )
        self.suggestions = Suggestions(
            self.answers, self.commands, emit=self.say, mode=settings.answers
        )
        self.nudges = Nudges(
            self.store,
            channel_id=self.channel_id,
            tz=settings.tz,
            emit=self.say,
            link=platform.link,
        )
        # what a new post leaves once answered is done after, so the next event need not wait
        self.later = Later("after-posts", "a new post's earlier threads and nudge")
        close(self.later.close)
        self.triage.posted.append(lambda msg, now: self.later(self.posted, msg, now))
        self.help = HelpService(
            self.store,
            settings,
            self.answers,
            channel_id=self.channel_id,
            render=self.renderer.render,
            say=self.say,
            triage=self.triage,
            group_handles=platform.group_handles,
            taker=self.taker,
        )
        group = settings.oncall_usergroup_id
        self.handoffs = HandoffService(
            self.store,
            settings,
            self.rotation,
            channel_id=self.channel_id,
            emit=self.say,
            group=platform.user_group(group) if platform.user_group and group else None,
        )
        self.home = HomeService(
            self.store, settings, self.rotation, link=platform.link, port=platform.home
        )
        self.postmortems = PostmortemService(self.store, settings, platform.link, self.names)
        self.review = ReviewService(
            self.store,
            code_host=self.code_host,
            link=platform.link,
            postmortems=self.postmortems.for_issue,
            tags=settings.review_tags,
            names=self.names,
            stop=settings.topic_stopwords,
            stopping=self.stopping,
            taker=self.taker,
        )
        self.figures = FiguresService(
            self.store, settings, link=platform.link, on_call=self.rotation
        )
        self.reports = Reports(
            settings,
            self.figures,
            self.review,
            say=self.say,
            upload=self.say.upload,
            digest_channel=self.digest_channel,
            optimize=self.store.optimize,
            postmortems=self.postmortems,
        )
        self.web = self._web()

    def _schedule(self) -> ScheduleOnCall | FeedOnCall | None:
        """With PAGERDUTY_SCHEDULE_ID and PAGERDUTY_API_TOKEN, PagerDuty says who is on call;
        with ONCALL_ICAL_URL, that calendar feed does."""
        wanted, people = self.settings.schedule(), self.platform.people
        if people is not None and wanted is None and self.settings.calendar_feed_url:
            return self._feed(people)
        if wanted is None or people is None:
            return None
        schedule = Schedule(wanted[0], wanted[1], self.settings.pagerduty_api_url)
        self._stack.callback(schedule.close)
        fallback = AdminsOnCall(self.settings)
        return ScheduleOnCall(schedule, people, fallback, email_of=people.email_of)

    def _feed(self, people: People) -> FeedOnCall:
        feed = CalendarFeed(self.settings.calendar_feed_url or "")
        self._stack.callback(feed.close)
        matcher = Matcher(people, self.platform.named)
        return FeedOnCall(feed, matcher, AdminsOnCall(self.settings), self.settings.tz)

    def _web(self) -> WebServer | None:
        """The web server: the calendar feed, PagerDuty's webhooks, GitHub's (with a secret),
        health (live, ready) and the metrics."""
        s, clock = self.settings, self.clock
        routes = {
            ("GET", "/healthz"): health.live_route(),
            ("GET", "/readyz"): health.ready_route(
                connected=self.platform.connected, database=self.database_fault, role=self.role
            ),
            ("GET", "/metrics"): health.metrics_route(self.metrics.exposition, CONTENT_TYPE),
            ("GET", "/oncall.ics"): webhooks.calendar_route(self.rotation.calendar, clock),
            ("POST", "/pagerduty"): webhooks.pagerduty_route(
                s.secrets.get("PAGERDUTY_WEBHOOK_SECRET", ""), self.triage.pagerduty_event, clock
            ),
        }
        github_secret = s.secrets.get("GITHUB_WEBHOOK_SECRET", "")
        if github_secret:
            routes[("POST", "/github")] = webhooks.github_route(
                github_secret, self.review.issue_closed, self.reports.closed, clock
            )
        try:
            web = WebServer(s.http_host, s.http_port, routes)
        except OSError as exc:  # a port in use must not stop the bot
            log.warning("the web server did not start on port %s: %s", s.http_port, exc)
            return None
        self._stack.callback(web.stop)
        return web

    # --- health ---------------------------------------------------------------------------------

    def role(self) -> str:
        """This replica's part in the scheduled work: ``single`` (the only process: SQLite,
        or one process on PostgreSQL); with a lease, ``leader`` (runs it) or ``standby``."""
        if self.lease is None:
            return "single"
        return "leader" if self.scheduler.leading else "standby"

    def database_fault(self) -> str | None:
        """None when the database answers a trivial query; else why not, in a word."""
        try:
            self.store.ping()
        except StoreError as exc:
            log.warning("The database does not answer: %s", type(exc).__name__)
            return type(exc).__name__
        return None

    def open_urgent(self) -> dict[str, int] | None:
        """Open urgent and emergency threads by level (for /metrics); None when the database
        does not answer."""
        try:
            with self.store.transaction() as tx:
                counts = tx.open_loud_counts()
        except StoreError as exc:
            log.warning("Open threads not counted for /metrics: %s", type(exc).__name__)
            return None
        labels = {int(level): level.label for level in Level}
        return {labels[level]: n for level, n in counts.items() if level in labels}

    # --- running --------------------------------------------------------------------------------

    def start(self) -> App:
        s, now = self.settings, self.clock()
        held = holds_file(s.database_url)  # by the process (the backend), before this App
        hold_file(s.database_url)  # SQLite: this process alone (SecondProcess otherwise)
        if not held:  # this App took it: it lets it go when it closes
            self._stack.callback(let_go_file, s.database_url)
        self.store.migrate()
        jobs.install(self)
        self._stack.callback(jobs.install, None)
        lease = self.lease
        if lease is not None:
            self._stack.callback(lambda: lease.release(self.clock()))
        self._stack.callback(self.triage.owed.flush)  # after the last event and job
        self._stack.callback(self.scheduler.shutdown)
        at = self.scheduler.set_cron("review", s.review_schedule, s.tz)
        log.info("Weekly review on %s, next at %s", s.review_schedule, at)
        at = self.scheduler.set_cron("digest", s.digest_schedule, s.tz)
        log.info("Daily digest on %s, next at %s", s.digest_schedule, at)
        if self.code_host is not None and "GITHUB_WEBHOOK_SECRET" not in s.secrets:
            self.scheduler.set_every("github-poll", s.github_poll_interval)
        if isinstance(self.rotation.external, FeedOnCall):
            self.scheduler.set_every("oncall-feed", FEED_EVERY)
        self.rotation.changed.append(self.rotation_changed)
        if lease is None:
            self.lead(now)
        else:  # alive, leading or not; either way what processes gone left is taken over
            if not lease.tick(now):
                self.take_over(now)
            keeper = threading.Thread(
                target=lease.run, args=(self.clock, self.stopping), name="lease", daemon=True
            )
            keeper.start()
            self._stack.callback(keeper.join, 5.0)
            log.info("Lease on scheduled work: %s", "held" if lease.generation else "another's")
        self.rotation_changed(now, sync_group=True)
        if self.meanings is not None:
            leading = lambda: self.scheduler.leading  # noqa: E731
            keep_meanings(self.meanings, self.clock, self.stopping, leading, self._stack)
        if self.web is not None:
            self.web.start()
            log.info("Web server at %s (calendar feed: %s)", self.web.address, self.calendar_url())
        for line in s.missing_integrations():
            log.info(line)
        log.info(
            "Watching #%s (%s); next timed action at %s",
            s.support_channel,
            self.channel_id,
            self.scheduler.armed_at,
        )
        return self

    def close(self) -> None:
        """Stop everything, in the reverse order of building it."""
        self.stopping.set()
        self._stack.close()
        log.info("Closed: the web server, the scheduler and the database")

    # --- wiring between services ----------------------------------------------------------------

    def rotation_changed(self, at: datetime, sync_group: bool = False) -> None:
        """Who is on call may have changed: announce a handoff, and look again at the next."""
        self.scheduler.arm_handoff(self.handoffs.check(at, sync_group=sync_group))

    def posted(self, msg: InboundMessage, now: datetime) -> None:
        """A new root post, once answered: a post that answers another is nudged towards that
        thread; a question is offered earlier threads like it. A question asked with the
        help form is neither: its words are the asker's fields, and the form showed them
        the earlier threads already."""
        if msg.level is not None:
            return
        if not self.nudges.answers_another(msg, now):
            self.suggestions.posted(msg, now)

    def digest_channel(self) -> str:
        if self._digest_channel is None:
            self._digest_channel = self.platform.channel_id(self.settings.digest_target)
        return self._digest_channel

    def calendar_url(self) -> str | None:
        base = self.settings.public_url or (self.web.address if self.web is not None else "")
        return f"{base.rstrip('/')}/oncall.ics" if base else None
