"""The weekly emoji review: !review [--dry-run]. Parses, calls the review service, renders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from errbot import BotPlugin, botcmd
from errbot.backends.base import Message
from errbot.templating import tenv

from watchstander import jobs
from watchstander.adapters.code_host import CodeHost, CodeHostError, closed_issue, webhook_signed
from watchstander.services.postmortem import PostmortemService
from watchstander.services.review import Closed, ReviewResult, ReviewService
from watchstander.settings import Settings


def now() -> datetime:
    return datetime.now(UTC)


class Postmortem(BotPlugin):
    """Turns the week's emoji tags into GitHub issues, once each, with a digest."""

    def activate(self) -> None:
        settings = Settings.from_env()
        token = settings.secrets.get("GITHUB_TOKEN")
        self.code_host = (
            CodeHost(token, settings.github_repo, settings.github_api_url)
            if token and settings.github_repo
            else None
        )
        self.settings = settings
        super().activate()  # before get_plugin: Errbot refuses it until then
        jobs.install_scheduled("review", self._scheduled_review)
        scheduler = self.get_plugin("Triage").scheduler
        at = scheduler.set_cron("review", settings.review_schedule, settings.tz)
        self.log.info("Weekly review on %s, next at %s", settings.review_schedule, at)
        secret = settings.secrets.get("GITHUB_WEBHOOK_SECRET")
        web = self.get_plugin("OnCall").web
        if secret and web is not None:
            web.add_route("POST", "/github", self._github_webhook)
        elif self.code_host is not None:
            jobs.install_scheduled("github-poll", self._poll)
            scheduler.set_every("github-poll", settings.github_poll_interval)

    def deactivate(self) -> None:
        jobs.install_scheduled("review", None)
        jobs.install_scheduled("github-poll", None)
        if self.code_host is not None:
            self.code_host.close()
        super().deactivate()

    @botcmd
    def review(self, msg: Message, args: str) -> None:
        """The week's tags into GitHub issues and a digest: !review [--dry-run]."""
        words = args.split()
        if any(word != "--dry-run" for word in words):
            self._answer(msg, "⚠️ `!review` takes only `--dry-run`: try `!review --dry-run`.")
            return
        self._answer(msg, self._render(self._review(dry_run="--dry-run" in words)))

    def _review(self, dry_run: bool) -> ReviewResult:
        triage = self.get_plugin("Triage")
        drafts = PostmortemService(self.settings, triage.triage, triage.link)
        service = ReviewService(
            triage.store,
            code_host=self.code_host,
            link=triage.link,
            postmortems=drafts.write,
            tags=self.settings.review_tags,
        )
        return service.run(now(), dry_run=dry_run)

    def _scheduled_review(self) -> None:
        """REVIEW_SCHEDULE: the review and its digest in DIGEST_CHANNEL, then the last week's
        figures with their pictures."""
        triage = self.get_plugin("Triage")
        channel = triage.channel_id(self.settings.digest_target)
        triage.post_in_thread(channel, None, self._render(self._review(dry_run=False)))
        self.get_plugin("Digest").post_figures(channel, None)

    @botcmd
    def postmortem(self, msg: Message, args: str) -> None:
        """Write this thread's post-mortem draft now (in a thread)."""
        event = msg.extras.get("slack_event") or {}
        channel, root = str(event.get("channel") or ""), event.get("thread_ts")
        if not root or root == event.get("ts"):
            self._answer(msg, "⚠️ `!postmortem` works inside a #support thread: reply in it.")
            return
        triage = self.get_plugin("Triage")
        path = PostmortemService(Settings.from_env(), triage.triage, triage.link).write(
            channel, str(root), now()
        )
        text = f"📝 Post-mortem draft: `{path}`" if path else "⚠️ I have not seen this thread."
        self._answer(msg, text)

    def _service(self) -> ReviewService:
        triage = self.get_plugin("Triage")
        return ReviewService(
            triage.store, code_host=self.code_host, link=triage.link, tags=self.settings.review_tags
        )

    def _github_webhook(self, headers: Mapping[str, str], body: bytes) -> tuple[int, str, bytes]:
        lower = {k.lower(): v for k, v in headers.items()}
        secret = self.settings.secrets.get("GITHUB_WEBHOOK_SECRET", "")
        if not webhook_signed(secret, body, lower.get("x-hub-signature-256")):
            return 401, "text/plain", b"unsigned or wrongly signed\n"
        try:
            number = closed_issue(lower.get("x-github-event"), body)
        except CodeHostError as error:
            return 400, "text/plain", f"{error}\n".encode()
        if number is not None:
            self._tell(self._service().issue_closed(number, now()))
        return 202, "text/plain", b""

    def _poll(self) -> None:
        for closed in self._service().poll_closed(now()):
            self._tell(closed)

    def _tell(self, closed: Closed | None) -> None:
        if closed is None:
            return
        text = str(tenv().get_template("issue_closed.md").render(**vars(closed))).strip()
        self.get_plugin("Triage").post_in_thread(closed.channel, closed.root_ts, text)

    def _render(self, result: ReviewResult) -> str:
        data: dict[str, Any] = {
            "dry_run": result.dry_run,
            "since": f"{result.since:%a %d %b}",
            "counts": dict(result.plan.counts),
            "levels": dict(result.plan.levels),
            "drafts": [
                {"kind": d.kind, "title": d.title, "link": d.thread.link}
                for d in result.plan.drafts
            ],
            "made": [{"kind": d.kind, "title": d.title, "url": url} for d, _, url in result.made],
            "failed": [
                {"kind": d.kind, "title": d.title, "reason": why} for d, why in result.failed
            ],
            "open": [t.link for t in result.plan.open_threads],
            "topics": [
                {
                    "words": t.words,
                    "count": t.count,
                    "this_week": t.this_week,
                    "links": [th.link for th in t.threads[:3]],
                }
                for t in result.topics
            ],
        }
        return str(tenv().get_template("review.md").render(**data)).strip()

    def _answer(self, msg: Message, text: str) -> None:
        event = msg.extras.get("slack_event") or {}
        if event.get("thread_ts") and event.get("channel"):
            self.get_plugin("Triage").post_in_thread(
                str(event["channel"]), str(event["thread_ts"]), text
            )
        else:
            self.send(msg.frm.room if hasattr(msg.frm, "room") else msg.frm, text)
