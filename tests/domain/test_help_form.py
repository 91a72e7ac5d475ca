"""The Ask for help form's rules: what a submitted form must hold (errors by field), the
person's words cleaned, the levels in the team guide's words."""

from __future__ import annotations

import pytest

from watchstander.domain.help_form import (
    LIMITS,
    FormInvalid,
    HelpRequest,
    blank,
    level_choices,
    looks_like_url,
    parse_request,
)
from watchstander.domain.levels import Level

HOSTILE = "<!channel> <!subteam^S1> <@U123> \u202eevil\u202c \u200b"


def errors(**values: str) -> dict[str, str]:
    with pytest.raises(FormInvalid) as raised:
        parse_request(values)
    return raised.value.errors


def test_a_full_form_makes_a_request_with_the_persons_words_cleaned() -> None:
    request = parse_request(
        {
            "summary": "  The revenue\nreport   does not tie out ",
            "url": " https://app.example.com/reports/7?x=1#top ",
            "expected": "the totals match\n\n",
            "happened": "they differ by 3%",
            "level": "urgent",
        }
    )
    assert request == HelpRequest(
        "The revenue report does not tie out",
        "https://app.example.com/reports/7?x=1#top",
        "the totals match",
        "they differ by 3%",
        Level.URGENT,
    )
    assert parse_request({"summary": "Where is XYZ?", "level": "question"}).level is Level.GENERAL


def test_missing_and_wrong_fields_are_said_field_by_field() -> None:
    assert set(errors()) == {"summary", "level"}
    assert set(errors(summary="x", level="emergency")) == {"happened"}  # emergencies say what
    assert set(errors(summary="x", level="loud")) == {"level"}
    found = errors(summary="x", url="not a link", level="question")
    assert set(found) == {"url"}
    assert "https://" in found["url"]


def test_a_summary_of_invisible_characters_is_missing() -> None:
    assert set(errors(summary="\u200b\u2060 \u202e\ufeff", level="question")) == {"summary"}
    assert blank("\u200b\u00a0\u2060")
    assert not blank("\u200bx")


@pytest.mark.parametrize("field", ["summary", "url", "expected", "happened"])
def test_a_field_past_its_limit_is_refused_not_cut(field: str) -> None:
    values = {"summary": "ok", "level": "question", field: "a" * 40_000}
    if field == "url":
        values[field] = "https://example.com/" + "a" * 40_000
    found = errors(**values)
    assert set(found) == {field}
    assert str(LIMITS[field]) in found[field]
    assert len(found[field]) < 100


def test_hostile_text_is_kept_as_words_without_direction_overrides() -> None:
    request = parse_request(
        {"summary": HOSTILE, "expected": HOSTILE, "happened": HOSTILE, "level": "emergency"}
    )
    assert "\u202e" not in request.summary
    assert "\u202c" not in request.happened
    assert request.summary.startswith("<!channel> <!subteam^S1> <@U123> evil")
    # the thread keeps them as a chat platform gives a post's text: nothing can tag
    kept = request.thread_text("about <!here>")
    assert "<" not in kept
    assert "&lt;!channel&gt;" in kept
    assert kept.endswith("about &lt;!here&gt;")


def test_what_looks_like_a_url() -> None:
    for good in ("https://a.example.com", "http://localhost:8080/x", "https://x.io/a?b=c#d"):
        assert looks_like_url(good), good
    for bad in ("example.com", "https://", "https://.com", "javascript:alert(1)", "https://a b"):
        assert not looks_like_url(bad), bad


def test_the_levels_carry_the_guide_s_words_and_fit_a_choice() -> None:
    question, urgent, emergency = level_choices("oncall", "devs")
    assert [c.level for c in (question, urgent, emergency)] == list(Level)
    assert "Curiosities and oddities welcome." in " ".join(question.fits)
    assert "@oncall" in urgent.line
    assert "@devs" in emergency.line
    assert "The app is down." in emergency.fits
    assert any("help me understand these numbers" in n for n in emergency.not_for)
    assert any("Why does it work this way?" in n for n in emergency.not_for)
    long = level_choices("o" * 200, "d" * 200)
    assert all(len(c.line) <= 75 for c in (*long, question, urgent, emergency))
