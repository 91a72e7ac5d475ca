"""The bot's words read as English: the lists say whose threads they are, "a" and "an" go by
the word that follows, and titles made from a post drop the tags it opens with."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from watchstander.domain.markup import title_line
from watchstander.domain.review import IssueDraft, Plan, TaggedThread
from watchstander.render import Renderer, SlackVoice
from watchstander.render.renderer import article
from watchstander.render.views import views
from watchstander.services.review import ReviewResult
from watchstander.settings import Settings

RENDERER = Renderer(SlackVoice(), views(Settings.from_env({})))
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ROW = {"level": "urgent", "age": "5m", "assignee": "U0ALICE", "breached": False, "summary": "x"}


@pytest.mark.parametrize(
    ("which", "count", "first"),
    [
        ("mine", 5, "*You hold 5 open threads:*"),
        ("mine", 1, "*You hold 1 open thread:*"),
        ("mine", 0, "You hold no open threads."),
        ("open", 5, "*5 open threads:*"),
        ("breached", 1, "*1 breached thread:*"),
        ("open", 0, "No open threads."),
    ],
)
def test_the_lists_say_whose_threads_they_are(which: str, count: int, first: str) -> None:
    text = RENDERER.render("threads", {"which": which, "threads": [ROW] * count})
    assert text.splitlines()[0] == first
    assert "mine thread" not in text


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("onboarding", "an"),
        ("incident", "an"),
        ("bug", "a"),
        ("postmortem", "a"),
        ("documentation", "a"),
        ("usability", "a"),
        ("hour", "an"),
        ("<!here>", "a"),
        ("", "a"),
    ],
)
def test_a_or_an_by_the_word_that_follows(word: str, expected: str) -> None:
    assert article(word) == expected


def dry_run(kind: str, title: str) -> str:
    thread = TaggedThread("C0SUPPORT", "1.0", "https://x.example/1", "U0BOB", "t", "", frozenset())
    draft = IssueDraft(thread, kind, title, "", ())
    plan = Plan([draft], Counter({"bug": 1}), Counter({"urgent": 1}), [])
    return RENDERER.render("review", {"result": ReviewResult(NOW, True, plan, [])})


def test_the_dry_run_says_an_onboarding_issue_and_a_bug_issue() -> None:
    assert "would make an onboarding issue:" in dry_run("onboarding", "t")
    assert "would make a bug issue:" in dry_run("bug", "t")
    hostile = dry_run("<!channel> <!here>", "t")
    assert "<!" not in hostile
    assert "would make a &lt;!channel&gt; &lt;!here&gt; issue" in hostile


@pytest.mark.parametrize(
    ("post", "title"),
    [
        ("<!subteam^S0ONCALL|@oncall> invoices are blank", "invoices are blank"),
        ("<!subteam^S0DEVS|@devs> <!here> <!channel>: checkout is down", "checkout is down"),
        ("<@U0EVIL> <@U0BOB|bob>, exports fail", "exports fail"),
        ("<!subteam^S0DEVS>\n\nthe second line", "the second line"),
        ("@oncall - the plain tag of other platforms", "the plain tag of other platforms"),
        ("invoices are blank, <!here> <@U0EVIL>", "invoices are blank, @\u2060here @\u2060U0EVIL"),
        ("<!here> <!subteam^S0DEVS|@devs>", ""),
    ],
)
def test_titles_drop_the_tags_a_post_opens_with(post: str, title: str) -> None:
    made = title_line(post)
    assert made == title
    assert "<" not in made
    assert not made.startswith("@")
