"""The daily digest (!digest, DIGEST_SCHEDULE) and the weekly figures (!stats [week], and
after the weekly review) with two pictures in their thread. Parses, calls the figures
service, renders, uploads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from errbot import BotPlugin, botcmd
from errbot.backends.base import Message
from errbot.templating import tenv

from watchstander import jobs
from watchstander.adapters.chat import Files, UploadError
from watchstander.domain.figures import (
    DAYS,
    FiguresError,
    Week,
    WeeklyFigures,
    digest_lines,
    duration,
    parse_week,
)
from watchstander.domain.figures import (
    Digest as DigestData,
)
from watchstander.services.figures import FiguresService
from watchstander.services.pictures import heatmap_png, trend_png
from watchstander.settings import Settings


def now() -> datetime:
    return datetime.now(UTC)


class Digest(BotPlugin):
    """The daily digest and the weekly figures of #support."""

    def activate(self) -> None:
        self.settings = Settings.from_env()
        super().activate()  # before get_plugin: Errbot refuses it until then
        jobs.install_scheduled("digest", self._scheduled_digest)
        scheduler = self.get_plugin("Triage").scheduler
        at = scheduler.set_cron("digest", self.settings.digest_schedule, self.settings.tz)
        self.log.info("Daily digest on %s, next at %s", self.settings.digest_schedule, at)

    def deactivate(self) -> None:
        jobs.install_scheduled("digest", None)
        super().deactivate()

    @botcmd
    def digest(self, msg: Message, args: str) -> None:
        """Who is on call, open urgent threads, unanswered questions: the daily digest now."""
        channel, thread = self._where(msg)
        self._post(channel, thread, self._digest_text(self._service().digest(now())))

    @botcmd
    def stats(self, msg: Message, args: str) -> None:
        """A week's figures and pictures: !stats [last | this | -2 | 2026-W47 | 2026-11-16]."""
        channel, thread = self._where(msg)
        try:
            week = parse_week(args, now(), self.settings.tz)
        except FiguresError as error:
            self._post(channel, thread, f"⚠️ {error}")
            return
        self.post_figures(channel, thread, week)

    def post_figures(self, channel: str, thread: str | None, week: Week | None = None) -> None:
        """The week's figures (the last whole week by default) in ``channel``, and their
        pictures in the thread of that message."""
        week = week or parse_week("last", now(), self.settings.tz)
        figures = self._service().weekly(week)
        ts = self._post(channel, thread, self._stats_text(figures))
        if figures.total or any(sum(c.values()) for _, c in figures.trend):
            self._pictures(channel, thread or ts, figures)

    def _scheduled_digest(self) -> None:
        """DIGEST_SCHEDULE: the digest in DIGEST_CHANNEL (and, once a day, fresh statistics
        for SQLite's query planner)."""
        triage = self.get_plugin("Triage")
        triage.store.optimize()
        channel = triage.channel_id(self.settings.digest_target)
        self._post(channel, None, self._digest_text(self._service().digest(now())))

    def _pictures(self, channel: str, thread: str | None, figures: WeeklyFigures) -> None:
        tz = self.settings.timezone
        files = [
            (f"support-hours-{figures.week.monday}.png", heatmap_png(figures, tz), "By hour"),
            (f"support-weeks-{figures.week.monday}.png", trend_png(figures), "Per week"),
        ]
        try:
            Files(self._bot.slack_web).upload(channel, thread, files)
        except (UploadError, AttributeError) as error:
            self.log.warning("pictures not uploaded: %s", error)
            self._post(channel, thread, f"⚠️ The pictures could not be uploaded: {error}")

    def _service(self) -> FiguresService:
        triage = self.get_plugin("Triage")
        return FiguresService(
            triage.store, self.settings, link=triage.link, on_call=triage.rotation
        )

    def _digest_text(self, digest: DigestData) -> str:
        tz = self.settings.tz
        data = {
            "d": digest,
            "when": f"{digest.now.astimezone(tz):%a %d %b %H:%M}",
            "next_at": f"{digest.next_at.astimezone(tz):%a %H:%M}" if digest.next_at else "",
            "open": digest_lines(digest.open, digest.now),
            "unanswered": digest_lines(digest.unanswered, digest.now),
            "target": duration(self.settings.response_target.total_seconds()),
            "general_target": duration(self.settings.general_response_target.total_seconds()),
            "timezone": self.settings.timezone,
        }
        return self._render("digest", data)

    def _stats_text(self, figures: WeeklyFigures) -> str:
        rows = []
        targets = {0: self.settings.general_response_target, 1: self.settings.response_target}
        for n, level in enumerate(figures.levels):
            share = level.share_in_target
            rows.append(
                {
                    "level": level.level,
                    "threads": level.threads,
                    "in_target": "—" if share is None else f"{share:.0%}",
                    "target": duration(targets.get(n, targets[1]).total_seconds()),
                    **{
                        m: f"{duration(level.spread(m).p50)} / {duration(level.spread(m).p90)}"
                        for m in ("first_response", "claim", "resolve")
                    },
                }
            )
        data: dict[str, Any] = {
            "f": figures,
            "rows": rows,
            "trend": [sum(c.values()) for _, c in figures.trend],
            "busiest": [f"{hour:02d}:00 ({n})" for hour, n in figures.busiest],
            "peak_day": DAYS[max(range(7), key=lambda d: sum(figures.heatmap[d]))],
            "timezone": self.settings.timezone,
        }
        return self._render("stats", data)

    def _render(self, template: str, data: dict[str, Any]) -> str:
        return str(tenv().get_template(f"{template}.md").render(**data)).strip()

    def _where(self, msg: Message) -> tuple[str, str | None]:
        event = msg.extras.get("slack_event") or {}
        channel = str(event.get("channel") or "")
        if not channel:  # not from Slack (Errbot's test backend): #support
            channel = self.get_plugin("Triage").channel_id(self.settings.support_channel)
        return channel, event.get("thread_ts")

    def _post(self, channel: str, thread: str | None, text: str) -> str | None:
        return self.get_plugin("Triage").post_in_thread(channel, thread, text)  # type: ignore[no-any-return]
