"""The weekly review: the week's emoji tags turned into GitHub issues, once each, and counted.

One issue per thread and kind, ever: a row is taken in the store before GitHub is asked (two
reviews at once make one), the issue body carries a marker the code host looks for before it
makes anything (a crash half-way, or a lost answer, makes no second one), and a failure is
reported and tried again by the next review.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from watchstander.adapters.code_host import CodeHostError
from watchstander.domain.levels import Level
from watchstander.domain.review import (
    BY_REACTION,
    STOPWORDS,
    TOPIC_EXAMPLES,
    TOPIC_WINDOW_WEEKS,
    IssueDraft,
    Plan,
    Tag,
    TaggedThread,
    Topic,
    TopicThread,
    plan,
    topic_candidates,
    topic_terms,
    topics,
    week_terms,
)
from watchstander.store import EventRow, Store

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)
STALE = timedelta(minutes=10)  # a "making" row older than this was left by a crash


class CodeHostPort(Protocol):
    def create_once(
        self,
        title: str,
        body: str,
        labels: tuple[str, ...],
        marker: str,
        since: datetime,
        *,
        look_first: bool = True,
    ) -> object: ...

    def state(self, number: int) -> str: ...


@dataclass(frozen=True)
class Closed:
    """An issue made from a thread was closed: tell the poster in the thread."""

    channel: str
    root_ts: str
    poster: str | None
    kind: str
    url: str


@dataclass
class ReviewResult:
    since: datetime
    dry_run: bool
    plan: Plan
    made: list[tuple[IssueDraft, int, str]] = field(default_factory=list)
    failed: list[tuple[IssueDraft, str]] = field(default_factory=list)
    skipped: int = 0  # being made by another review right now
    topics: list[Topic] = field(default_factory=list)


DRAFT_LIMIT = 50_000  # of a post-mortem draft in its GitHub issue


class ReviewService:
    def __init__(
        self,
        store: Store,
        *,
        code_host: CodeHostPort | None,
        link: Callable[[str, str], str],
        postmortems: Callable[[str, str, datetime], str | None] | None = None,
        tags: Mapping[str, Tag] = BY_REACTION,
        names: Callable[[str], str] = lambda person: person,
        stop: frozenset[str] = STOPWORDS,
    ) -> None:
        self.names = names  # people by name in the issues, not by id
        self.store = store
        self.tags = tags  # reaction name -> tag (REVIEW_REACTIONS)
        self.stop = stop  # words that name no topic (TOPIC_STOPWORDS added)
        self.code_host = code_host
        self.link = link
        self.postmortems = postmortems  # writes a thread's draft, returns it as GitHub shows it

    def run(
        self, now: datetime, *, dry_run: bool = False, since: datetime | None = None
    ) -> ReviewResult:
        since = since or now - WEEK
        with self.store.transaction() as tx:
            threads, reactions = tx.tagged_threads(list(self.tags), since)
            made_rows = tx.issues_for([t.id for t in threads])
        by_id = {t.id: t for t in threads}
        made = {
            (f"{by_id[r.thread_id].channel}/{by_id[r.thread_id].root_ts}", r.kind)
            for r in made_rows
            if r.status == "made" and r.thread_id in by_id
        }
        tags = _present_tags(reactions)
        tagged = [
            TaggedThread(
                channel=t.channel,
                root_ts=t.root_ts,
                link=self.link(t.channel, t.root_ts),
                poster=t.poster,
                level=Level(t.level).label,
                root_text=t.root_text,
                tags=frozenset(tags.get(t.id, set())),
                claimed_by=t.assignee,
                claimed_at=t.claimed_at,
                resolved_at=t.resolved_at,
            )
            for t in threads
        ]
        rows = {f"{t.channel}/{t.root_ts}": t for t in threads}
        the_plan = plan(tagged, made, self.tags, self.names)
        result = ReviewResult(since, dry_run, the_plan)
        result.topics = repeat_topics(self.store, since, self.link, self.stop)
        if dry_run:
            return result
        for draft in the_plan.drafts:
            row = rows[draft.thread.key]
            self._make(draft, row.id, row.posted_at or row.created_at, now, result)
        return result

    def issue_closed(self, number: int, now: datetime) -> Closed | None:
        """GitHub says issue ``number`` is closed (a webhook or a poll): once per issue."""
        with self.store.transaction() as tx:
            row = tx.close_issue(number, now)
            if row is None:
                return None
            thread = tx.thread_by_id(row.thread_id)
            if thread is None:
                return None
            return Closed(thread.channel, thread.root_ts, thread.poster, row.kind, row.url)

    def poll_closed(self, now: datetime) -> list[Closed]:
        """Without a webhook: ask GitHub about every open issue the review made."""
        if self.code_host is None:
            return []
        with self.store.transaction() as tx:
            numbers = [issue.number for issue, _ in tx.open_issues() if issue.number]
        closed = []
        for number in numbers:
            try:
                state = self.code_host.state(number)
            except CodeHostError as exc:  # one line; the next poll asks again
                log.warning("could not read issue %s: %s", number, exc)
                continue
            if state == "closed":
                found = self.issue_closed(number, now)
                if found is not None:
                    closed.append(found)
        return closed

    def _make(
        self,
        draft: IssueDraft,
        thread_id: int,
        posted: datetime,
        now: datetime,
        result: ReviewResult,
    ) -> None:
        if self.code_host is None:
            result.failed.append((draft, "GitHub is off: GITHUB_TOKEN or GITHUB_REPO is not set"))
            return
        with self.store.transaction() as tx:
            taken = tx.claim_issue(thread_id, draft.kind, now, now - STALE)
            if taken is None:
                result.skipped += 1
                return
        body = draft.body
        if draft.kind == "postmortem" and self.postmortems is not None:
            document = self.postmortems(draft.thread.channel, draft.thread.root_ts, now)
            if document is not None:  # the draft in the issue (GitHub takes 65,536 characters)
                text = document[:DRAFT_LIMIT]
                body = body.replace(draft.marker, f"---\n\n{text}\n\n{draft.marker}")
        try:  # an issue about this thread cannot be older than its post
            made = self.code_host.create_once(
                draft.title,
                body,
                draft.labels,
                draft.marker,
                posted - timedelta(minutes=1),
                look_first=taken == "again",  # a first try cannot have made anything yet
            )
        except CodeHostError as exc:  # one line, safe for the digest
            with self.store.transaction() as tx:
                tx.issue_failed(thread_id, draft.kind, now)
            result.failed.append((draft, str(exc)))
            return
        number, url = int(getattr(made, "number", 0)), str(getattr(made, "url", ""))
        with self.store.transaction() as tx:
            tx.issue_made(thread_id, draft.kind, number, url, now)
        result.made.append((draft, number, url))


def repeat_topics(
    store: Store,
    week_start: datetime,
    link: Callable[[str, str], str],
    stop: frozenset[str] = STOPWORDS,
) -> list[Topic]:
    """Topics of the week's root posts that came back (this week or in the four before),
    found and counted by the database's full-text search in five statements, whatever the
    volume: the week's terms are counted in the week, the most frequent of them in the four
    weeks before, so what is read follows the window, never the history."""
    since = week_start - (TOPIC_WINDOW_WEEKS - 1) * WEEK
    with store.transaction() as tx:
        window = tx.topic_window(since, week_start)
        if window is None:
            return []
        threads, first, week_first, week_threads = window
        week_counts = tx.term_counts(topic_terms(tx.root_texts(week_start), stop=stop), week_first)
        asked = week_terms(week_counts, week_threads=week_threads)
        before = tx.term_counts(asked, first, week_first)  # none: an empty range, read at once
        counts = {t: (week_counts[t] + before.get(t, 0), week_counts[t]) for t in asked}
        chosen = topic_candidates(counts, window_threads=threads)
        rows = tx.term_threads(chosen, week_first, TOPIC_EXAMPLES)
    examples: dict[str, list[TopicThread]] = {}
    for term, channel, root_ts, posted_at in rows:
        examples.setdefault(term, []).append(
            TopicThread(f"{channel}/{root_ts}", link(channel, root_ts), posted_at)
        )
    return topics(chosen, counts, examples)


def _present_tags(reactions: Sequence[EventRow]) -> dict[int, set[str]]:
    """Which tag reactions are on each thread now: added and not removed, by anyone."""
    holders: dict[tuple[int, str], set[str]] = {}
    for event in reactions:
        if event.thread_id is None:
            continue
        people = holders.setdefault((event.thread_id, event.reaction), set())
        if event.kind == "reaction_added":
            people.add(event.actor or "")
        else:
            people.discard(event.actor or "")
    out: dict[int, set[str]] = {}
    for (thread_id, name), people in holders.items():
        if people:
            out.setdefault(thread_id, set()).add(name)
    return out
