"""What a template shows of a result: the digest, the weekly figures and the review digest
put into words and numbers (times in TIMEZONE, durations, shares). Values stay plain: the
renderer quotes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from watchstander.domain.figures import DAYS, Digest, WeeklyFigures, digest_lines, duration
from watchstander.render.renderer import View
from watchstander.services.review import ReviewResult
from watchstander.settings import Settings


def views(settings: Settings) -> dict[str, View]:
    """The views of the templates that need one, for these settings."""

    def digest(data: Mapping[str, Any]) -> Mapping[str, Any]:
        return digest_view(data["digest"], settings)

    def stats(data: Mapping[str, Any]) -> Mapping[str, Any]:
        return stats_view(data["figures"], settings)

    def review(data: Mapping[str, Any]) -> Mapping[str, Any]:
        return review_view(data["result"])

    return {"digest": digest, "stats": stats, "review": review}


def digest_view(digest: Digest, settings: Settings) -> dict[str, Any]:
    tz = settings.tz
    return {
        "d": digest,
        "when": f"{digest.now.astimezone(tz):%a %d %b %H:%M}",
        "next_at": f"{digest.next_at.astimezone(tz):%a %H:%M}" if digest.next_at else "",
        "open": digest_lines(digest.open, digest.now),
        "unanswered": digest_lines(digest.unanswered, digest.now),
        "target": duration(settings.response_target.total_seconds()),
        "general_target": duration(settings.general_response_target.total_seconds()),
        "served": (
            f" Self-served in the last 7 days: {digest.self_served} "
            f"question{'' if digest.self_served == 1 else 's'} answered by earlier threads."
            if digest.self_served
            else ""
        ),
        "timezone": settings.timezone,
        "in_flight": in_flight_line(digest),
    }


WORK = {"issue": "GitHub issue", "page": "page", "question": "help form", "digest": "digest"}


def in_flight_line(digest: Digest) -> str:
    """What stopped processes left half-done and others finished since the last digest, and
    what is in flight now: one line, or nothing when there was none."""

    def counted(counts: Mapping[str, int]) -> str:
        return ", ".join(
            f"{n} {WORK.get(what, what)}{'' if n == 1 else 's'}"
            for what, n in sorted(counts.items())
            if n
        )

    taken, flying = counted(digest.taken_over), counted(digest.in_flight)
    parts = [f"taken over from a stopped process since the last digest: {taken}"] if taken else []
    parts += [f"in flight now: {flying}"] if flying else []
    return ("♻️ Work " + "; ".join(parts) + ".") if parts else ""


def stats_view(figures: WeeklyFigures, settings: Settings) -> dict[str, Any]:
    rows = []
    targets = {0: settings.general_response_target, 1: settings.response_target}
    for n, level in enumerate(figures.levels):
        share = level.share_in_target
        rows.append(
            {
                "level": level.level,
                "threads": level.threads,
                "in_target": "—" if share is None else f"{share:.0%}",
                "pending": level.pending,
                "target": duration(targets.get(n, targets[1]).total_seconds()),
                **{
                    m: f"{duration(level.spread(m).p50)} / {duration(level.spread(m).p90)}"
                    for m in ("first_response", "claim", "resolve")
                },
            }
        )
    return {
        "f": figures,
        "rows": rows,
        "trend": [sum(c.values()) for _, c in figures.trend],
        "deflection": "—" if figures.deflection is None else f"{figures.deflection:.0%}",
        "served_thread": figures.self_served.get("thread", 0),
        "served_form": figures.self_served.get("form", 0),
        "busiest": [f"{hour:02d}:00 ({n})" for hour, n in figures.busiest],
        "peak_day": DAYS[max(range(7), key=lambda d: sum(figures.heatmap[d]))],
        "timezone": settings.timezone,
    }


def review_view(result: ReviewResult) -> dict[str, Any]:
    return {
        "dry_run": result.dry_run,
        "since": f"{result.since:%a %d %b}",
        "counts": dict(result.plan.counts),
        "levels": dict(result.plan.levels),
        "drafts": [
            {"kind": d.kind, "title": d.title, "link": d.thread.link} for d in result.plan.drafts
        ],
        "made": [{"kind": d.kind, "title": d.title, "url": url} for d, _, url in result.made],
        "failed": [{"kind": d.kind, "title": d.title, "reason": why} for d, why in result.failed],
        "busy": [{"kind": d.kind, "title": d.title, "holder": who} for d, who in result.busy],
        "resumed": result.resumed,
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
