"""What the bot posts on a schedule or when asked: the daily digest, a week's figures with
their two pictures, the weekly review's digest, and the news that an issue made from a thread
was closed. Each is an effect (a template and its data) said through the one voice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from watchstander.domain.figures import Week, parse_week
from watchstander.services.effects import Effect, Speaker
from watchstander.services.figures import FiguresService
from watchstander.services.pictures import heatmap_png, trend_png
from watchstander.services.postmortem import PostmortemService
from watchstander.services.review import Closed, ReviewResult, ReviewService
from watchstander.settings import Settings

Uploader = Callable[[str, str | None, list[tuple[str, bytes, str]]], str | None]


class Reports:
    def __init__(
        self,
        settings: Settings,
        figures: FiguresService,
        review: ReviewService,
        *,
        say: Speaker,
        upload: Uploader,
        digest_channel: Callable[[], str],
        optimize: Callable[[], None] = lambda: None,
        postmortems: PostmortemService | None = None,
    ) -> None:
        self.postmortems = postmortems
        self.settings = settings
        self.figures = figures
        self.review = review
        self.say = say
        self.upload = upload  # -> the reason, when the platform did not take the files
        self.digest_channel = digest_channel
        self.optimize = optimize

    def postmortem(
        self, channel: str, thread_ts: str, now: datetime
    ) -> tuple[str, dict[str, Any]] | None:
        """The thread's post-mortem draft written, and uploaded into the thread as a file:
        what to answer, or None when the thread is unknown."""
        draft = (
            None if self.postmortems is None else self.postmortems.write(channel, thread_ts, now)
        )
        if draft is None:
            return None
        name = draft.path.name
        failed = self.upload(channel, thread_ts, [(name, draft.text.encode(), "Post-mortem draft")])
        return "postmortem_written", {"name": name, "path": str(draft.path), "failed": failed}

    def digest(self, channel: str, thread_ts: str | None, now: datetime) -> str | None:
        """The daily digest: who is on call, open urgent threads, unanswered questions."""
        return self.say(Effect("digest", channel, thread_ts, {"digest": self.figures.digest(now)}))

    def stats(
        self, channel: str, thread_ts: str | None, now: datetime, week: Week | None = None
    ) -> str | None:
        """A week's figures (the last whole week by default) in ``channel``, and their two
        pictures in the thread of that message."""
        week = week or parse_week("last", now, self.settings.tz)
        figures = self.figures.weekly(week, now)
        ts = self.say(Effect("stats", channel, thread_ts, {"figures": figures}))
        if not figures.total and not any(sum(c.values()) for _, c in figures.trend):
            return ts
        files = [
            (
                f"support-hours-{week.monday}.png",
                heatmap_png(figures, self.settings.timezone),
                "By hour",
            ),
            (f"support-weeks-{week.monday}.png", trend_png(figures), "Per week"),
        ]
        where = thread_ts or ts
        failed = self.upload(channel, where, files)
        if failed is not None:
            self.say(Effect("pictures_failed", channel, where, {"error": failed}))
        return ts

    def review_digest(
        self, channel: str, thread_ts: str | None, now: datetime, *, dry_run: bool
    ) -> ReviewResult:
        """Run the review (or its dry run) and post its digest."""
        result = self.review.run(now, dry_run=dry_run)
        self.say(Effect("review", channel, thread_ts, {"result": result}))
        return result

    def scheduled_review(self, now: datetime) -> None:
        """REVIEW_SCHEDULE: the review's digest in DIGEST_CHANNEL, then last week's figures."""
        channel = self.digest_channel()
        self.review_digest(channel, None, now, dry_run=False)
        self.stats(channel, None, now)

    def scheduled_digest(self, now: datetime) -> None:
        """DIGEST_SCHEDULE: the digest in DIGEST_CHANNEL (and, once a day, fresh statistics
        for SQLite's query planner)."""
        self.optimize()
        self.digest(self.digest_channel(), None, now)

    def closed(self, closed: Closed | None) -> None:
        """An issue made from a thread was closed: tell the thread's poster, in the thread."""
        if closed is not None:
            data = {"poster": closed.poster, "kind": closed.kind, "url": closed.url}
            self.say(Effect("issue_closed", closed.channel, closed.root_ts, data))

    def poll_closed(self, now: datetime) -> None:
        """Without a GitHub webhook: ask GitHub about the open issues the review made."""
        for closed in self.review.poll_closed(now):
            self.closed(closed)
