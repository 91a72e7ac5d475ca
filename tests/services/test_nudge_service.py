"""The nudge on a real database: a top-level post that answers another post reminds its author,
alone, to reply in that thread; once a day a person (a day in TIMEZONE); an edit or a
redelivered post nudges nobody again; an answer is not offered earlier threads."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from database_helpers import rename_table
from triage_helpers import CHANNEL, Harness, at, edit, harness, post, ts

from watchstander.render import Renderer, SlackVoice
from watchstander.services.effects import Effect
from watchstander.services.inbound import InboundMessage, datetime_to_ts
from watchstander.services.nudge import Nudges
from watchstander.store import Store

CAROL, DAVE, ERIN = "U0CAROL", "U0DAVE", "U0ERIN"
ASK = "How do I export the revenue report to CSV?"


def link(channel: str, root: str) -> str:
    return f"https://acme.slack.com/archives/{channel}/p{root}"


def wired(store: Store, timezone: str = "UTC") -> tuple[Harness, Nudges]:
    h = harness(store, TIMEZONE=timezone)
    settings = h.service.settings
    nudges = Nudges(store, channel_id=CHANNEL, tz=settings.tz, emit=h.service.say, link=link)

    def posted(msg: InboundMessage, now: datetime) -> None:
        nudges.answers_another(msg, now)

    h.service.posted.append(posted)
    return h, nudges


def nudged(h: Harness) -> list[Effect]:
    return [e for e in h.said if e.template == "nudge"]


def test_a_quote_of_a_post_nudges_its_author_to_reply_in_its_thread(store: Store) -> None:
    h, _ = wired(store)
    h.service.handle_message(post(0, CAROL, ASK), at(0))
    answer = post(30, DAVE, f"&gt; {ASK}\nReports → Export → CSV")
    h.service.handle_message(answer, at(30))
    (effect,) = nudged(h)
    assert (effect.channel, effect.thread_ts, effect.alone) == (CHANNEL, None, DAVE)
    assert effect.data == {"link": link(CHANNEL, ts(0))}
    # the same post again (redelivered), an edit of it: no second nudge, no new thread
    assert not h.service.handle_message(answer, at(31))
    h.service.handle_message(edit(32, 30, DAVE, f"&gt; {ASK}\nReports → Export"), at(32))
    assert len(nudged(h)) == 1
    text = Renderer(SlackVoice()).render(effect.template, effect.data)
    assert f"<{link(CHANNEL, ts(0))}|an earlier post>" in text
    assert "reply in its thread" in text


def test_naming_the_poster_within_a_minute_nudges_and_later_does_not(store: Store) -> None:
    h, _ = wired(store)
    h.service.handle_message(post(0, CAROL, ASK), at(0))
    h.service.handle_message(post(2, DAVE, f"<@{CAROL}> Reports → Export"), at(2))
    assert nudged(h) == []  # two minutes after Carol's post: not an answer to it
    h.service.handle_message(post(2.5, CAROL, "also: can I schedule it?"), at(2.5))
    h.service.handle_message(post(3, DAVE, f"<@{CAROL}> yes, under Schedules"), at(3))
    (effect,) = nudged(h)
    assert effect.data == {"link": link(CHANNEL, ts(2.5))}


def test_once_a_day_a_person_in_timezone(store: Store) -> None:
    h, _ = wired(store, timezone="Europe/Amsterdam")  # UTC+1 in November

    def answer(hour: int, minute: int, user: str = DAVE) -> None:
        moment = datetime(2026, 11, 24, hour, minute, tzinfo=UTC)
        asked = InboundMessage(CHANNEL, datetime_to_ts(moment), None, CAROL, f"{ASK} ({hour})")
        h.service.handle_message(asked, moment)
        later = datetime(2026, 11, 24, hour, minute, 30, tzinfo=UTC)
        text = f"<@{CAROL}> Reports → Export"
        h.service.handle_message(
            InboundMessage(CHANNEL, datetime_to_ts(later), None, user, text), later
        )

    answer(9, 0)
    answer(10, 0)  # the same day: nobody is nudged twice a day
    answer(10, 5, ERIN)  # another person is
    answer(22, 50)  # 23:50 in Amsterdam: still the same day
    assert [e.alone for e in nudged(h)] == [DAVE, ERIN]
    answer(23, 10)  # 00:10 on the 25th in Amsterdam (still the 24th in UTC): a new day
    assert [e.alone for e in nudged(h)] == [DAVE, ERIN, DAVE]


def test_a_post_that_is_no_answer_nudges_nobody(store: Store) -> None:
    h, nudges = wired(store)
    h.service.handle_message(post(0, CAROL, ASK), at(0))
    for n, text in enumerate(
        [
            f"> {ASK}",  # quoting one's own post (Carol's below)
            "same here: the CSV export of the revenue report",  # no quote
            "<!channel> > How do I export the revenue report to CSV?",  # no quote line
        ]
    ):
        user = CAROL if text.startswith(">") else DAVE
        h.service.handle_message(post(1 + n, user, text), at(1 + n))
    reply = InboundMessage(CHANNEL, ts(9), ts(0), DAVE, f"> {ASK}\nin the thread: fine")
    assert not nudges.answers_another(reply, at(9))
    assert nudged(h) == []


def test_the_database_failing_under_the_nudge_is_one_line_and_no_traceback(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    h, nudges = wired(store)
    h.service.handle_message(post(0, CAROL, ASK), at(0))
    rename_table(store.url, "threads", "threads_away")  # every statement on threads fails
    try:
        with caplog.at_level(logging.ERROR, logger="watchstander.services.nudge"):
            assert not nudges.answers_another(post(30, DAVE, f"&gt; {ASK}\nCSV"), at(30))
    finally:
        rename_table(store.url, "threads_away", "threads")
    (record,) = caplog.records
    assert record.exc_info is None
    message = record.getMessage()
    assert message.startswith(f"the nudge for {ts(30)} was not decided: the database failed: ")
    assert "\n" not in message
    assert nudged(h) == []
