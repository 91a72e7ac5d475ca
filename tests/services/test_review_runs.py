"""The review on a real database and PyGithub against the local GitHub-compatible server:
one issue per thread and kind, ever, through re-runs, failures, crashes and two at once."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update
from triage_helpers import at, harness, post, react

from watchstander.adapters.code_host import CodeHost
from watchstander.domain.review import tag_table
from watchstander.render import Renderer, SlackVoice
from watchstander.render.views import views
from watchstander.services.figures import FiguresService
from watchstander.services.review import ReviewResult, ReviewService
from watchstander.settings import Settings
from watchstander.stopping import Abandoned
from watchstander.store import IssueRow, Store
from watchstander_sandbox.github_server import Failure, LocalGitHub

POSTER, DEV = "U0CAROL", "U0DAVE"


def week(store: Store) -> None:
    """Three threads: a bug, a post-mortem with a bug, one tagged then untagged."""
    triage = harness(store).service
    for minute, text in ((0, "export fails"), (10, "<!here> app down"), (20, "typo on page")):
        triage.handle_message(post(minute, POSTER, text), at(minute))
    for minute, on, name in ((1, 0, "bug"), (11, 10, "coffin"), (12, 10, "bug"), (21, 20, "bug")):
        triage.handle_reaction(react(minute, on, DEV, name), at(minute))
    triage.handle_reaction(react(22, 20, DEV, "bug", added=False), at(22))
    triage.handle_reaction(react(23, 0, "U0ERIN", "necktie"), at(23))


FIRST, SECOND = "host:1:first", "host:2:second"  # two processes (or a process and its restart)


def review(store: Store, host: CodeHost | None, taker: str = FIRST) -> ReviewService:
    return ReviewService(
        store, code_host=host, link=lambda c, t: f"https://slack/{c}/{t}", taker=taker
    )


def killed_while_making(store: Store, gh: LocalGitHub, host: CodeHost, taker: str) -> None:
    """A review of ``taker`` killed after GitHub made the week's issues and before it recorded
    them: the rows "making", taken by ``taker``."""
    week(store)
    assert len(review(store, host).run(at(60), since=at(-1)).made) == 3
    with store.transaction() as tx:
        tx.session.execute(update(IssueRow).values(status="making", number=None, taken_by=taker))
    gh.requests.clear()


def rendered(result: ReviewResult) -> str:
    return Renderer(SlackVoice(), views(Settings.from_env({}))).render("review", {"result": result})


def test_dry_run_lists_and_changes_nothing(store: Store, gh: LocalGitHub, host: CodeHost) -> None:
    week(store)
    result = review(store, host).run(at(60), dry_run=True, since=at(-1))
    assert sorted(d.kind for d in result.plan.drafts) == ["bug", "bug", "postmortem"]
    assert result.plan.counts == {"bug": 2, "coffin": 1, "necktie": 1}
    assert gh.issues == []
    assert gh.requests == []
    with store.transaction() as tx:
        assert tx.count(IssueRow) == 0


def test_run_makes_each_issue_once(store: Store, gh: LocalGitHub, host: CodeHost) -> None:
    week(store)
    first = review(store, host).run(at(60), since=at(-1))
    assert len(first.made) == 3
    assert not first.failed
    labels = sorted(tuple(label["name"] for label in i["labels"]) for i in gh.issues)
    assert labels == [("bug", "support"), ("bug", "support"), ("postmortem",)]
    again = review(store, host).run(at(61), since=at(-1))
    assert again.made == []
    assert again.plan.drafts == []
    assert len(gh.issues) == 3
    # a first try has nothing to look for: one request per issue, not a list of all of them
    assert [method for method, _ in gh.requests] == ["POST"] * 3
    # titles name the problem, not the tags the post opened with (not even defused)
    titles = sorted(str(i["title"]) for i in gh.issues)
    assert titles == ["Post-mortem: app down", "app down", "export fails"]


def test_a_failure_is_reported_and_made_by_the_next_review(
    store: Store, gh: LocalGitHub, host: CodeHost
) -> None:
    week(store)
    gh.fail_next(Failure(422, method="POST"))
    first = review(store, host).run(at(60), since=at(-1))
    assert len(first.failed) == 1
    assert "422" in first.failed[0][1]
    assert len(first.made) == 2
    second = review(store, host).run(at(61), since=at(-1))
    assert len(second.made) == 1
    assert len(gh.issues) == 3


def test_a_review_killed_half_way_makes_no_second_issue(
    store: Store, gh: LocalGitHub, host: CodeHost
) -> None:
    week(store)
    gh.fail_next(Failure(502, accept=True, method="POST"), Failure(502, method="GET"))
    crashed = review(store, host).run(at(60), since=at(-1))  # the answer lost, the check too
    assert len(crashed.failed) == 1
    assert len(gh.issues) == 3
    later = review(store, host).run(at(75), since=at(-1))
    assert len(later.made) == 1
    assert len(gh.issues) == 3


def test_a_review_stopped_half_way_is_finished_at_the_next_start(
    store: Store, gh: LocalGitHub, host: CodeHost
) -> None:
    week(store)
    stopping = threading.Event()
    stopped = ReviewService(
        store, code_host=host, link=lambda c, t: t, stopping=stopping, taker=FIRST
    )
    gh.fail_next(Failure(502, accept=True, delay=5, method="POST"))  # made, answered late
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            stopped.run(at(60), since=at(-1))
        except Abandoned as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert gh.wait_for(lambda g: len(g.issues) == 1, 10)
    stopping.set()  # SIGTERM: the review lets go of GitHub's answer
    worker.join(timeout=10)
    assert not worker.is_alive(), "the review waited for GitHub"
    assert len(outcome) == 1
    assert len(gh.issues) == 1
    with store.transaction() as tx:  # every draft was taken before the first was made
        assert tx.count(IssueRow) == 3
        assert len(tx.unfinished_issues(SECOND, at(61))) == 3
        assert tx.unfinished_issues(FIRST, at(61)) == []  # a process's own: left to it
    assert review(store, host).resume(at(60)) == 0  # rows of this process's own reviews: kept
    assert review(store, host, SECOND).resume(at(61)) == 3  # the next start: at once
    assert len(gh.issues) == 3  # the one GitHub made was found by its marker, not made again
    markers = sorted(str(i["body"]).rsplit("<!--", 1)[1] for i in gh.issues)
    assert len(set(markers)) == 3
    with store.transaction() as tx:
        assert tx.unfinished_issues(SECOND, at(71)) == []
        assert tx.taken_over_since(None, at(71)) == {"issue": 3}  # for the digest
    assert review(store, host, SECOND).resume(at(80)) == 0


def test_a_review_right_after_a_restart_takes_over_at_once_and_asks_github_first(
    store: Store, gh: LocalGitHub, host: CodeHost
) -> None:
    """The issue's case: killed while GitHub made the issues; a `!review` right after the
    restart (the same minute) takes the rows over, finds each issue by its marker, and
    says so; nothing is skipped, nothing made twice."""
    killed_while_making(store, gh, host, FIRST)
    again = review(store, host, SECOND).run(at(61), since=at(-1))
    assert (len(again.made), again.resumed, again.busy, again.failed) == (3, 3, [], [])
    assert len(gh.issues) == 3
    assert "POST" not in [method for method, _ in gh.requests]  # found, not made
    assert "Taken over from a process that stopped half-way: 3 issues" in rendered(again)
    with store.transaction() as tx:
        assert tx.in_flight() == {"issue": 0, "page": 0}
        assert {row.status for row in tx.issues_for([1, 2, 3])} == {"made"}


def test_the_next_digest_says_what_was_taken_over_and_the_one_after_does_not(
    store: Store, gh: LocalGitHub, host: CodeHost
) -> None:
    killed_while_making(store, gh, host, FIRST)
    digests = FiguresService(store, Settings.from_env({}), link=lambda c, t: t)
    before = digests.digest(at(61))
    assert (before.taken_over, before.in_flight) == ({}, {"issue": 3, "page": 0})
    assert review(store, host, SECOND).resume(at(62)) == 3
    after = digests.digest(at(63))
    assert (after.taken_over, after.in_flight) == ({"issue": 3}, {"issue": 0, "page": 0})
    text = Renderer(SlackVoice(), views(Settings.from_env({}))).render("digest", {"digest": after})
    assert "since the last digest: 3 GitHub issues." in text
    again = digests.digest(at(64))
    assert (again.taken_over, again.in_flight) == ({}, {"issue": 0, "page": 0})


def test_a_review_leaves_to_a_live_process_what_it_makes_and_says_so(
    store: Store, gh: LocalGitHub, host: CodeHost
) -> None:
    """Another process alive (its heartbeat renewed) is making the issues: a review of this
    one leaves them to it, asks GitHub nothing and says so, a line each; once that process
    is gone (its heartbeat expired) they are taken over."""
    killed_while_making(store, gh, host, "host:3:<!channel>")
    with store.transaction() as tx:
        tx.beat("host:3:<!channel>", at(0), at(62))
    busy = review(store, host, SECOND).run(at(61), since=at(-1))
    assert (busy.made, busy.resumed, len(busy.busy)) == ([], 0, 3)
    assert gh.requests == []
    lines = [line for line in rendered(busy).splitlines() if "being made right now" in line]
    assert len(lines) == 3
    assert lines[0].endswith("right now, by host:3:&lt;!channel&gt;: left to it")
    assert review(store, host, SECOND).resume(at(61)) == 0
    assert review(store, host, SECOND).resume(at(62)) == 3  # expired: gone
    assert len(gh.issues) == 3


def test_two_reviews_at_once_make_one_issue_each(
    store: Store, gh: LocalGitHub, host: CodeHost
) -> None:
    week(store)
    barrier = threading.Barrier(2)
    results = []

    def run() -> None:
        barrier.wait()
        results.append(review(store, host).run(at(60), since=at(-1)))

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
        assert not worker.is_alive(), "a review hung"
    assert len(gh.issues) == 3
    assert sum(len(r.made) for r in results) == 3


def test_without_github_the_review_says_so(store: Store) -> None:
    week(store)
    result = review(store, None).run(at(60), since=at(-1))
    assert result.since == at(-1)  # the week asked for, not the default one
    assert sorted(d.kind for d, _ in result.failed) == ["bug", "bug", "postmortem"]
    off = "GitHub is off: GITHUB_TOKEN or GITHUB_REPO is not set"
    assert [reason for _, reason in result.failed] == [off] * 3
    assert result.made == []
    assert result.skipped == 0
    with store.transaction() as tx:
        assert tx.count(IssueRow) == 0  # nothing taken: the next review with GitHub makes all


def test_a_review_looks_back_one_week_by_default(store: Store) -> None:
    week(store)
    result = review(store, None).run(at(60), dry_run=True)
    assert result.since == at(60) - timedelta(days=7)
    # the threads of the week are all in it (posted at 0..20 minutes)
    assert result.plan.counts == {"bug": 2, "coffin": 1, "necktie": 1}
    later = review(store, None).run(at(24) + timedelta(days=7), dry_run=True)
    assert later.plan.counts == {}  # a week after the last tag (23 minutes): none is in


def test_a_post_mortem_issue_holds_its_draft_and_names(
    store: Store, gh: LocalGitHub, host: CodeHost
) -> None:
    week(store)
    written: list[str] = []

    def write(channel: str, root_ts: str, now: object) -> str:
        written.append(root_ts)
        return f"# Post-mortem of {root_ts}\n\nthe draft's text"

    names = {POSTER: "Carol Diaz"}
    service = ReviewService(
        store,
        code_host=host,
        link=lambda c, t: t,
        postmortems=write,
        names=lambda person: names.get(person, person),
    )
    service.run(at(60), since=at(-1))
    (pm,) = [i for i in gh.issues if i["labels"] == [{"name": "postmortem"}]]
    assert f"# Post-mortem of {written[0]}\n\nthe draft's text" in pm["body"]
    assert "- Posted by: Carol Diaz\n" in pm["body"]
    assert POSTER not in pm["body"]
    assert pm["body"].rstrip().endswith("-->")  # the marker stays last


def test_a_closed_issue_is_told_in_its_thread_once(
    store: Store, gh: LocalGitHub, host: CodeHost
) -> None:
    week(store)
    service = review(store, host)
    service.run(at(60), since=at(-1))
    assert service.poll_closed(at(61)) == []  # all open
    gh.issues[0]["state"] = "closed"
    (closed,) = service.poll_closed(at(62))
    assert closed.poster == POSTER
    assert closed.url == gh.issues[0]["html_url"]
    assert service.poll_closed(at(63)) == []  # said once
    assert service.issue_closed(gh.issues[0]["number"], at(64)) is None  # a webhook after it
    assert service.issue_closed(2, at(64)) is not None
    assert service.issue_closed(999, at(64)) is None  # not ours


def test_renamed_reactions_are_the_tags(store: Store, gh: LocalGitHub, host: CodeHost) -> None:
    triage = harness(store).service
    triage.handle_message(post(0, POSTER, "export fails"), at(0))
    triage.handle_reaction(react(1, 0, DEV, "beetle"), at(1))
    triage.handle_reaction(react(2, 0, DEV, "unknown_emoji_name"), at(2))  # ignored
    renamed = ReviewService(
        store, code_host=host, link=lambda c, t: c + t, tags=tag_table("bug=beetle")
    )
    result = renamed.run(at(60), since=at(-1))
    assert result.plan.counts == {"beetle": 1}
    assert [d.kind for d in result.plan.drafts] == ["bug"]
    assert review(store, host).run(at(61), since=at(-1)).plan.counts == {}  # not a tag by default
