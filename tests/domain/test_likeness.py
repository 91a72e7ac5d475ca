"""How alike a question and an earlier thread are: words written another way count, the
resolving line counts for half, and a question that asks is told from a report."""

from __future__ import annotations

import pytest

from watchstander.domain.likeness import LINE_WEIGHT, asks, edits, likeness, same_word, stem


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("charges", "charged"),
        ("charge", "charged"),
        ("running", "runs"),
        ("replies", "reply"),
        ("deprovisioning", "deprovision"),
        ("webhoks", "webhooks"),  # a letter dropped
        ("custmer", "customer"),
        ("recieve", "receive"),  # two letters swapped
        ("notifcaitons", "notifications"),  # two slips in a long word
    ],
)
def test_a_word_written_another_way_is_the_same_word(a: str, b: str) -> None:
    assert same_word(a, b)
    assert same_word(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [("sso", "ssl"), ("app", "api"), ("export", "import"), ("login", "logout"), ("mode", "node")],
)
def test_short_or_different_words_are_not_the_same(a: str, b: str) -> None:
    assert not same_word(a, b)


def test_the_stemmer_keeps_words_it_cannot_shorten() -> None:
    assert stem("sso") == "sso"
    assert stem("access") == "access"  # "ss" is no plural
    assert stem("status") == "status"
    assert edits("kitten", "sitting", 3) == 3
    assert edits("a", "abcd", 2) == 3  # the lengths alone say it is further than asked


def test_edits_count_a_swap_as_one_and_say_only_more_beyond_the_most() -> None:
    assert edits("recieve", "receive", 2) == 1  # two letters swapped
    assert edits("invoice", "invoices", 2) == 1
    assert edits("abcdef", "badcfe", 2) == 3  # three swaps: more than 2
    assert edits("abcdef", "badcfe", 5) == 3
    assert edits("", "", 0) == 0


def test_likeness_is_the_share_of_the_words_of_both_the_line_counting_half() -> None:
    question = ["mobile", "app", "spinning", "syncing"]
    root = ["mobile", "app", "stuck", "syncing"]
    found = likeness(question, root, ["reset", "local", "data"])
    assert found.matched == 3
    assert found.share == pytest.approx(2 * 3 / 8)
    found = likeness(
        ["offline", "queue", "stuck"], root, ["conflicting", "item", "offline", "queue"]
    )
    assert found.matched == 3  # "stuck" in the root post, two words in the line
    assert found.share == pytest.approx(2 * (1 + 2 * LINE_WEIGHT) / 7)
    assert likeness([], [], []).share == 0.0


@pytest.mark.parametrize(
    "text",
    [
        "can the mobile app scan QR codes?",
        "Is there a dark mode",
        "does SSO work for the mobile app too?",
        "how do I change the logo on the login page",
        "<@U0P0012> what's the limit on custom fields",
        "hey team, can we restrict exports to admins",
        "customer asks if we integrate with Microsoft Teams",
        "the customer wants to know whether guests can edit",
        "does anyone know if we accept bank transfer",
        "any ETA on the Jira integration?",
    ],
)
def test_a_post_that_asks(text: str) -> None:
    assert asks(text)


@pytest.mark.parametrize(
    "text",
    [
        "mobile app stuck on syncing since the update",
        "customer says the CSV export is blank",
        "webhooks not firing anymore for Initech",
        "<@U0P0012> client sees a double charge, is that a bug?",
        "SCIM not deprovisioning users??",
        "cannot log in",
        "why does the invoice show the old address",  # the cause of a problem reported
    ],
)
def test_a_report_does_not_ask(text: str) -> None:
    assert not asks(text)
