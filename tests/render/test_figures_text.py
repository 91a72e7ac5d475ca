"""What the weekly figures and the daily digest say, in words: a share in target only over the
threads that can be judged (the pending ones counted apart), and each digest thread named by
the first words of its post."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from watchstander.domain.figures import Digest, LevelFigures, OpenThread, WeeklyFigures, week_of
from watchstander.render import Renderer, SlackVoice
from watchstander.render.views import views
from watchstander.settings import Settings

WEEK = week_of(date(2026, 11, 16), UTC)
RENDERER = Renderer(SlackVoice(), views(Settings.from_env({})))


def figures(level: LevelFigures) -> WeeklyFigures:
    others = {name: LevelFigures(name) for name in ("general", "urgent", "emergency")}
    levels = tuple(level if name == level.level else other for name, other in others.items())
    heat = tuple(tuple(0 for _ in range(24)) for _ in range(7))
    counts = {level.level: level.threads for level in levels}
    return WeeklyFigures(WEEK, levels, ((WEEK, counts),), heat, ((9, 1),))


def line_of(text: str, level: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"• {level}:"))


def test_a_question_not_yet_at_its_target_is_not_zero_percent() -> None:
    fresh = LevelFigures("general", threads=1, pending=1)
    text = RENDERER.render("stats", {"figures": figures(fresh)})
    line = line_of(text, "general")
    assert "0%" not in line
    assert line.startswith("• general: — answered within 1d 0h (1 not yet at the target, not")


def test_the_share_is_over_the_threads_that_can_be_judged() -> None:
    mixed = LevelFigures("urgent", threads=5, answered=2, in_target=2, pending=1)
    text = RENDERER.render("stats", {"figures": figures(mixed)})
    line = line_of(text, "urgent")
    assert line.startswith("• urgent: 50% answered within 1h 00m (1 not yet at the target")
    judged = LevelFigures("urgent", threads=4, answered=3, in_target=3)
    line = line_of(RENDERER.render("stats", {"figures": figures(judged)}), "urgent")
    assert line.startswith("• urgent: 75% answered within 1h 00m;")


def test_the_digest_names_each_thread_by_its_first_words_quoted() -> None:
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    link = "https://acme.slack.com/archives/C0SUPPORT/p1"
    urgent = OpenThread(link, "urgent", now - timedelta(hours=3), None, True, "export <!here> is…")
    question = OpenThread(link, "general", now - timedelta(days=2), None, True, "Where is it?")
    digest = Digest(now, None, None, None, (urgent,), 1, 1, 1, (question,), 1)
    text = RENDERER.render("digest", {"digest": digest})
    assert f"<{link}|urgent> “export &lt;!here&gt; is…” 3h 00m old" in text
    assert f"<{link}|question> “Where is it?” 2d 0h old" in text


def test_the_digest_says_in_one_line_what_was_taken_over_and_what_is_in_flight() -> None:
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    link = "https://acme.slack.com/archives/C0SUPPORT/p1"
    urgent = OpenThread(link, "urgent", now - timedelta(hours=3), None, True, "export")
    taken = {"issue": 2, "page": 1, "<!here>": 1}
    busy = Digest(now, None, None, None, (urgent,), 1, 1, 1, (), 0, 0, taken, {"issue": 1})
    lines = RENDERER.render("digest", {"digest": busy}).splitlines()
    assert lines[-1] == (
        "♻️ Work taken over from a stopped process since the last digest: 1 &lt;!here&gt;, "
        "2 GitHub issues, 1 page; in flight now: 1 GitHub issue."
    )
    assert "" not in lines  # no empty line before it
    quiet = Digest(now, None, None, None, (), 0, 0, 0, (), 0, 0, {}, {"issue": 0, "page": 1})
    lines = RENDERER.render("digest", {"digest": quiet}).splitlines()
    assert lines[1:] == ["♻️ Work in flight now: 1 page."]
    calm = Digest(now, None, None, None, (), 0, 0, 0, (), 0, 0, {}, {"issue": 0, "page": 0})
    assert "♻️" not in RENDERER.render("digest", {"digest": calm})
