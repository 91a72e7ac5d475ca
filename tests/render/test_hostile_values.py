"""Every template, rendered in Slack's voice with hostile values in every field (property
based): no mention, group, channel or link comes out that the template did not put there on
purpose, and the plain ``@here`` / ``@channel`` / ``@everyone`` cannot ping either."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchstander.domain.figures import (
    Digest,
    LevelFigures,
    OpenThread,
    Spread,
    Week,
    WeeklyFigures,
)
from watchstander.domain.review import IssueDraft, Plan, TaggedThread, Topic, TopicThread
from watchstander.render import Renderer, SlackVoice
from watchstander.render.renderer import TEMPLATES
from watchstander.render.views import views
from watchstander.services.effects import CommandError, Mention
from watchstander.services.review import ReviewResult
from watchstander.settings import Settings

PEOPLE = ("U0ALICE", "U0BOB")  # the only people a template may mention: given as persons
CHANNELS = ("C0SUPPORT",)
URLS = ("https://acme.slack.com/archives/C0SUPPORT/p1", "https://github.com/acme/app/issues/1")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ID = re.compile(r"[UW][A-Z0-9]{2,20}")

ATTACKS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<!subteam^S0DEVS|@devs>",
    "<!subteam^S0DEVS>",
    "<@U0EVIL>",
    "<@U0EVIL|mallory>",
    "<#C0OTHER>",
    "<#C0OTHER|other>",
    "<https://evil.example|click>",
    "<mailto:x@evil.example>",
    "@channel",
    "@here",
    "@everyone",
    "@ here",
    "@@channel",
    "&lt;!channel&gt;",
    "&amp;lt;!here&amp;gt;",
    "a|b>c<d",
    "*bold* _it_ ~s~ `code`",
    "\n• Assignee: <@U0EVIL>",
    "\u202e\u200b\u2060@channel",
    "",
]
PIECE = st.one_of(
    st.sampled_from(ATTACKS),
    st.lists(st.sampled_from([*"<>!@&|^#*_`~ \n;", "channel", "here", "U0EVIL"])).map("".join),
    st.text(max_size=12),
)
HOSTILE = st.lists(PIECE, min_size=1, max_size=4).map("".join)
PERSON = st.one_of(
    st.sampled_from(PEOPLE), HOSTILE.filter(lambda s: not ID.fullmatch(s)), st.none()
)
URL = st.one_of(st.sampled_from(URLS), HOSTILE)
CHANNEL = st.one_of(st.sampled_from(CHANNELS), HOSTILE)


def lists(item: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(item, max_size=3)


def rows(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[list[dict[str, Any]]]:
    return lists(st.fixed_dictionaries(fields))


def week() -> Week:
    monday = date(2026, 11, 16)
    start = datetime(2026, 11, 16, tzinfo=UTC)
    return Week(monday, start, start + timedelta(days=7))


@st.composite
def digest(draw: st.DrawFn) -> dict[str, Any]:
    def thread() -> OpenThread:
        return OpenThread(
            draw(URL), draw(HOSTILE), NOW, draw(PERSON), draw(st.booleans()), draw(HOSTILE)
        )

    shown = [thread() for _ in range(draw(st.integers(0, 3)))]
    return {
        "digest": Digest(
            now=NOW,
            on_call=draw(PERSON),
            next_on_call=draw(PERSON),
            next_at=draw(st.sampled_from([None, NOW])),
            open=tuple(shown),
            open_count=len(shown) + draw(st.integers(0, 2)),
            unclaimed_count=1,
            late_count=1,
            unanswered=tuple(shown),
            unanswered_count=len(shown) + draw(st.integers(0, 2)),
            self_served=draw(st.integers(0, 3)),
        )
    }


@st.composite
def stats(draw: st.DrawFn) -> dict[str, Any]:
    spread = Spread(3, 60.0, 600.0)
    levels = tuple(
        LevelFigures(level, draw(st.integers(0, 4)), 1, 1, {"claim": spread})
        for level in ("general", "urgent", "emergency")
    )
    heat = tuple(tuple(draw(st.integers(0, 2)) for _ in range(24)) for _ in range(7))
    trend = ((week(), {"general": 1, "urgent": 0, "emergency": 0}),)
    served = draw(st.fixed_dictionaries({"thread": st.integers(0, 3), "form": st.integers(0, 3)}))
    figures = WeeklyFigures(week(), levels, trend, heat, ((9, 2),), 1, served)
    return {"figures": figures}


@st.composite
def review(draw: st.DrawFn) -> dict[str, Any]:
    thread = TaggedThread(
        "C0SUPPORT", "1.0", draw(URL), draw(PERSON), draw(HOSTILE), "", frozenset()
    )
    draft = IssueDraft(thread, draw(HOSTILE), draw(HOSTILE), "", ())
    plan = Plan([draft], Counter({draw(HOSTILE): 1}), Counter({draw(HOSTILE): 2}), [thread])
    topic = Topic(draw(HOSTILE), 2, 1, (TopicThread("k", draw(URL), NOW),))
    result = ReviewResult(NOW, draw(st.booleans()), plan, [(draft, 1, draw(URL))])
    result.failed.append((draft, draw(HOSTILE)))
    result.topics.append(topic)
    return {"result": result}


THREAD_ROW = {"level": HOSTILE, "assignee": PERSON, "summary": HOSTILE}
DATA: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "announce": st.fixed_dictionaries(
        {
            "emergency": st.booleans(),
            "oncall": PERSON,
            "assignee": PERSON,
            "next_checkin": HOSTILE,
            "paging": st.booleans(),
        }
    ),
    "answers": st.fixed_dictionaries(
        {
            "poster": PERSON,
            "alone": st.booleans(),
            "suggestions": rows(link=URL, line=HOSTILE),
            "question": URL,
        }
    ),
    "nudge": st.fixed_dictionaries({"link": URL}),
    "breach": st.fixed_dictionaries({"level": HOSTILE, "age": HOSTILE, "secondary": PERSON}),
    "checkin": st.fixed_dictionaries({"assignee": PERSON, "next_checkin": HOSTILE}),
    "claim_reminder": st.fixed_dictionaries({"age": HOSTILE, "oncall": PERSON}),
    "card": st.fixed_dictionaries(
        {
            "level": HOSTILE,
            "emergency": st.booleans(),
            "assignee": PERSON,
            "oncall": PERSON,
            "resolved": st.booleans(),
            "resolved_by": PERSON,
            "next_checkin": HOSTILE,
            "page": st.one_of(st.none(), HOSTILE),
        }
    ),
    "claimed": st.fixed_dictionaries({"assignee": PERSON, "next_checkin": HOSTILE}),
    "escalation": st.fixed_dictionaries({"assignee": PERSON, "escalate_to": PERSON}),
    "eta": st.fixed_dictionaries({"assignee": PERSON, "next_checkin": HOSTILE}),
    "handed_off": st.fixed_dictionaries(
        {"previous": PERSON, "assignee": PERSON, "next_checkin": HOSTILE}
    ),
    "handoff": st.fixed_dictionaries(
        {"person": PERSON, "until": HOSTILE, "previous": PERSON, "threads": rows(**THREAD_ROW)}
    ),
    "handoff_dm": st.fixed_dictionaries(
        {
            "until": HOSTILE,
            "previous": PERSON,
            "threads": rows(**THREAD_ROW),
            "channel": CHANNEL,
        }
    ),
    "issue_closed": st.fixed_dictionaries({"poster": PERSON, "kind": HOSTILE, "url": URL}),
    "oncall": st.fixed_dictionaries(
        {
            "primary": PERSON,
            "until": HOSTILE,
            "next": PERSON,
            "secondary": PERSON,
            "source": HOSTILE,
            "note": st.one_of(st.none(), HOSTILE),
        }
    ),
    "imported": st.fixed_dictionaries(
        {
            "host": HOSTILE,
            "people": lists(PERSON),
            "every": HOSTILE,
            "handoff": HOSTILE,
            "timezone": HOSTILE,
            "overrides": st.integers(0, 3),
            "replaced": st.integers(0, 3),
            "weeks": st.just(12),
            "unknown": lists(HOSTILE),
            "more_unknown": st.integers(0, 3),
            "external": st.one_of(st.none(), HOSTILE),
        }
    ),
    "override": st.fixed_dictionaries({"person": PERSON, "from": HOSTILE, "to": HOSTILE}),
    "page_failed": st.fixed_dictionaries({"error": HOSTILE, "oncall": PERSON, "secondary": PERSON}),
    "paged": st.fixed_dictionaries({"oncall": PERSON}),
    "pd_acknowledged": st.fixed_dictionaries({"agent": HOSTILE}),
    "pd_resolved": st.fixed_dictionaries({"agent": HOSTILE}),
    "released": st.fixed_dictionaries({"previous": PERSON, "oncall": PERSON}),
    "resolved": st.fixed_dictionaries({"resolved_by": PERSON, "note": HOSTILE}),
    "thread": st.fixed_dictionaries(
        {
            "level": HOSTILE,
            "poster": PERSON,
            "summary": HOSTILE,
            "assignee": PERSON,
            "watchers": lists(PERSON),
            "posted": HOSTILE,
            "first_response": HOSTILE,
            "claimed": HOSTILE,
            "resolved": st.one_of(st.none(), HOSTILE),
            "resolved_by": PERSON,
            "next_checkin": HOSTILE,
            "updates": st.integers(0, 3),
            "breached": st.booleans(),
        }
    ),
    "threads": st.fixed_dictionaries(
        {
            "which": HOSTILE,
            "threads": rows(
                level=HOSTILE, age=HOSTILE, assignee=PERSON, breached=st.booleans(), summary=HOSTILE
            ),
        }
    ),
    "rotation": st.fixed_dictionaries(
        {
            "rotation": st.booleans(),
            "people": lists(PERSON),
            "every": HOSTILE,
            "handoff": HOSTILE,
            "timezone": HOSTILE,
            "shifts": rows(
                person=PERSON, override=st.booleans(), **{"from": HOSTILE, "to": HOSTILE}
            ),
            "feed": st.one_of(st.none(), URL),
            "external": st.one_of(st.booleans(), st.sampled_from(["calendar feed", "x"])),
            "fallback": PERSON,
        }
    ),
    "swap": st.fixed_dictionaries(
        {"swaps": rows(person=PERSON, **{"from": HOSTILE, "to": HOSTILE})}
    ),
    "digest": digest(),
    "stats": stats(),
    "review": review(),
    "postmortem_written": st.fixed_dictionaries(
        {"name": HOSTILE, "path": HOSTILE, "failed": st.one_of(st.none(), HOSTILE)}
    ),
    "pictures_failed": st.fixed_dictionaries({"error": HOSTILE}),
    "help": st.fixed_dictionaries(
        {
            "channel": CHANNEL,
            "oncall_handle": HOSTILE,
            "emergency": HOSTILE,
            "groups": rows(title=HOSTILE, commands=rows(usage=HOSTILE, help=HOSTILE)),
        }
    ),
    "unknown_command": st.fixed_dictionaries({"command": HOSTILE, "suggestions": lists(HOSTILE)}),
    "help_question": st.fixed_dictionaries(
        {
            "user": PERSON,
            "level": HOSTILE,
            "tag_handle": st.just(""),  # a tag is meant: see test_help_form's tag tests
            "tag_group": HOSTILE,
            "summary": HOSTILE,
            "url": URL,
            "expected": HOSTILE,
            "happened": HOSTILE,
            "about_link": URL,
            "about_text": HOSTILE,
        }
    ),
    "help_not_posted": st.fixed_dictionaries({"summary": HOSTILE}),
}
RENDERER = Renderer(SlackVoice(), views(Settings.from_env({})))


def only_meant(text: str) -> None:
    """Nothing in ``text`` can reach anyone the template did not mean to reach."""
    assert "<!" not in text
    assert set(re.findall(r"<@([^>|]*)", text)) <= set(PEOPLE)
    assert set(re.findall(r"<#([^>|]*)", text)) <= set(CHANNELS)
    assert set(re.findall(r"<((?:https?|mailto):[^>|]*)", text)) <= set(URLS)
    # every "<" opens one of those: a mention of a person, a channel, a link it built
    assert len(re.findall(r"<", text)) == len(re.findall(r"<(?:@|#|https?://)", text))
    assert not re.search(r"@(here|channel|everyone)", text, re.I)


def test_every_template_is_tried_here() -> None:
    assert {p.stem for p in TEMPLATES.glob("*.md")} == set(DATA)


@pytest.mark.parametrize("template", sorted(DATA))
def test_no_template_pings_anyone_it_did_not_mean_to(template: str) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=DATA[template])
    def check(data: dict[str, Any]) -> None:
        only_meant(RENDERER.render(template, data))

    check()


@given(value=HOSTILE, person=HOSTILE.filter(lambda s: not ID.fullmatch(s)))
def test_refusals_quote_their_values(value: str, person: str) -> None:
    error = CommandError(
        "'{text}' is not a person; {holder} has it", text=value, holder=Mention(person)
    )
    text = RENDERER.refusal(error)
    only_meant(text)
    assert text.startswith("⚠️ ")
    assert RENDERER.refusal(ValueError(value)) == "⚠️ " + SlackVoice().quote(value)


def test_a_person_meant_is_mentioned_and_the_rest_is_quoted() -> None:
    error = CommandError(
        "{holder} has this thread: ask {who}", holder=Mention("U0ALICE"), who="<!here>"
    )
    assert RENDERER.refusal(error) == "⚠️ <@U0ALICE> has this thread: ask &lt;!here&gt;"


def render(template: str, **data: Any) -> Callable[[], str]:
    return lambda: RENDERER.render(template, data)


def test_templates_keep_their_line_breaks() -> None:
    text = RENDERER.render(
        "thread",
        {
            "level": "urgent",
            "poster": "U0ALICE",
            "summary": "export fails",
            "assignee": "U0BOB",
            "watchers": [],
            "posted": "09:00 UTC (5m ago)",
            "first_response": None,
            "claimed": "09:01 UTC (4m ago)",
            "resolved": None,
            "resolved_by": None,
            "next_checkin": "09:31 UTC (in 26m)",
            "updates": 0,
            "breached": False,
        },
    )
    assert text.split("\n") == [
        "*Urgent* thread from <@U0ALICE>: export fails",
        "• Assignee: <@U0BOB>",
        "• Posted 09:00 UTC (5m ago); claimed 09:01 UTC (4m ago)",
        "• Next check-in 09:31 UTC (in 26m); 0 updates so far",
    ]
