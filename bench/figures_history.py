"""The daily digest and the weekly figures over a year of history against the same week alone,
and the bot's peak memory while it computes them against its memory at rest.

Time: the same review week (the seeds' volume, 25,000 threads a month) in a database of its
own and in one that also holds the 51 weeks before it; the digest and the week's figures
(every count, percentile and bucket comes from the database) are computed on each, then the
two pictures drawn. Target: a year / the week alone at most 1.5 times. The SQL statements are
counted: the same with and without history.

Memory: the real bot (Errbot, the Watchstander backend, the plugins) runs in a subprocess
against the local Slack server on the year's database; its peak resident memory (VmHWM) is
read at rest, then after `!stats` (figures and two pictures uploaded) and `!digest`. Target:
at most 1.2 times at rest, plus the pictures' size.

    python -m bench.figures_history [--weeks 52] [--postgres URL]
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.harness import SUPPORT, Bot, running_bot
from bench.review_history import NOW, counting, databases, fill, history_args
from watchstander.domain.figures import week_of
from watchstander.services.figures import FiguresService
from watchstander.services.oncall import OnCall
from watchstander.services.pictures import heatmap_png, trend_png
from watchstander.settings import Settings
from watchstander.store import Store

TARGET, MEMORY_TARGET = 1.5, 1.2
RESULTS = Path(__file__).parent / "results"
TZ = "Europe/Amsterdam"
WEEK = week_of(date(2026, 11, 16), ZoneInfo(TZ))


def service(store: Store) -> FiguresService:
    return FiguresService(
        store,
        Settings.from_env({"TIMEZONE": TZ}),
        link=lambda c, t: f"https://slack/archives/{c}/p{t}",
        on_call=lambda now: OnCall("U0ALICE", "U0BOB", None, "U0BOB"),
    )


def measure(
    url: str, weeks: int, per_week: int, seed: int, repeats: int, reset: Callable[[str], None]
) -> dict[str, Any]:
    reset(url)
    store = Store(url)
    store.migrate()
    threads = fill(store, weeks, per_week, seed)
    store.optimize()  # SQLite: the statistics a start or a daily digest leaves
    if not store.is_sqlite:  # as autovacuum leaves a live database: statistics, visibility
        auto = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        with auto as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    figures = service(store)
    sql, digests, drawn, statements = [], [], [], 0
    for _ in range(repeats):
        with counting(store) as seen:
            started = time.perf_counter()
            digest = figures.digest(NOW)
            digests.append(time.perf_counter() - started)
            weekly = figures.weekly(WEEK, NOW)
            sql.append(time.perf_counter() - started)
        statements = sum(seen.values())
        started = time.perf_counter()
        pictures = heatmap_png(weekly, TZ), trend_png(weekly)
        drawn.append(time.perf_counter() - started)
    store.dispose()
    return {
        "threads": threads,
        "sql_s": sql,
        "digest_s": digests,
        "draw_s": drawn,
        "statements": statements,
        "week_threads": weekly.total,
        "open": digest.open_count,
        "pictures_bytes": sum(map(len, pictures)),
        "medians": {
            level.level: [level.spread(m).p50 for m in ("first_response", "claim", "resolve")]
            for level in weekly.levels
        },
    }


def vm_hwm(pid: int) -> int:
    """Peak resident memory of a process, in kB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM: not Linux?")


def memory(year_db: Path, tmp: Path) -> dict[str, Any]:
    """The bot on the year's database: peak memory at rest, then after !stats and !digest."""
    data = tmp / "bot"
    data.mkdir()
    shutil.copy(year_db, data / "watchstander.db")
    with running_bot(data, None, TIMEZONE=TZ) as (slack, bot):
        assert bot.process is not None
        pid = bot.process.pid
        bot.settle()
        rest = vm_hwm(pid)
        started = time.perf_counter()
        answered = _command(slack, bot, "!stats 2026-11-16", lambda s: len(s.files) >= 2)
        _command(
            slack,
            bot,
            "!digest",
            lambda s: any("☀️" in str(m.get("text")) for m in s.messages(SUPPORT)),
        )
        took = time.perf_counter() - started
        peak = vm_hwm(pid)
        sizes = sum(len(f.content) for f in slack.files)
    return {
        "rest_kb": rest,
        "peak_kb": peak,
        "pictures_bytes": sizes,
        "answered": answered,
        "seconds": took,
    }


def _command(slack: Any, bot: Bot, text: str, done: Callable[[Any], bool]) -> bool:
    slack.post("U0DAVE", SUPPORT, text)
    ok = bool(slack.wait_for(done, 120))
    if not ok:
        raise RuntimeError(f"{text} not answered\n{bot.log_tail()}")
    return ok


def main(argv: list[str] | None = None) -> int:
    args = history_args(__doc__, argv)
    per_week = args.per_week
    tmp = Path(tempfile.mkdtemp(prefix="bench-figures-"))
    try:
        url_week, url_year, reset = databases(args, tmp)
        week = measure(url_week, 1, per_week, args.seed, args.repeats, reset)
        year = measure(url_year, args.weeks, per_week, args.seed, args.repeats, reset)
        mem = None if args.postgres else memory(tmp / "year.db", tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = statistics.median
    sql_ratio = med(year["sql_s"]) / med(week["sql_s"])
    all_ratio = (med(year["sql_s"]) + med(year["draw_s"])) / (
        med(week["sql_s"]) + med(week["draw_s"])
    )

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:8.1f} ms"

    db = "postgresql" if args.postgres else "sqlite"
    lines = [
        f"figures ({db}): the week alone {week['threads']} threads; a year {year['threads']}; "
        f"the week's figures over {year['week_threads']} threads, {year['open']} open "
        f"urgent/emergency threads in the digest (week alone: {week['open']})",
        f"figures digest + week (SQL) week {ms(med(week['sql_s']))}  year "
        f"{ms(med(year['sql_s']))}  ratio {sql_ratio:.2f}x (median of {args.repeats})",
        f"figures of which the digest: week {ms(med(week['digest_s']))}  year "
        f"{ms(med(year['digest_s']))}",
        f"figures with both pictures drawn week {ms(med(week['sql_s']) + med(week['draw_s']))}"
        f"  year {ms(med(year['sql_s']) + med(year['draw_s']))}  ratio {all_ratio:.2f}x",
        f"figures SQL statements: {week['statements']} (week) / {year['statements']} (year)",
        f"figures medians (first response, claim, resolve; seconds) year: {year['medians']}",
    ]
    ok = sql_ratio <= TARGET and week["statements"] == year["statements"]
    if mem is not None:
        allowed = MEMORY_TARGET + mem["pictures_bytes"] / 1024 / mem["rest_kb"]
        ratio = mem["peak_kb"] / mem["rest_kb"]
        lines.append(
            f"figures bot memory (VmHWM) at rest {mem['rest_kb'] / 1024:.1f} MiB, after !stats "
            f"and !digest on a year {mem['peak_kb'] / 1024:.1f} MiB: {ratio:.3f}x (target ≤ "
            f"{allowed:.3f}x: {MEMORY_TARGET}x + pictures {mem['pictures_bytes'] / 1024:.0f} "
            f"KiB); answered in {mem['seconds']:.1f} s"
        )
        ok = ok and ratio <= allowed
    lines.append(
        f"verdict figures {'PASS' if ok else 'FAIL'}: a year / the week alone {sql_ratio:.2f}x "
        f"(target ≤ {TARGET}x)"
    )
    print("\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"figures-{db}.json"
    out.write_text(
        json.dumps(
            {"lines": lines, "week": week, "year": year, "memory": mem}, indent=1, default=str
        )
        + "\n"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
