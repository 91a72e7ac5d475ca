"""The composition root with a recording chat platform, on a real database and a real web
port: it starts and closes everything it built (nothing left running), a rotation change that
hands off is said through the platform, the scheduled digest is posted, and a job it does not
know is a log line."""

from __future__ import annotations

import logging
import socket
import threading
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from port_helpers import port_is_free

from watchstander import jobs
from watchstander.app import App, Platform
from watchstander.render import SlackVoice
from watchstander.services.controls import Control
from watchstander.services.effects import ChatError, CommandContext
from watchstander.services.inbound import InboundMessage, datetime_to_ts
from watchstander.settings import Settings
from watchstander.store import HandoffRow, Store
from watchstander_sandbox.bot_process import free_port

# The scheduler runs on real time: the app's clock is a day ahead of it, so nothing it arms
# runs during a test unless the test runs it.
NOW = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
CHANNELS = {"support": "C0SUPPORT", "support-digest": "C0DIGEST"}
ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"


@dataclass
class Chat:
    """A chat port that records what it is asked to say."""

    posts: list[tuple[str, str | None, str]] = field(default_factory=list)
    directs: list[tuple[str, str]] = field(default_factory=list)
    updates: list[tuple[str, str, str]] = field(default_factory=list)

    def post(
        self,
        channel: str,
        thread_ts: str | None,
        text: str,
        *,
        controls: Sequence[Control] = (),
    ) -> str | None:
        self.posts.append((channel, thread_ts, text))
        return datetime_to_ts(NOW + timedelta(seconds=len(self.posts)))

    def whisper(
        self,
        channel: str,
        thread_ts: str | None,
        person: str,
        text: str,
        *,
        controls: Sequence[Control] = (),
    ) -> None:
        self.directs.append((person, text))

    def update(self, channel: str, ts: str, text: str, *, controls: Sequence[Control] = ()) -> None:
        self.updates.append((channel, ts, text))

    def direct(self, person: str, text: str) -> str | None:
        self.directs.append((person, text))
        return None

    def upload(
        self, channel: str, thread_ts: str | None, files: list[tuple[str, bytes, str]]
    ) -> int:
        raise ChatError("this platform takes no files")


def platform(chat: Chat) -> Platform:
    return Platform(
        chat=chat,
        voice=SlackVoice(),
        link=lambda channel, ts: f"https://slack.test/{channel}/{ts}",
        channel_id=CHANNELS.__getitem__,
    )


def settings(database_url: str, port: int) -> Settings:
    return Settings.from_env(
        {
            "WATCHSTANDER_DATABASE_URL": database_url,
            "WATCHSTANDER_HTTP_PORT": str(port),
            "ROTATION_ADMINS": f"{ALICE},{BOB}",
            "DIGEST_CHANNEL": "#support-digest",
        }
    )


@pytest.fixture
def running(database_url: str, store: Store) -> Iterator[tuple[App, Chat]]:
    chat = Chat()
    app = App(settings(database_url, free_port()), platform(chat), clock=lambda: NOW).start()
    yield app, chat
    app.close()


def test_start_then_close_leaves_nothing_running(database_url: str, store: Store) -> None:
    before = set(threading.enumerate())
    port, chat = free_port(), Chat()
    app = App(settings(database_url, port), platform(chat), clock=lambda: NOW)
    try:
        assert app.start() is app
        assert jobs._host is app
        assert app.scheduler._scheduler.running
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/oncall.ics", timeout=5) as feed:
            assert feed.status == 200
            assert feed.read().startswith(b"BEGIN:VCALENDAR")
        assert app.calendar_url() == f"http://127.0.0.1:{port}/oncall.ics"
        assert app.answers.meanings is app.meanings is not None  # make test's meaning extra
        assert "meanings" in {thread.name for thread in threading.enumerate()}
        assert chat.posts == []
        assert chat.directs == []
        with store.transaction() as tx:
            assert tx.count(HandoffRow) == 1  # ...is recorded, not said
    finally:
        app.close()
    assert jobs._host is None
    assert not app.scheduler._scheduler.running
    assert port_is_free(port)
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=10)
        assert not thread.is_alive(), f"{thread.name} still runs after close()"


def test_meaning_off_finds_earlier_threads_by_their_words(
    database_url: str, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    chosen = settings(database_url, free_port())
    with caplog.at_level(logging.INFO, logger="watchstander.app"):
        app = App(replace(chosen, meaning="off"), platform(Chat()), clock=lambda: NOW)
    try:
        assert app.meanings is None
        assert app.answers.meanings is None
    finally:
        app.close()
    assert "by their words alone (WATCHSTANDER_MEANING=off)" in caplog.text


def test_a_port_in_use_leaves_the_bot_without_its_web_server(
    database_url: str, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        app = App(settings(database_url, port), platform(Chat()), clock=lambda: NOW)
        try:
            app.start()
            assert app.web is None
            assert app.calendar_url() is None
            assert jobs._host is app
        finally:
            app.close()
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w for w in warned if w.startswith(f"the web server did not start on port {port}:")]


def test_a_rotation_change_that_hands_off_is_said_through_the_platform(
    running: tuple[App, Chat],
) -> None:
    app, chat = running
    app.rotation.set_rotation(ALICE, f"<@{BOB}> <@{CAROL}> every 1w handoff mon 10:00", NOW)
    ((channel, thread_ts, said),) = chat.posts
    assert (channel, thread_ts) == ("C0SUPPORT", None)
    assert said.startswith(f"📟 Handoff: <@{BOB}> is on call now, until ")
    assert f"(taking over from <@{ALICE}>). No urgent threads are open." in said
    ((person, told),) = chat.directs
    assert person == BOB
    assert told.startswith("📟 You are on call now, until ")
    # and the root looks again at the next handoff the rotation names
    until = app.rotation(NOW).until
    assert until is not None
    assert until > NOW
    handoff = app.scheduler._scheduler.get_job(jobs.HANDOFF_JOB_ID)
    assert handoff is not None
    assert handoff.next_run_time == until


def test_the_scheduled_digest_is_posted_in_the_digest_channel(running: tuple[App, Chat]) -> None:
    app, chat = running
    root = datetime_to_ts(NOW - timedelta(hours=2))
    app.triage.handle_message(InboundMessage("C0SUPPORT", root, None, CAROL, "@oncall help"), NOW)
    assert [(c, t) for c, t, _ in chat.posts] == [("C0SUPPORT", root)]  # the announcement
    app.run_scheduled("digest")
    channel, thread_ts, digest = chat.posts[-1]
    assert (channel, thread_ts, len(chat.posts)) == ("C0DIGEST", None, 2)
    assert digest.startswith("☀️ *#support, ")
    assert f"On call: <@{ALICE}>" in digest
    assert "Open urgent and emergency threads: *1* (1 unclaimed, 1 with no answer" in digest
    assert (
        f"<https://slack.test/C0SUPPORT/{root}|urgent> “@\u2060oncall help” 2h 00m old, "
        "*unclaimed*, ⏰ no answer yet" in digest
    )
    app.run_scheduled("digest")  # again the same day (another replica, a caught-up run)
    assert len(chat.posts) == 2


def test_an_unknown_job_is_logged_not_raised(
    running: tuple[App, Chat], caplog: pytest.LogCaptureFixture
) -> None:
    app, chat = running
    with caplog.at_level(logging.WARNING, logger="watchstander.app"):
        app.run_scheduled("weekly-party")
    (record,) = [r for r in caplog.records if r.name == "watchstander.app"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "no work for the scheduled job weekly-party (from an older version?)"
    )
    assert chat.posts == []
    assert chat.directs == []


def test_a_new_post_that_answers_another_is_nudged_and_a_question_offered_answers(
    running: tuple[App, Chat],
) -> None:
    app, chat = running
    day = NOW - timedelta(days=1)

    def say(user: str, at: datetime, text: str, root: datetime | None = None) -> None:
        thread = datetime_to_ts(root) if root else None
        app.triage.handle_message(
            InboundMessage("C0SUPPORT", datetime_to_ts(at), thread, user, text), at
        )
        assert app.later.idle(10)  # what a new post leaves is done after it, on its own thread

    asked = "Scheduled export to S3 fails with AccessDenied"
    say(CAROL, day, asked)
    say(BOB, day + timedelta(minutes=1), "fix the bucket policy", root=day)
    app.commands.resolve(
        CommandContext(
            "C0SUPPORT", BOB, datetime_to_ts(day + timedelta(minutes=2)), datetime_to_ts(day)
        ),
        "",
        day + timedelta(minutes=2),
    )
    chat.directs.clear()
    say(BOB, NOW, f"&gt; {asked}\nthe bucket policy, again")  # an answer, not a question
    assert [who for who, _ in chat.directs] == [BOB]
    assert "reply in its thread" in chat.directs[0][1]
    say(CAROL, NOW + timedelta(minutes=1), "our nightly S3 export: AccessDenied again?")
    assert [who for who, _ in chat.directs] == [BOB, CAROL]
    assert chat.directs[1][1].startswith("💡 These earlier threads may answer it:")


class Directory:
    """The platform's people: e-mail addresses and names (for a calendar feed)."""

    def __call__(self, email: str) -> str | None:
        return {"bob@example.com": BOB}.get(email)

    def email_of(self, user: str) -> str | None:
        return None

    def exists(self, user: str) -> bool:
        return True


def test_a_calendar_feed_says_who_is_on_call_and_is_read_by_its_job(
    database_url: str, store: Store
) -> None:
    from ical_helpers import FeedServer

    def stamp(at: datetime) -> str:
        return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    def feed(first: str, second: str) -> bytes:
        events = [
            (first, NOW - timedelta(hours=1), NOW + timedelta(days=2)),
            (second, NOW + timedelta(days=2), NOW + timedelta(days=4)),
        ]
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
        for k, (who, start, end) in enumerate(events):
            lines += ["BEGIN:VEVENT", f"UID:{k}@test", f"DTSTAMP:{stamp(NOW)}"]
            lines += [f"DTSTART:{stamp(start)}", f"DTEND:{stamp(end)}", f"SUMMARY:{who}"]
            lines += ["END:VEVENT"]
        return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()

    server = FeedServer().start()
    server.body = feed("Carol Okafor", "On call: bob@example.com")
    base = settings(database_url, free_port())
    env = {"ONCALL_ICAL_URL": server.feed}
    chosen = Settings(**{**base.__dict__, "secrets": {**base.secrets, **env}})
    chat = Chat()
    names = [("Carol Okafor", CAROL)]
    app = App(
        chosen,
        Platform(**{**platform(chat).__dict__, "people": Directory(), "named": lambda: names}),
        clock=lambda: NOW,
    )
    try:
        app.start()
        current = app.rotation(NOW)
        assert (current.primary, current.next_person, current.source) == (
            CAROL,
            BOB,
            "calendar feed",
        )
        assert app.scheduler._scheduler.get_job("watchstander:oncall-feed") is not None
        assert app.rotation.show(NOW)["external"] == "calendar feed"
        assert app.rotation.elsewhere().startswith("Who is on call comes from the calendar feed")
        server.body = feed("On call: bob@example.com", "Carol Okafor")
        app.clock = lambda: NOW + timedelta(minutes=5)
        app.run_scheduled("oncall-feed")
        assert app.rotation(NOW + timedelta(minutes=5)).primary == BOB
        server.body = feed("Carol Okafor", "On call: bob@example.com")  # read every time
        app.clock = lambda: NOW + timedelta(minutes=10)
        app.run_scheduled("oncall-feed")
        assert app.rotation(NOW + timedelta(minutes=10)).primary == CAROL
        assert any(
            said.startswith(f"📟 Handoff: <@{BOB}> is on call now") for _, _, said in chat.posts
        )
    finally:
        app.close()
        server.stop()


def test_on_postgresql_one_app_holds_the_lease_and_the_other_waits(
    database_url: str, store: Store
) -> None:
    """Two composition roots on one PostgreSQL database: the first holds the lease and runs
    the scheduler; the second runs none and its jobs are fenced; when the first closes (it
    lets the lease go), the second takes it at its next tick."""
    if store.is_sqlite:
        pytest.skip("SQLite is one process: no lease")
    first = App(settings(database_url, free_port()), platform(Chat()), clock=lambda: NOW).start()
    second_chat = Chat()
    second = App(settings(database_url, free_port()), platform(second_chat), clock=lambda: NOW)
    try:
        second.start()
        assert first.scheduler.leading
        assert first.may_run()
        assert not second.scheduler.leading
        assert not second.may_run()
        assert first.lease is not None
        assert second.lease is not None
        assert not second.lease.tick(NOW)
        first.close()
        assert second.lease.tick(NOW)
        assert second.scheduler.leading
        assert second.may_run()
        assert second.lease.generation == 2
    finally:
        first.close()
        second.close()
