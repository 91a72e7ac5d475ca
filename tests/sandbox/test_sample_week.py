"""The sandbox's sample week: played through the real triage service, it leaves threads of
every level, tags for the review and figures for `!stats`, and the same history for the page."""

from __future__ import annotations

from datetime import UTC, date, datetime

from watchstander.domain.figures import week_of
from watchstander.services.figures import FiguresService
from watchstander.services.review import ReviewService
from watchstander.services.rotation import RotationService
from watchstander.settings import Settings
from watchstander.store import Store, ThreadRow
from watchstander_sandbox.sample_week import ALICE, BOB, DAVE, THREADS, load

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday: the week before is whole


def test_the_sample_week_fills_the_database_and_the_history(store: Store) -> None:
    settings = Settings.from_env({"TIMEZONE": "Europe/Amsterdam"})
    history = load(store, settings, NOW)["messages"]["C0SUPPORT"]
    roots = [m for m in history if m.get("thread_ts", m["ts"]) == m["ts"]]
    with store.transaction() as tx:
        assert tx.count(ThreadRow) == len(roots) == len(THREADS)
    assert any(m.get("bot_id") for m in history)  # the bot's answers are in the history
    figures = FiguresService(store, settings, link=lambda c, t: t).weekly(
        week_of(date(2026, 11, 16), settings.tz), NOW
    )
    assert figures.total == len(THREADS)
    assert {level.level for level in figures.levels if level.threads} == {
        "general",
        "urgent",
        "emergency",
    }
    review = ReviewService(store, code_host=None, link=lambda c, t: t)
    plan = review.run(NOW, dry_run=True).plan
    assert {d.kind for d in plan.drafts} >= {"bug", "postmortem", "onboarding", "documentation"}
    assert sorted(history, key=lambda m: float(m["ts"])) == history


def test_the_sample_week_sets_a_rotation_with_alice_on_call_first(store: Store) -> None:
    settings = Settings.from_env({"TIMEZONE": "Europe/Amsterdam"})
    load(store, settings, NOW)
    rotation = RotationService(store, settings)
    assert rotation(NOW).primary == ALICE
    assert rotation(datetime(2026, 11, 30, 9, 30, tzinfo=UTC)).primary == BOB  # Mon 10:30 CET
    assert rotation.show(NOW)["people"] == [ALICE, BOB, DAVE]
