"""Post-mortem drafts: a Markdown document per thread, from the team's own template, with the
thread's timeline (posted, level changes, paged, acknowledged, claimed, updates, resolved).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)

from watchstander.domain.durations import format_duration
from watchstander.domain.markup import drop_leading_tags, for_github, readable
from watchstander.domain.thread import ThreadState
from watchstander.services.thread_state import load_state
from watchstander.settings import Settings
from watchstander.store import Store

TEMPLATE = "postmortem.md"


@dataclass(frozen=True)
class Story:
    """What a post-mortem tells: the thread's state, its page, the bugs made from it."""

    state: ThreadState
    paged_at: datetime | None
    acknowledged_at: datetime | None
    bugs: list[tuple[str, str]]


@dataclass(frozen=True)
class Draft:
    """A written draft: its file on the bot's disk, and its text."""

    path: Path
    text: str


class PostmortemService:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        link: Callable[[str, str], str],
        names: Callable[[str], str] = lambda person: person,
    ) -> None:
        self.store = store
        self.settings = settings
        self.link = link
        self.names = names  # people by name, not by id
        self.out = Path(settings.postmortem_dir)
        # the team's own template (WATCHSTANDER_TEMPLATES) first, else the one shipped here
        loader = ChoiceLoader(
            [FileSystemLoader(settings.templates_dir), PackageLoader("watchstander", "templates")]
        )
        self._env = Environment(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=select_autoescape([]),
            keep_trailing_newline=True,
        )

    def story(self, channel: str, root_ts: str) -> Story | None:
        """The thread's state, when it was paged and acknowledged, and its bug issues."""
        with self.store.transaction() as tx:
            thread = tx.thread(channel, root_ts)
            if thread is None:
                return None
            state = load_state(tx, thread, self.settings.policy)
            page = tx.page(thread)
            bugs = [
                (_headline(readable(drop_leading_tags(state.root_text), self.names), 60), row.url)
                for row in tx.issues_for([thread.id])
                if row.kind == "bug" and row.status == "made"
            ]
        paged = page.created_at if page is not None else None
        acked = page.updated_at if page is not None and page.status == "acknowledged" else None
        return Story(state, paged, acked, bugs)

    def write(self, channel: str, root_ts: str, now: datetime) -> Draft | None:
        """Write (or rewrite) the draft for one thread; None when the thread is unknown."""
        story = self.story(channel, root_ts)
        return None if story is None else self._write(channel, root_ts, story, now)

    def for_issue(self, channel: str, root_ts: str, now: datetime) -> str | None:
        """The draft written to disk, and its text as a GitHub issue shows it (where an
        ``@name`` would notify someone: each is in a code span)."""
        story = self.story(channel, root_ts)
        if story is None:
            return None
        self._write(channel, root_ts, story, now)
        return self._render(channel, root_ts, story, now, github=True)

    def _write(self, channel: str, root_ts: str, story: Story, now: datetime) -> Draft:
        text = self._render(channel, root_ts, story, now, github=False)
        day = (story.state.posted_at or now).astimezone(self.settings.tz).strftime("%Y-%m-%d")
        title = _headline(readable(story.state.root_text), 80)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50] or "thread"
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / f"{day}-{slug}-{root_ts.replace('.', '')}.md"
        path.write_text(text, encoding="utf-8")
        return Draft(path, text)

    def _render(
        self, channel: str, root_ts: str, story: Story, now: datetime, *, github: bool
    ) -> str:
        state, paged_at, acknowledged_at, bugs = (
            story.state,
            story.paged_at,
            story.acknowledged_at,
            story.bugs,
        )
        tz, name = self.settings.tz, self.names
        posted = state.posted_at
        rows: list[tuple[datetime, str]] = []
        if posted is not None:
            rows.append((posted, f"posted by {name(state.poster) if state.poster else 'someone'}"))
        rows += [(at, f"raised to {level.label}") for at, level in state.level_changes]
        if paged_at is not None:
            rows.append((paged_at, "paged through PagerDuty"))
        if acknowledged_at is not None:
            rows.append((acknowledged_at, "page acknowledged"))
        rows += [(c.at, f"claimed by {name(c.user)}") for c in state.claims]
        rows += [(at, "status update") for at in state.updates]
        rows += [(at, kind.value.replace("_", " ")) for at, kind in state.bot_actions]
        if state.resolved_at is not None:
            by = name(state.resolved_by) if state.resolved_by else "someone"
            rows.append((state.resolved_at, f"resolved by {by}"))
        rows.sort(key=lambda row: row[0])
        root = readable(state.root_text[:4000], name, at_people=not github)
        if github:
            root = for_github(root)
        headline = readable(drop_leading_tags(state.root_text), name)
        title = _headline(headline, 80) or "a #support thread"
        if github:
            title = for_github(title)
        assignee = state.assignee or (state.claims[-1].user if state.claims else None)
        data = {
            "title": title,
            "written": _clock(now, tz),
            "link": self.link(channel, root_ts),
            "level": state.level.label,
            "poster": name(state.poster) if state.poster else None,
            "assignee": name(assignee) if assignee else None,
            "time_to_claim": _since(posted, state.claims[0].at if state.claims else None),
            "time_to_resolve": _since(posted, state.resolved_at),
            "quote": "\n".join("> " + line for line in root.splitlines())
            or "> (the post was not seen)",
            "timezone": self.settings.timezone,
            "timeline": [
                {"when": _clock(at, tz), "what": what, "offset": _since(posted, at) or "—"}
                for at, what in rows
            ],
            "actions": [f"{for_github(t) if github else t} ({url})" for t, url in bugs],
        }
        return self._env.get_template(TEMPLATE).render(**data)


def _headline(text: str, limit: int) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _clock(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _since(start: datetime | None, end: datetime | None) -> str | None:
    if start is None or end is None:
        return None
    return format_duration(end - start) if end > start else "0m"
