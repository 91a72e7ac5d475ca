"""One wording for things a support channel writes many ways."""

from __future__ import annotations

import pytest

from watchstander.domain.answers import question_terms
from watchstander.domain.wording import SAME, plain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can't log in with 2FA", "Can't login with mfa"),
        ("LOG\nIN  via  Two-Factor", "login  via  mfa"),  # any spaces between the words
        ("error:AccessDenied: for Bill", "error:AccessDenied: for Bill"),  # the rest as it was
        ("signing in via Single Sign-On", "login via sso"),
        ("gcal or Google Calendar", "gcal or gcal"),
        ("double-check the e-mail", "double-check the email"),  # a hyphenated word stays
        ("login", "login"),
        ("catalog inbound blogin sign_in", "catalog inbound blogin sign_in"),  # within words
        ("sign, in", "sign, in"),  # apart by more than spaces
        ("", ""),
    ],
)
def test_one_wording(text: str, expected: str) -> None:
    assert plain(text) == expected


def test_a_question_and_a_thread_written_differently_share_their_words() -> None:
    question = question_terms("user can't sign in, their authenticator app was reset")
    thread = question_terms("MFA reset: the person cannot log in")
    assert {"login", "mfa"} <= set(question) & set(thread)


def test_every_way_belongs_to_one_group() -> None:
    seen: dict[str, str] = {}
    for word, others in SAME.items():
        for way in (word, *others):
            assert way == way.lower().strip()
            assert seen.setdefault(way, word) == word, way
