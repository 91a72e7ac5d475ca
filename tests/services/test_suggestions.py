"""Answers from past threads in the channel, on a real database: a new question that matches
an earlier resolved thread is offered it once (after the bot's own reply, an emergency only
once its page went out), and "This answered it" resolves it as self-served, once."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from database_helpers import rename_table
from pagerduty_helpers import pager_for
from triage_helpers import CHANNEL, ONCALL, Harness, at, edit, harness, post, reply, ts

from watchstander.services.answers import AnswerService
from watchstander.services.commands import ThreadCommands
from watchstander.services.controls import ANSWERED, Action, Button, answered_button
from watchstander.services.effects import CommandContext, CommandError, Effect
from watchstander.services.inbound import InboundMessage
from watchstander.services.oncall import OnCall
from watchstander.services.suggestions import Suggestions
from watchstander.services.triage import TriageService
from watchstander.settings import Settings
from watchstander.store import Store
from watchstander_sandbox.pagerduty_server import LocalPagerDuty

POSTER, DEV, ASKER, OTHER = "U0CAROL", "U0DAVE", "U0ERIN", "U0FRANK"
EARLIER = "Scheduled export to S3 fails with AccessDenied"
QUESTION = "our nightly S3 export fails: AccessDenied again?"
DAY = 24 * 60  # minutes


def link(channel: str, root: str) -> str:
    return f"https://acme.slack.com/archives/{channel}/p{root}"


def wire(triage: TriageService, mode: str = "ephemeral") -> Suggestions:
    said = triage.say
    answers = AnswerService(triage.store, link)
    found = Suggestions(answers, ThreadCommands(triage), emit=said, mode=mode)
    triage.posted.append(found.posted)
    return found


def history(h: Harness, note: str = "fix the bucket policy") -> None:
    """An earlier question, answered and resolved a day before the tests' questions."""
    h.service.handle_message(post(-DAY, POSTER, EARLIER), at(-DAY))
    h.service.handle_message(reply(-DAY + 5, -DAY, DEV, "looking"), at(-DAY + 5))
    ctx = CommandContext(CHANNEL, DEV, ts(-DAY + 9), ts(-DAY))
    h.commands.resolve(ctx, note, at(-DAY + 9))
    h.said.clear()


def offered(h: Harness) -> list[Effect]:
    return [e for e in h.said if e.template == "answers"]


def press(user: str, button: Button, minutes: float = 3) -> Action:
    """A press of ``button`` on an ephemeral message (which names no thread)."""
    return Action(user, CHANNEL, ts(minutes + 0.5), None, ANSWERED, button.value, ts(minutes))


def test_a_matching_question_is_offered_the_earlier_thread_once(store: Store) -> None:
    h = harness(store)
    suggestions = wire(h.service)
    history(h)
    question = post(0, ASKER, QUESTION)
    assert h.service.handle_message(question, at(0))
    (effect,) = offered(h)
    assert (effect.channel, effect.thread_ts, effect.alone) == (CHANNEL, ts(0), ASKER)
    assert effect.data["suggestions"] == [
        {"link": link(CHANNEL, ts(-DAY)), "line": "fix the bucket policy"}
    ]
    (button,) = effect.controls
    assert isinstance(button, Button)
    assert (button.action_id, button.label) == (ANSWERED, "This answered it")
    # the same post again (a redelivery), an edit of it, a reply: no second offer
    assert not h.service.handle_message(question, at(1))
    h.service.handle_message(edit(2, 0, ASKER, QUESTION + " (edited)"), at(2))
    h.service.handle_message(reply(3, 0, ASKER, QUESTION), at(3))
    suggestions.posted(question, at(4))  # even called again: the thread was offered once
    assert len(offered(h)) == 1


def test_the_bots_reply_goes_first_and_a_general_question_gets_only_the_offer(
    store: Store,
) -> None:
    h = harness(store)
    wire(h.service)
    history(h)
    h.service.handle_message(post(0, ASKER, f"<!subteam^S0ONCALL|@oncall> {QUESTION}"), at(0))
    assert h.templates() == ["announce", "answers"]
    h.said.clear()
    h.service.handle_message(post(1, OTHER, "the S3 export fails with AccessDenied"), at(1))
    assert h.templates() == ["answers"]


def test_no_offer_for_an_unrelated_question_with_the_setting_off_or_elsewhere(
    store: Store,
) -> None:
    h = harness(store)
    wire(h.service)
    history(h)
    h.service.handle_message(post(0, ASKER, "can tasks have multiple assignees?"), at(0))
    h.service.handle_message(InboundMessage("C0ELSEWHERE", ts(1), None, ASKER, QUESTION), at(1))
    assert offered(h) == []
    off = harness(store)
    wire(off.service, mode="off")
    off.service.handle_message(post(2, ASKER, QUESTION), at(2))
    assert offered(off) == []


def test_in_thread_mode_the_offer_is_posted_in_the_thread(store: Store) -> None:
    h = harness(store)
    wire(h.service, mode="thread")
    history(h)
    h.service.handle_message(post(0, ASKER, QUESTION), at(0))
    (effect,) = offered(h)
    assert (effect.thread_ts, effect.alone, effect.data["alone"]) == (ts(0), None, False)


def test_an_emergency_is_offered_answers_only_after_its_page_went_out(
    store: Store, pd: LocalPagerDuty
) -> None:
    unpaged = harness(store)
    wire(unpaged.service)
    history(unpaged)
    emergency = f"<!subteam^S0DEVS|@devs> {QUESTION}"
    unpaged.service.handle_message(post(0, ASKER, emergency), at(0))
    assert unpaged.templates() == ["announce"]  # paging is off: no page, so no offer
    said: list[Effect] = []
    paged = TriageService(
        store,
        Settings.from_env({}),
        channel_id=CHANNEL,
        emit=said.append,
        oncall=lambda now: OnCall(ONCALL, "U0BOB"),
        group_handles=lambda: {"S0ONCALL": "oncall", "S0DEVS": "devs"},
        pager=pager_for(pd),
        link=link,
    )
    wire(paged)
    paged.handle_message(post(1, OTHER, emergency), at(1))
    assert [e.template for e in said] == ["announce", "paged", "answers"]


def test_this_answered_it_resolves_the_thread_as_self_served_once(store: Store) -> None:
    h = harness(store)
    suggestions = wire(h.service)
    history(h)
    h.service.handle_message(post(0, ASKER, QUESTION), at(0))
    (button,) = offered(h)[0].controls
    assert isinstance(button, Button)
    with pytest.raises(CommandError, match="Only the person who asked"):
        suggestions.answered(press(OTHER, button), at(2))
    note = suggestions.answered(press(ASKER, button), at(3))
    assert "Resolved" in str(note)
    with store.transaction() as tx:
        thread, earlier = tx.thread(CHANNEL, ts(0)), tx.thread(CHANNEL, ts(-DAY))
        assert thread is not None
        assert earlier is not None
        assert (thread.resolved_by, thread.resolved_at) == (ASKER, at(3))
        assert thread.resolve_note == f"answered by an earlier thread: {link(CHANNEL, ts(-DAY))}"
        assert tx.self_served_thread(thread.id)
        assert tx.self_served_between(at(0), at(10)) == {"thread": 1}
    # a stale press (resolved already), the same press redelivered: one line, nothing changes
    for again in (press(ASKER, button, 5), press(ASKER, button)):
        with pytest.raises(CommandError, match="resolved already"):
            suggestions.answered(again, at(6))
    with store.transaction() as tx:
        assert tx.self_served_between(at(0), at(10)) == {"thread": 1}
        thread = tx.thread(CHANNEL, ts(0))
        assert thread is not None
        assert sum(e.kind == "resolve" for e in tx.events(thread)) == 1


@pytest.mark.parametrize(
    "value",
    ["", "<!channel>", f"{ts(0)}", f"{ts(0)} <@U0EVIL>", f"{ts(0)} 99999", f"{ts(9)} 1", "1 2 3"],
)
def test_a_button_value_the_bot_did_not_write_changes_nothing(store: Store, value: str) -> None:
    h = harness(store)
    suggestions = wire(h.service)
    history(h)
    h.service.handle_message(post(0, ASKER, QUESTION), at(0))
    forged = Action(ASKER, CHANNEL, ts(3), None, ANSWERED, value, ts(3))
    with pytest.raises(CommandError):
        suggestions.answered(forged, at(3))
    with store.transaction() as tx:
        thread = tx.thread(CHANNEL, ts(0))
        assert thread is not None
        assert thread.resolved_at is None
        assert tx.self_served_between(at(-2 * DAY), at(10)) == {}


def test_the_assignee_may_say_so_too(store: Store) -> None:
    h = harness(store)
    suggestions = wire(h.service)
    history(h)
    h.service.handle_message(post(0, ASKER, QUESTION), at(0))
    h.service.handle_message(reply(1, 0, DEV, "see the earlier thread"), at(1))  # claims it
    button = answered_button(ts(0), 1)
    with store.transaction() as tx:
        earlier = tx.thread(CHANNEL, ts(-DAY))
        assert earlier is not None
        button = answered_button(ts(0), earlier.id)
    suggestions.answered(press(DEV, button), at(3))
    with store.transaction() as tx:
        assert tx.self_served_between(at(0), at(0) + timedelta(hours=1)) == {"thread": 1}


def test_the_database_failing_under_the_suggestions_is_one_line_and_no_traceback(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A database gone away fails the suggestions of every post for a while: one line each,
    with what the database said, and no traceback (the post is recorded and answered)."""
    h = harness(store)
    suggestions = wire(h.service)
    rename_table(store.url, "threads", "threads_away")  # every statement on threads fails
    try:
        with caplog.at_level(logging.ERROR, logger="watchstander.services.suggestions"):
            suggestions.posted(post(0, ASKER, QUESTION), at(0))
    finally:
        rename_table(store.url, "threads_away", "threads")
    (record,) = caplog.records
    assert record.exc_info is None
    message = record.getMessage()
    assert message.startswith(f"no suggestions for {ts(0)}: the database failed: ")
    assert "threads" in message
    assert "\n" not in message
    assert offered(h) == []
