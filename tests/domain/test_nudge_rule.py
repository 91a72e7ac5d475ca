"""The nudge's rule: a post answers another when it quotes it (``>``, or Slack's ``&gt;``) or
begins by naming its poster within a minute of their post; nothing else counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchstander.domain.nudge import Earlier, answered_post, leading_mention, may_answer, quoted

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CAROL, DAVE, ERIN = "U0CAROL", "U0DAVE", "U0ERIN"
ASKED = Earlier("1.1", CAROL, "How do I export the revenue report to CSV?", T0)
OTHER = Earlier("1.2", ERIN, "the login page is slow today", T0 + timedelta(seconds=20))
OWN = Earlier("1.3", DAVE, "How do I export the revenue report to CSV?", T0)


def answered(text: str, seconds: float = 30, author: str = DAVE) -> Earlier | None:
    return answered_post(text, author, T0 + timedelta(seconds=seconds), [ASKED, OTHER, OWN])


@pytest.mark.parametrize(
    "text",
    [
        "> How do I export the revenue report to CSV?\nReports → Export → CSV",
        "&gt; export the revenue report\nuse Reports, then Export",
        "  &gt;how do I EXPORT the revenue   report\nlike this",
    ],
)
def test_a_quote_of_the_post_answers_it(text: str) -> None:
    assert answered(text, seconds=3600) == ASKED  # a quote counts however late


@pytest.mark.parametrize(
    "text",
    [
        "> export\nuse Reports",  # too few words quoted to tell
        "> revenue report CSV export\nuse Reports",  # the words, not in that order
        "How do I export the revenue report to CSV? Reports → Export",  # not a quote
        "> something nobody posted\nhmm",
        "&gt;\nempty quote",
    ],
)
def test_what_is_not_a_quote_of_a_post(text: str) -> None:
    assert answered(text) is None


def test_a_post_naming_the_poster_within_a_minute_answers_their_post() -> None:
    assert answered(f"<@{CAROL}> Reports → Export → CSV", seconds=60) == ASKED
    assert answered(f"<@{CAROL}|carol> try Reports", seconds=10) == ASKED
    assert answered(f"<@{CAROL}> Reports → Export → CSV", seconds=61) is None  # too late
    assert answered(f"thanks <@{CAROL}>, try Reports", seconds=10) is None  # not at the start
    assert answered(f"<@{CAROL}> hi", seconds=-5) is None  # before the post: not an answer


def test_ones_own_post_and_unknown_people_are_not_answered() -> None:
    text, later = "> How do I export the revenue report to CSV?", T0 + timedelta(seconds=30)
    assert answered_post(text, CAROL, later, [ASKED]) is None
    assert answered_post(text, CAROL, later, [ASKED, OWN]) == OWN  # Dave asked it too
    assert answered(f"<@{DAVE}> hello") is None  # a post naming its own author's post
    assert answered("<@U0NOBODY> hello") is None


@pytest.mark.parametrize(
    "text",
    [
        "<!channel> > export the revenue report",
        "<!here>",
        "<!subteam^S123|@oncall> help",
        "<@U123",
        "\u202e\u200b> export the revenue report to CSV",
        "🧵" * 5000 + "\n> " + "x" * 10000,
        "",
    ],
)
def test_hostile_text_gives_no_signal_or_a_clean_one(text: str) -> None:
    assert answered(text) is None


def test_signals_are_read_before_anything_is_looked_up() -> None:
    assert may_answer("> quoted\nmine")
    assert may_answer("<@U0CAROL> hi")
    assert not may_answer("just a question about <@U0CAROL>")
    assert quoted("a\n&gt; b c\n> d") == "b c d"
    assert leading_mention(" <@W0ABC|x> hi") == "W0ABC"
    assert leading_mention("<!subteam^S1> hi") is None
