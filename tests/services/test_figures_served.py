"""Self-served questions in the weekly figures and the daily digest, on a real database: the
questions earlier answers settled (a thread resolved by "This answered it", the help form
stopped at "This answers it"), counted in the week they were settled, next to the levels, and
the share of all questions they are (the seeds' deflection figure)."""

from __future__ import annotations

from datetime import timedelta

from test_figures import AMS, LATER, WEEK, golden, service, thread

from watchstander.domain.figures import week_of
from watchstander.render import Renderer, SlackVoice
from watchstander.render.views import views
from watchstander.settings import Settings
from watchstander.store import Store

SETTINGS = Settings.from_env({"TIMEZONE": "Europe/Amsterdam"})


def served(store: Store, key: str, source: str, days: float) -> None:
    with store.transaction() as tx:
        tx.add_self_served(key, WEEK.start + timedelta(days=days), "U0ERIN", source)


def test_the_week_counts_self_served_questions_by_source_and_their_share(store: Store) -> None:
    golden(store)  # ten threads that week
    served(store, "thread:1", "thread", 1)
    served(store, "thread:2", "thread", 6.99)
    served(store, "form:a", "form", 0)  # Monday 00:00 in Amsterdam: this week
    served(store, "form:b", "form", -0.01)  # the Sunday before: last week
    served(store, "form:c", "form", 7)  # the next Monday: next week
    served(store, "thread:1", "thread", 2)  # the same key again: counted once
    figures = service(store).weekly(WEEK, LATER)
    assert figures.total == 10
    assert dict(figures.self_served) == {"thread": 2, "form": 1}
    assert (figures.served, figures.questions) == (3, 11)
    assert figures.deflection == 3 / 11
    text = Renderer(SlackVoice(), views(SETTINGS)).render("stats", {"figures": figures})
    assert (
        "Self-served: *3* of 11 questions (27%): 2 resolved by an earlier thread the bot "
        "suggested, 1 answered in the help form before anyone was asked"
    ) in text
    lines = text.split("\n")
    assert lines[1].startswith("Threads: *10*")
    assert lines[2].startswith("Self-served:")


def test_a_week_with_none_says_none_and_one_with_only_the_form_still_reports(
    store: Store,
) -> None:
    thread(store, WEEK.start + timedelta(days=1), 0, 60.0)
    figures = service(store).weekly(WEEK, LATER)
    assert (figures.served, figures.deflection) == (0, 0.0)
    text = Renderer(SlackVoice(), views(SETTINGS)).render("stats", {"figures": figures})
    assert "Self-served: *0* of 1 questions (0%)" in text
    next_week = WEEK.end + timedelta(days=1)
    served(store, "form:x", "form", 8)
    later = service(store).weekly(week_of(next_week.astimezone(AMS).date(), AMS), LATER)
    assert (later.total, later.questions, later.deflection) == (0, 1, 1.0)
    text = Renderer(SlackVoice(), views(SETTINGS)).render("stats", {"figures": later})
    assert "no threads that week" not in text
    assert "Self-served: *1* of 1 questions (100%)" in text


def test_the_daily_digest_counts_the_last_seven_days(store: Store) -> None:
    now = WEEK.start + timedelta(days=9)
    served(store, "thread:old", "thread", 1)  # eight days before: not counted
    served(store, "thread:a", "thread", 3)
    served(store, "form:a", "form", 8.5)
    digest = service(store).digest(now)
    assert digest.self_served == 2
    text = Renderer(SlackVoice(), views(SETTINGS)).render("digest", {"digest": digest})
    assert "Self-served in the last 7 days: 2 questions answered by earlier threads." in text
    quiet = service(store).digest(WEEK.start + timedelta(days=30))
    assert quiet.self_served == 0
    text = Renderer(SlackVoice(), views(SETTINGS)).render("digest", {"digest": quiet})
    assert "Self-served" not in text
