"""The weekly review: the week's emoji tags turned into GitHub issues, once each, and counted.

One issue per thread and kind, ever: a row is taken in the store before GitHub is asked (two
reviews at once make one), the issue body carries a marker the code host looks for before it
makes anything (a crash half-way, or a lost answer, makes no second one), and a failure is
reported and tried again by the next review. All of a review's rows are taken before the
first issue is made, each naming the process that took it: a review stopped or killed half-way
(a stop does not wait for GitHub) leaves rows "making", and as soon as that process is known
gone the next start, the lease's holder or the next review makes those issues, looking first
(`ReviewService.resume`). A row a live process is making is left to it, and the review says so.
"""

from __future__ import annotations

import logging
import threading
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
from watchstander.stopping import Abandoned, unless_stopping
from watchstander.store import ONE_PROCESS, EventRow, IssueRow, Store, ThreadRow

log = logging.getLogger(__name__)

WEEK = timedelta(days=7)


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
    busy: list[tuple[IssueDraft, str]] = field(default_factory=list)  # a live process makes it
    resumed: int = 0  # of ``made`` and ``failed``: taken over from a process gone
    topics: list[Topic] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.busy)


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
        stopping: threading.Event | None = None,
        taker: str = ONE_PROCESS,
    ) -> None:
        self.stopping = stopping or threading.Event()  # set: the process is stopping
        self.taker = taker  # this process, as the rows it takes name it
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
        """The week's review; `Abandoned` if the process stops before it is done (what it
        took is made at the next start)."""
        since = since or now - WEEK
        with self.store.transaction() as tx:
            threads, reactions = tx.tagged_threads(list(self.tags), since)
            made_rows = tx.issues_for([t.id for t in threads])
        result = ReviewResult(since, dry_run, self._plan(threads, reactions, made_rows))
        result.topics = repeat_topics(self.store, since, self.link, self.stop)
        if not dry_run:
            self._make_all(result, threads, now, lambda key: True)
        return result

    def resume(self, now: datetime) -> int:
        """Make the issues a review took ("making") and did not finish, its process gone
        (stopped, or dead) at ``now``; the marker is looked for first, so one GitHub made
        before the stop is found, not made again. How many were taken over."""
        if self.code_host is None:
            return 0
        with self.store.transaction() as tx:
            left = {(r.thread_id, r.kind) for r in tx.unfinished_issues(self.taker, now)}
            ids = sorted({thread_id for thread_id, _ in left})
            threads, reactions = tx.tag_reactions(list(self.tags), ids)
            made_rows = tx.issues_for(ids)
        if not left:
            return 0
        the_plan = self._plan(threads, reactions, made_rows)
        result = ReviewResult(now - WEEK, False, the_plan)
        try:
            self._make_all(result, threads, now, lambda key: key in left)
        except Abandoned:
            log.info("Stopping: the review's issues are made at the next start")
        log.info(
            "Took over a review stopped half-way: %d made, %d failed",
            len(result.made),
            len(result.failed),
        )
        return result.resumed

    def _plan(
        self, threads: Sequence[ThreadRow], reactions: Sequence[EventRow], rows: Sequence[IssueRow]
    ) -> Plan:
        by_id = {t.id: t for t in threads}
        made = {
            (f"{by_id[r.thread_id].channel}/{by_id[r.thread_id].root_ts}", r.kind)
            for r in rows
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
        return plan(tagged, made, self.tags, self.names)

    def _make_all(
        self,
        result: ReviewResult,
        threads: Sequence[ThreadRow],
        now: datetime,
        wanted: Callable[[tuple[int, str]], bool],
    ) -> None:
        """Take every draft's row first (in one transaction: a stop half-way leaves them all
        recorded), then make the issues one by one. A row a gone process took is taken over
        (and the audit says so, for the digest); one a live process makes is left to it."""
        if self.code_host is None:
            for draft in result.plan.drafts:
                why = "GitHub is off: GITHUB_TOKEN or GITHUB_REPO is not set"
                result.failed.append((draft, why))
            return
        rows = {f"{t.channel}/{t.root_ts}": t for t in threads}
        drafts = [d for d in result.plan.drafts if wanted((rows[d.thread.key].id, d.kind))]
        taken = []
        with self.store.transaction() as tx:
            for draft in drafts:
                row = rows[draft.thread.key]
                how, holder = tx.claim_issue(row.id, draft.kind, now, self.taker)
                if how == "busy":
                    result.busy.append((draft, holder or "another process"))
                elif how != "made":
                    taken.append((draft, how))
                if how == "resumed":
                    result.resumed += 1
                    tx.audit(now, None, "took_over:issue", row, holder or "")
        for draft, how in taken:
            row = rows[draft.thread.key]
            self._make(draft, row.id, row.posted_at or row.created_at, now, result, how)

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
        taken: str,
    ) -> None:
        assert self.code_host is not None
        code_host = self.code_host
        body = draft.body
        if draft.kind == "postmortem" and self.postmortems is not None:
            document = self.postmortems(draft.thread.channel, draft.thread.root_ts, now)
            if document is not None:  # the draft in the issue (GitHub takes 65,536 characters)
                text = document[:DRAFT_LIMIT]
                body = body.replace(draft.marker, f"---\n\n{text}\n\n{draft.marker}")
        try:  # an issue about this thread cannot be older than its post
            made = unless_stopping(
                lambda: code_host.create_once(
                    draft.title,
                    body,
                    draft.labels,
                    draft.marker,
                    posted - timedelta(minutes=1),
                    look_first=taken != "new",  # a first try cannot have made anything yet
                ),
                self.stopping,
                "a GitHub issue",
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
