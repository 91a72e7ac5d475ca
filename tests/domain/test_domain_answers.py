"""The rules of answers from past threads: the words searched for, the threshold, and the line
that resolved a thread."""

from __future__ import annotations

from watchstander.domain.answers import (
    LINE_LIMIT,
    alike,
    question_terms,
    resolving_line,
    search_terms,
)
from watchstander.domain.likeness import Likeness

POSTER, DEV, OTHER = "U0POSTER", "U0DEV", "U0OTHER"


def test_a_question_is_searched_by_its_meaningful_words_once() -> None:
    text = "<@U0P0012> hi, customer says the CSV export export is blank :sob: https://x.io/a"
    assert question_terms(text) == ["spreadsheet", "export", "empty"]  # in one wording
    assert search_terms(text) == ["csv", "export", "blank"]  # searched for as written


def test_alike_needs_two_shared_words_and_a_third_of_both_posts() -> None:
    assert alike(Likeness(2, 0.67), asking=False)
    assert not alike(Likeness(1, 1.0), asking=False)  # one word in common is never enough
    assert alike(Likeness(3, 0.43), asking=False)
    assert not alike(Likeness(2, 0.29), asking=False)  # two of fourteen words: unrelated


def test_a_question_that_asks_needs_most_of_its_words_matched() -> None:
    assert not alike(Likeness(2, 0.5), asking=True)  # "can the mobile app ...": the name alone
    assert alike(Likeness(3, 0.6), asking=True)


def test_the_resolve_note_is_the_answer() -> None:
    replies = [(DEV, "try turning it off and on")]
    assert resolving_line("  Rotated the\n key  ", replies, DEV, POSTER) == "Rotated the key"


def test_else_the_assignees_last_reply_before_the_resolution() -> None:
    replies = [
        (DEV, "looking"),
        (OTHER, "me too"),
        (DEV, "the bucket policy needed PutObject"),
        (POSTER, "thanks!"),
        (DEV, "!resolve"),
    ]
    assert resolving_line("", replies, DEV, POSTER) == "the bucket policy needed PutObject"


def test_else_anyone_but_the_poster() -> None:
    replies = [(OTHER, "clear the cache"), (POSTER, "that worked, thanks")]
    assert resolving_line("", replies, None, POSTER) == "clear the cache"
    assert resolving_line("", replies, DEV, POSTER) == "clear the cache"  # the assignee said none
    assert resolving_line("", [(POSTER, "fixed it myself")], DEV, POSTER) == ""


def test_a_long_line_is_cut() -> None:
    line = resolving_line("x" * 1000, [], DEV, POSTER)
    assert len(line) == LINE_LIMIT
    assert line.endswith("…")
