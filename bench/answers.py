"""Answers from past threads (issue 14), measured on the labelled set bench/data/answers.jsonl:
earlier resolved threads (root post, resolving line) each with later questions it answers, and
questions no earlier thread answers. The earlier threads go into a fresh store after a year of
history (the review bench's threads); every question is asked as of NOW.

Prints recall@3 (the answering thread among the suggestions), the false-suggestion rate (an
unrelated question gets any suggestion) and the time per question, each with a verdict; exits
non-zero on a miss.

    python -m bench.answers [--weeks 52] [--per-month 25000] [--postgres URL]
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.review_history import (
    CHANNEL,
    DEVS,
    NOW,
    PEOPLE,
    _table,
    databases,
    fill,
    history_args,
)
from watchstander.services.answers import AnswerService
from watchstander.services.inbound import datetime_to_ts
from watchstander.store import MessageRow, Store, ThreadRow

DATA = Path(__file__).parent / "data" / "answers.jsonl"
RECALL_TARGET = 0.80
FALSE_TARGET = 0.10
MEDIAN_MS_TARGET = 20.0  # on SQLite


def load(path: Path = DATA) -> tuple[list[dict[str, Any]], list[str]]:
    threads, unrelated = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if "unrelated" in item:
            unrelated.append(str(item["unrelated"]))
        else:
            threads.append(item)
    return threads, unrelated


def add_labelled(store: Store, threads: list[dict[str, Any]]) -> None:
    """The labelled threads, resolved over the year before NOW, after the history's ids. Every
    other one was resolved with a ``!resolve`` note; the others by the assignee's reply (the
    poster thanks after it)."""
    with store.engine.begin() as conn:
        first = (
            int(
                conn.execute(
                    _table(ThreadRow)
                    .select()
                    .with_only_columns(_table(ThreadRow).c.id)
                    .order_by(_table(ThreadRow).c.id.desc())
                    .limit(1)
                ).scalar()
                or 0
            )
            + 1
        )
        rows, messages = [], []
        for n, item in enumerate(threads):
            posted = NOW - timedelta(days=360) + timedelta(hours=n * 80 + 7, seconds=n)
            answered = posted + timedelta(hours=2)
            resolved = posted + timedelta(hours=3)
            poster, assignee = PEOPLE[n % len(PEOPLE)], DEVS[n % len(DEVS)]
            by_note = n % 2 == 0
            item["root_ts"] = datetime_to_ts(posted)
            rows.append(
                {
                    "id": first + n,
                    "channel": CHANNEL,
                    "root_ts": item["root_ts"],
                    "poster": poster,
                    "root_text": item["root"],
                    "level": 0,
                    "posted_at": posted,
                    "assignee": assignee,
                    "claimed_at": posted + timedelta(minutes=5),
                    "resolved_at": resolved,
                    "resolved_by": assignee,
                    "resolve_note": item["line"] if by_note else "",
                    "created_at": posted,
                    "updated_at": resolved,
                }
            )
            said = [(posted, poster, item["root"], True)]
            said.append((answered, assignee, "looking" if by_note else item["line"], False))
            said.append((answered + timedelta(minutes=5), poster, "thanks, that was it!", False))
            messages += [
                {
                    "thread_id": first + n,
                    "channel": CHANNEL,
                    "ts": datetime_to_ts(at),
                    "user": user,
                    "text": body,
                    "is_root": root,
                    "posted_at": at,
                }
                for at, user, body, root in said
            ]
        conn.execute(_table(ThreadRow).insert(), rows)
        conn.execute(_table(MessageRow).insert(), messages)


def measure(url: str, args: Any, reset: Any) -> dict[str, Any]:
    threads, unrelated = load()
    reset(url)
    store = Store(url)
    store.migrate()
    started = time.perf_counter()
    history = fill(store, args.weeks, args.per_week, args.seed) if args.weeks else 0
    add_labelled(store, threads)
    store.optimize()
    if not store.is_sqlite:
        auto = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with auto as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    filled = time.perf_counter() - started
    service = AnswerService(store, link=lambda c, t: f"https://slack/archives/{c}/p{t}")
    service.suggest("warm up the index and the caches", NOW)
    seconds: list[float] = []
    hits = lines = asked = 0
    misses: list[str] = []
    for item in threads:
        for question in item["questions"]:
            asked += 1
            started = time.perf_counter()
            found = service.suggest(question, NOW)
            seconds.append(time.perf_counter() - started)
            mine = [s for s in found if s.root_ts == item["root_ts"]]
            hits += bool(mine)
            lines += bool(mine) and mine[0].line == " ".join(item["line"].split())
            if not mine:
                misses.append(f"{item['id']}: {question}")
    false: list[str] = []
    for question in unrelated:
        started = time.perf_counter()
        found = service.suggest(question, NOW)
        seconds.append(time.perf_counter() - started)
        if found:
            false.append(f"{question} -> {found[0].matched} words")
    store.dispose()
    return {
        "threads": history + len(threads),
        "fill_s": filled,
        "asked": asked,
        "hits": hits,
        "lines": lines,
        "unrelated": len(unrelated),
        "false": false,
        "misses": misses,
        "seconds": seconds,
    }


def main(argv: list[str] | None = None) -> int:
    args = history_args(__doc__, argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-answers-"))
    try:
        _, url, reset = databases(args, tmp)
        got = measure(url, args, reset)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    db = "postgresql" if args.postgres else "sqlite"
    recall = got["hits"] / got["asked"]
    false_rate = len(got["false"]) / got["unrelated"]
    ms = sorted(s * 1000 for s in got["seconds"])
    median, p95 = statistics.median(ms), ms[int(len(ms) * 0.95)]
    time_ok = median < MEDIAN_MS_TARGET or bool(args.postgres)
    verdicts = [recall >= RECALL_TARGET, false_rate <= FALSE_TARGET, time_ok]
    word = ["FAIL", "PASS"]
    lines = [
        f"answers ({db}): {got['threads']} threads ({len(got['misses'])} missed questions, "
        f"filled in {got['fill_s']:.1f} s)",
        *(f"  missed: {m}" for m in got["misses"]),
        *(f"  false:  {f}" for f in got["false"]),
        f"verdict recall@3 {word[verdicts[0]]}: {recall:.1%} of {got['asked']} questions "
        f"(target ≥ {RECALL_TARGET:.0%}); the resolving line right in {got['lines']}",
        f"verdict false suggestions {word[verdicts[1]]}: {false_rate:.1%} of "
        f"{got['unrelated']} unrelated questions (target ≤ {FALSE_TARGET:.0%})",
        f"verdict time per question {word[time_ok]}: median {median:.1f} ms, p95 {p95:.1f} ms"
        + (" (target on SQLite only)" if args.postgres else f" (target < {MEDIAN_MS_TARGET} ms)"),
    ]
    print("\n".join(lines))
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
