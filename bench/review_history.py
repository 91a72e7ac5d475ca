"""The weekly review over a year of history against the same week with no history.

Two databases hold the same review week (the seeds' volume: 25,000 threads a month, a tenth of
them tagged); one of them also holds the 51 weeks before it. The review (tags, plan, repeat
topics, and the GitHub issues, made against a fresh local GitHub-compatible server) is run on
each; its cost must follow the week, not the history (target: at most 1.5 times). The SQL
statements each review runs are counted: the same in both, and not growing with the threads.

    python -m bench.review_history [--weeks 52] [--per-month 25000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table

from bench.harness import ROOT
from watchstander.adapters.code_host import CodeHost
from watchstander.domain.review import TAGS
from watchstander.services.inbound import datetime_to_ts
from watchstander.services.review import ReviewResult, ReviewService
from watchstander.store import Base, EventRow, IssueRow, MessageRow, Store, ThreadRow
from watchstander_sandbox.github_server import LocalGitHub

TARGET = 1.5
RESULTS = ROOT / "bench" / "results" / "review.json"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, the review's default time
WEEK = timedelta(days=7)
CHANNEL = "C0SUPPORT"
PEOPLE = [f"U0P{n:04d}" for n in range(120)]
DEVS = [f"U0D{n:03d}" for n in range(12)]
FEATURES = [
    "export",
    "invoice",
    "billing",
    "login",
    "sso",
    "dashboard",
    "report",
    "import",
    "webhook",
    "api",
    "search",
    "upload",
    "calendar",
    "payroll",
    "mobile-app",
    "notification",
    "permission",
    "checkout",
    "vpn",
    "printer",
    "sync",
    "backup",
    "password",
    "subscription",
    "onboarding",
    "analytics",
    "integration",
    "email",
    "pdf",
    "csv",
    "timesheet",
]
SYMPTOMS = [
    "times out",
    "is blank",
    "shows the wrong totals",
    "is very slow",
    "crashes on save",
    "loops forever",
    "drops the last row",
    "rejects valid input",
    "sends duplicates",
    "is missing since the upgrade",
    "returns 502",
    "cannot be opened",
    "lost its settings",
    "ignores the filter",
    "double charges",
]
CUSTOMERS = [
    f"{name} {kind}"
    for name in ["acme", "globex", "initech", "umbrella", "hooli", "stark"]
    for kind in ("ltd", "group", "labs", "inc")
]
FILLER = [
    "hi",
    "all",
    "quick",
    "one",
    "anyone",
    "seen",
    "this",
    "before",
    "urgent",
    "for",
    "a",
    "customer",
    "today",
    "thanks",
]
TAG_NAMES = [tag.reaction for tag in TAGS]
BATCH = 5000
# Of older weeks, the share of threads resolved: urgent and emergency ones are (the bot asks
# until they are); many general questions never get their ✅. The review week: 90%.
RESOLVED = {0: 0.6, 1: 0.995, 2: 1.0}


def threads_of(week: int, per_week: int, seed: int) -> Iterator[dict[str, Any]]:
    """The threads of week ``week`` before NOW (0: the review week), oldest first; the same
    seed gives the same threads, whatever else the database holds."""
    rng = random.Random(seed * 1000 + week)
    start = NOW - (week + 1) * WEEK
    offsets = sorted(rng.random() * WEEK.total_seconds() for _ in range(per_week))
    for n, offset in enumerate(offsets):
        posted = start + timedelta(seconds=offset, microseconds=n % 1000)
        level = rng.choices((0, 1, 2), weights=(70, 25, 5))[0]
        text = " ".join(
            [
                *rng.sample(FILLER, rng.randint(0, 3)),
                "the",
                rng.choice(FEATURES),
                rng.choice(SYMPTOMS),
                "for",
                rng.choice(CUSTOMERS),
            ]
        )
        claimed = rng.random() < 0.8
        yield {
            "channel": CHANNEL,
            "root_ts": datetime_to_ts(posted),
            "poster": rng.choice(PEOPLE),
            "root_text": text,
            "level": level,
            "posted_at": posted,
            "assignee": rng.choice(DEVS) if claimed else None,
            "claimed_at": posted + timedelta(minutes=rng.randint(1, 60)) if claimed else None,
            "first_response_at": posted + timedelta(minutes=rng.randint(1, 90)),
            "resolved_at": (
                posted + timedelta(hours=rng.randint(1, 48))
                if rng.random() < (0.9 if week == 0 else RESOLVED[level])
                else None
            ),
            "tag": rng.choice(TAG_NAMES) if rng.random() < 0.1 else None,
            "created_at": posted,
            "updated_at": posted,
        }


def fill(store: Store, weeks: int, per_week: int, seed: int) -> int:
    """Weeks ``weeks - 1`` .. 0 of threads, their root messages, events (the post, a claim,
    a tag), and for weeks before the review week the issues their tags made."""
    threads_t, messages_t = _table(ThreadRow), _table(MessageRow)
    events_t, issues_t = _table(EventRow), _table(IssueRow)
    kinds = {tag.reaction: tag.kind for tag in TAGS if tag.kind}  # the tags that make issues
    total = 0
    next_id = 1
    for week in range(weeks - 1, -1, -1):  # a transaction a week, as a live bot's are small
        with store.engine.begin() as conn:
            rows = list(threads_of(week, per_week, seed))
            for row in rows:
                row["id"] = next_id
                next_id += 1
            for chunk in range(0, len(rows), BATCH):
                part = rows[chunk : chunk + BATCH]
                conn.execute(
                    threads_t.insert(), [{k: v for k, v in r.items() if k != "tag"} for r in part]
                )
                conn.execute(messages_t.insert(), [_message(r) for r in part])
                conn.execute(events_t.insert(), [e for r in part for e in _events(r)])
                made = [r for r in part if week and r["tag"] in kinds]
                if made:
                    conn.execute(issues_t.insert(), [_issue(r, kinds[r["tag"]]) for r in made])
            total += len(rows)
    return total


def _message(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "thread_id": row["id"],
        "channel": CHANNEL,
        "ts": row["root_ts"],
        "user": row["poster"],
        "text": row["root_text"],
        "is_root": True,
        "posted_at": row["posted_at"],
    }


def _events(row: dict[str, Any]) -> list[dict[str, Any]]:
    base = {"thread_id": row["id"], "channel": CHANNEL, "item_ts": row["root_ts"], "text": ""}
    out = [
        {
            **base,
            "event_key": f"m:{row['root_ts']}",
            "kind": "message",
            "ts": row["root_ts"],
            "actor": row["poster"],
            "at": row["posted_at"],
            "level": row["level"],
            "reaction": "",
        }
    ]
    if row["claimed_at"]:
        at = row["claimed_at"]
        out.append(
            {
                **base,
                "event_key": f"r:{row['root_ts']}:eyes",
                "kind": "reaction_added",
                "ts": datetime_to_ts(at),
                "actor": row["assignee"],
                "at": at,
                "level": 0,
                "reaction": "eyes",
            }
        )
    if row["tag"]:
        at = row["posted_at"] + timedelta(hours=2)
        out.append(
            {
                **base,
                "event_key": f"r:{row['root_ts']}:{row['tag']}",
                "kind": "reaction_added",
                "ts": datetime_to_ts(at),
                "actor": DEVS[0],
                "at": at,
                "level": 0,
                "reaction": row["tag"],
            }
        )
    return out


def _table(model: type[Base]) -> Table:
    """A model's table, for Core's executemany inserts."""
    return cast(Table, model.__table__)


def _issue(row: dict[str, Any], kind: str) -> dict[str, Any]:
    number = row["id"]
    return {
        "thread_id": row["id"],
        "kind": kind,
        "status": "made",
        "number": number,
        "url": f"https://github.com/acme/app/issues/{number}",
        "state": "closed",
        "updated_at": row["posted_at"] + timedelta(days=1),
    }


@contextmanager
def counting(store: Store) -> Iterator[Counter[str]]:
    """Count the SQL statements run on ``store`` inside the block, by their first word."""
    from sqlalchemy import event  # the bench, not the product: the store stays the only user

    seen: Counter[str] = Counter()

    def count(_c: object, _k: object, sql: str, *_: object) -> None:
        seen[sql.lstrip().split(None, 1)[0].upper()] += 1

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


def review(store: Store, host: CodeHost | None, dry_run: bool) -> tuple[float, ReviewResult, int]:
    service = ReviewService(
        store, code_host=host, link=lambda c, t: f"https://slack/archives/{c}/p{t}"
    )
    with counting(store) as statements:
        started = time.perf_counter()
        result = service.run(NOW, dry_run=dry_run, since=NOW - WEEK)
        seconds = time.perf_counter() - started
    return seconds, result, sum(statements.values())


def measure(
    url: str, weeks: int, per_week: int, seed: int, repeats: int, reset: Callable[[str], None]
) -> dict[str, Any]:
    reset(url)
    store = Store(url)
    store.migrate()
    started = time.perf_counter()
    threads = fill(store, weeks, per_week, seed)
    store.optimize()  # SQLite: the statistics a start or a daily digest leaves
    if not store.is_sqlite:  # as autovacuum leaves a live database: statistics, visibility
        auto = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with auto as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    filled = time.perf_counter() - started
    dry = [review(store, None, dry_run=True) for _ in range(repeats)]
    gh = LocalGitHub().start()
    host = CodeHost(gh.token, gh.repo, gh.url, timeout=10, seconds_between_writes=0)
    try:
        full_seconds, full, full_statements = review(store, host, dry_run=False)
    finally:
        host.close()
        gh.stop()
    store.dispose()
    _, plan, dry_statements = dry[0]
    return {
        "threads": threads,
        "fill_s": filled,
        "dry_s": [s for s, _, _ in dry],
        "dry_statements": dry_statements,
        "tagged": sum(plan.plan.levels.values()),
        "drafts": len(plan.plan.drafts),
        "topics": [(t.words, t.count, t.this_week) for t in plan.topics],
        "full_s": full_seconds,
        "full_statements": full_statements,
        "made": len(full.made),
        "failed": len(full.failed),
        "issues_on_github": len(gh.issues),
    }


def reset_sqlite(url: str) -> None:
    path = Path(url.split("///", 1)[1])
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def reset_postgres(url: str) -> None:
    from sqlalchemy import text

    store = Store(url)
    with store.engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    store.dispose()


def history_args(doc: str | None, argv: list[str] | None) -> argparse.Namespace:
    """The options of a history bench (this one, the figures'): how much history, and where."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--per-month", type=int, default=25_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL (its tables are dropped)")
    args = parser.parse_args(argv)
    args.per_week = round(args.per_month * 12 / 52)
    return args


def databases(args: argparse.Namespace, tmp: Path) -> tuple[str, str, Callable[[str], None]]:
    """The week's database, the year's, and how to empty one: two SQLite files in ``tmp``, or
    the one PostgreSQL database for both (emptied between them)."""
    if args.postgres:
        return args.postgres, args.postgres, reset_postgres
    return f"sqlite:///{tmp}/week.db", f"sqlite:///{tmp}/year.db", reset_sqlite


def main(argv: list[str] | None = None) -> int:
    args = history_args(__doc__, argv)
    per_week = args.per_week
    tmp = Path(tempfile.mkdtemp(prefix="bench-review-"))
    try:
        url_week, url_year, reset = databases(args, tmp)
        week = measure(url_week, 1, per_week, args.seed, args.repeats, reset)
        year = measure(url_year, args.weeks, per_week, args.seed, args.repeats, reset)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    dry_ratio = statistics.median(year["dry_s"]) / statistics.median(week["dry_s"])
    full_ratio = year["full_s"] / week["full_s"]

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:8.1f} ms"

    db = "postgresql" if args.postgres else "sqlite"
    lines = [
        f"review ({db}) one week alone: {week['threads']} threads, {week['tagged']} tagged, "
        f"{week['drafts']} issues to make (filled in {week['fill_s']:.1f} s)",
        f"review ({db}) a year:         {year['threads']} threads (filled in "
        f"{year['fill_s']:.1f} s), the same week: {year['tagged']} tagged, "
        f"{year['drafts']} issues to make",
        f"review dry run   week {ms(statistics.median(week['dry_s']))}  year "
        f"{ms(statistics.median(year['dry_s']))}  ratio {dry_ratio:.2f}x (median of "
        f"{args.repeats})",
        f"review with issues week {ms(week['full_s'])}  year {ms(year['full_s'])}  ratio "
        f"{full_ratio:.2f}x; made {week['made']} / {year['made']}, failed {week['failed']} / "
        f"{year['failed']}, on GitHub {week['issues_on_github']} / {year['issues_on_github']}",
        f"review SQL statements: dry run {week['dry_statements']} (week) / "
        f"{year['dry_statements']} (year); with issues {week['full_statements']} / "
        f"{year['full_statements']} = {year['dry_statements']} to read + "
        f"{(year['full_statements'] - year['dry_statements']) / max(year['made'], 1):.1f} "
        "per issue made",
        f"repeat topics (year): {year['topics']}",
    ]
    same = (
        week["dry_statements"] == year["dry_statements"]
        and week["made"] == year["made"] == year["issues_on_github"]
        and not year["failed"]
    )
    ok = dry_ratio <= TARGET and full_ratio <= TARGET and same
    lines.append(
        f"verdict review {'PASS' if ok else 'FAIL'}: a year of history / one week "
        f"{max(dry_ratio, full_ratio):.2f}x (target ≤ {TARGET}x); statements "
        f"{'the same' if same else 'DIFFER'} with and without history"
    )
    print("\n".join(lines))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    out = RESULTS.with_name(f"review-{db}.json")
    out.write_text(json.dumps({"lines": lines, "week": week, "year": year}, indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
