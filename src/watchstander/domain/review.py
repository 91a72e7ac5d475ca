"""The weekly emoji review: which reactions mean what, and the GitHub issues they ask for.

Pure: threads come in as plain records; the issue text is built here so that a re-run makes
exactly the same text, with a hidden marker that names the thread and the kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from watchstander.domain.levels import escape_slack, first_line


@dataclass(frozen=True)
class Tag:
    reaction: str
    meaning: str
    kind: str | None  # the issue it asks for (None: counted only)
    labels: tuple[str, ...] = ()


TAGS: tuple[Tag, ...] = (
    Tag("necktie", "product question", None),
    Tag("fire_engine", "needed a developer", None),
    Tag("vhs", "data question", None),
    Tag("robot_face", "data question a developer answered", None),
    Tag("coffin", "post-mortem", "postmortem", ("postmortem",)),
    Tag(
        "evergreen_tree",
        "worth reading for new people",
        "onboarding",
        ("documentation", "onboarding"),
    ),
    Tag("bug", "a confirmed code issue", "bug", ("bug", "support")),
    Tag("documentation", "docs should be written", "documentation", ("documentation",)),
)
BY_REACTION: Mapping[str, Tag] = {tag.reaction: tag for tag in TAGS}
TITLE_LIMIT = 80
QUOTE_LIMIT = 4000


@dataclass(frozen=True)
class TaggedThread:
    channel: str
    root_ts: str
    link: str
    poster: str | None
    level: str
    root_text: str
    tags: frozenset[str]
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.channel}/{self.root_ts}"


@dataclass(frozen=True)
class IssueDraft:
    thread: TaggedThread
    kind: str
    title: str
    body: str
    labels: tuple[str, ...]

    @property
    def marker(self) -> str:
        return marker(self.thread.key, self.kind)


@dataclass
class Plan:
    drafts: list[IssueDraft] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)  # per reaction
    levels: Counter[str] = field(default_factory=Counter)  # tagged threads per level
    open_threads: list[TaggedThread] = field(default_factory=list)


def marker(thread_key: str, kind: str) -> str:
    """The hidden line that makes an issue findable again: one per thread and kind, ever."""
    return f"<!-- watchstander:thread={thread_key} kind={kind} -->"


def plan(threads: Iterable[TaggedThread], made: set[tuple[str, str]]) -> Plan:
    """The week's counts, and an issue draft per thread and kind not ``made`` before."""
    out = Plan()
    for thread in threads:
        known = [BY_REACTION[t] for t in sorted(thread.tags) if t in BY_REACTION]
        if not known:
            continue
        out.levels[thread.level] += 1
        for tag in known:
            out.counts[tag.reaction] += 1
        if thread.resolved_at is None:
            out.open_threads.append(thread)
        for tag in known:
            if tag.kind and (thread.key, tag.kind) not in made:
                out.drafts.append(draft(thread, tag))
    return out


def draft(thread: TaggedThread, tag: Tag) -> IssueDraft:
    assert tag.kind is not None
    summary = first_line(thread.root_text, TITLE_LIMIT) or "(a #support thread with no text)"
    prefix = {"postmortem": "Post-mortem: ", "onboarding": "Onboarding: "}.get(tag.kind, "")
    title = (prefix + summary)[:TITLE_LIMIT]
    quoted = escape_slack(thread.root_text[:QUOTE_LIMIT]) or "(empty)"
    if len(thread.root_text) > QUOTE_LIMIT:
        quoted += "…"
    lines = [
        f"From a {thread.level} thread in #support ({tag.meaning}): {thread.link}",
        "",
        f"- Posted by: {thread.poster or 'unknown'} (Slack user id)",
        f"- Level: {thread.level}",
        f"- Claimed by: {thread.claimed_by or 'nobody'}"
        + (f" at {thread.claimed_at:%Y-%m-%d %H:%M} UTC" if thread.claimed_at else ""),
        "- Resolved: "
        + (f"{thread.resolved_at:%Y-%m-%d %H:%M} UTC" if thread.resolved_at else "not yet"),
        "",
        "The post:",
        "",
        *("> " + line for line in quoted.splitlines() or [quoted]),
        "",
        marker(thread.key, tag.kind),
    ]
    return IssueDraft(thread, tag.kind, title, "\n".join(lines), tag.labels)
