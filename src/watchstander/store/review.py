"""The weekly review: threads tagged with a reaction, and the GitHub issues made from them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import literal_column, select, update

from watchstander.store.models import EventRow, IssueRow, ThreadRow
from watchstander.store.replicas import ReplicasTx, gone


class ReviewTx(ReplicasTx):
    """A transaction's part of the review: tagged threads and issues."""

    def tagged_threads(
        self, names: Sequence[str], since: datetime
    ) -> tuple[Sequence[ThreadRow], Sequence[EventRow]]:
        """Threads that got one of the reactions ``names`` since ``since``, with all their
        reaction events: two statements, whatever the number of threads."""
        tagged = (
            select(EventRow.thread_id)
            .where(
                EventRow.kind == "reaction_added",
                EventRow.reaction.in_(list(names)),
                EventRow.reaction != literal_column("''"),  # the index's own words: see EventRow
                EventRow.at >= since,
                EventRow.thread_id.is_not(None),
            )
            .distinct()
        )
        threads = self.session.scalars(select(ThreadRow).where(ThreadRow.id.in_(tagged))).all()
        return threads, self._reactions(names, [t.id for t in threads])

    def tag_reactions(
        self, names: Sequence[str], ids: Sequence[int]
    ) -> tuple[Sequence[ThreadRow], Sequence[EventRow]]:
        """The threads ``ids``, with their reaction events of the tags ``names``."""
        threads = self.session.scalars(select(ThreadRow).where(ThreadRow.id.in_(ids))).all()
        return threads, self._reactions(names, ids)

    def _reactions(self, names: Sequence[str], ids: Sequence[int]) -> Sequence[EventRow]:
        reactions = self.session.scalars(  # by thread: the names are sorted out here, so
            select(EventRow)  # the database reads these threads' events, not a year of tags
            .where(
                EventRow.thread_id.in_(ids),
                EventRow.kind.in_(["reaction_added", "reaction_removed"]),
            )
            .order_by(EventRow.ts)
        ).all()
        wanted = set(names)
        return [event for event in reactions if event.reaction in wanted]

    def issues_for(self, thread_ids: Sequence[int]) -> Sequence[IssueRow]:
        return self.session.scalars(
            select(IssueRow).where(IssueRow.thread_id.in_(list(thread_ids)))
        ).all()

    def claim_issue(
        self, thread_id: int, kind: str, now: datetime, taker: str
    ) -> tuple[str, str | None]:
        """Take the making of an issue for ``taker`` (this process), and how: ("new", None)
        the first time; ("again", None) after a failure; ("resumed", who) from a process
        ``who`` that died or stopped half-way (GitHub may hold the issue: look for its marker
        first); ("busy", who) while a live process ``who`` makes it; ("made", None)."""
        values = {
            "thread_id": thread_id,
            "kind": kind,
            "status": "making",
            "url": "",
            "state": "open",
            "updated_at": now,
            "taken_by": taker,
        }
        if self._insert_once(IssueRow, values, ["thread_id", "kind"]):
            return "new", None
        key = (IssueRow.thread_id == thread_id, IssueRow.kind == kind)
        found = self.connection.execute(
            select(IssueRow.status, IssueRow.taken_by).where(*key)
        ).first()
        if found is None or found[0] == "made":
            return "made", None
        status, holder = str(found[0]), found[1]
        if status == "making" and not self.is_gone(holder, taker, now):
            return "busy", holder
        result = self.connection.execute(
            update(IssueRow)
            .where(*key, IssueRow.status == status, IssueRow.taken_by.is_not_distinct_from(holder))
            .values(status="making", taken_by=taker, updated_at=now)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:  # another took it in between
            return "busy", None
        return ("again", None) if status == "failed" else ("resumed", holder)

    def unfinished_issues(self, taker: str, now: datetime) -> Sequence[IssueRow]:
        """Issues taken ("making") by a process gone at ``now`` (not ``taker``), unfinished."""
        return self.session.scalars(
            select(IssueRow).where(IssueRow.status == "making", gone(IssueRow.taken_by, taker, now))
        ).all()

    def issue_made(self, thread_id: int, kind: str, number: int, url: str, now: datetime) -> None:
        self.session.execute(
            update(IssueRow)
            .where(IssueRow.thread_id == thread_id, IssueRow.kind == kind)
            .values(status="made", number=number, url=url, updated_at=now)
        )

    def open_issues(self) -> Sequence[tuple[IssueRow, ThreadRow]]:
        """Issues the review made that are still open on GitHub, with their threads."""
        query = (
            select(IssueRow, ThreadRow)
            .join(ThreadRow, ThreadRow.id == IssueRow.thread_id)
            .where(IssueRow.status == "made", IssueRow.state == "open")
        )
        return [(issue, thread) for issue, thread in self.session.execute(query).all()]

    def close_issue(self, number: int, now: datetime) -> IssueRow | None:
        """Mark issue ``number`` closed: the row, only the first time."""
        result = self.session.execute(
            update(IssueRow)
            .where(IssueRow.number == number, IssueRow.status == "made", IssueRow.state == "open")
            .values(state="closed", updated_at=now)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            return None
        return self.session.scalars(select(IssueRow).where(IssueRow.number == number)).first()

    def issue_failed(self, thread_id: int, kind: str, now: datetime) -> None:
        """The making failed: the next review tries again, looking for the issue first."""
        self.session.execute(
            update(IssueRow)
            .where(
                IssueRow.thread_id == thread_id, IssueRow.kind == kind, IssueRow.status == "making"
            )
            .values(status="failed", updated_at=now)
        )
