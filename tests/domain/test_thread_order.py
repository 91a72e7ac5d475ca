"""The order a thread's events are replayed in (Slack's ts, except that what depends on who
holds the thread keeps the order the bot recorded it in), and what the thread must be told."""

from __future__ import annotations

from dataclasses import replace

from thread_events import (
    DEV,
    DEV2,
    POLICY,
    POSTER,
    at,
    bot,
    command,
    edit,
    post,
    react,
    recorded,
    reply,
    state,
)

from watchstander.domain.levels import Level
from watchstander.domain.said import Change, Said, changes, said_after
from watchstander.domain.thread import Claim, Kind, ordered, replay

# ------------------------------------------------------------------- replay order


def test_the_eyes_recorded_first_claims_whatever_their_ts() -> None:
    earlier, later = react(1, DEV), react(2, DEV2)
    s = replay([replace(post(), seq=1), replace(later, seq=2), replace(earlier, seq=3)], POLICY)
    assert s.assignee == DEV2
    assert s.watchers == [DEV]
    assert s.claimed_at == at(2)
    assert s.first_response_at == at(1)  # the earliest response, whatever the order
    in_order = replay(
        [replace(post(), seq=1), replace(earlier, seq=2), replace(later, seq=3)], POLICY
    )
    assert in_order.assignee == DEV
    assert in_order.watchers == [DEV2]
    assert in_order.first_response_at == at(1)


def test_a_late_eyes_with_an_earlier_ts_goes_just_after_what_was_recorded_before() -> None:
    p, late_ts, checkin = (
        replace(post(), seq=1),
        replace(react(3, DEV), seq=3),
        bot(Kind.CHECKIN, 4),
    )
    first = replace(react(5, DEV2), seq=2)
    assert ordered([checkin, late_ts, first, p]) == [p, checkin, first, late_ts]


def test_a_reply_keeps_the_order_it_was_recorded_in() -> None:
    # Erin's 👀 (ts 3) was recorded before Dave's reply (ts 2): Erin holds the thread
    s = state(post(), react(3, DEV2), reply(2, DEV))
    assert s.assignee == DEV2
    assert s.claims == [Claim(DEV2, at(3))]
    assert s.first_response_at == at(2)
    assert s.updates == []
    assert state(post(), reply(2, DEV), react(3, DEV2)).assignee == DEV


def test_what_does_not_depend_on_the_holder_goes_by_ts() -> None:
    # the reply reached the bot before its thread's post: the post still comes first
    s = replay([replace(reply(1, DEV), seq=1), replace(post(0), seq=2)], POLICY)
    assert s.poster == POSTER
    assert s.assignee == DEV
    assert s.first_response_at == at(1)
    # an edit recorded late, with an earlier ts, raised the level before the reply
    raised = [replace(post(0, Level.GENERAL), seq=1), replace(reply(5, DEV), seq=2)]
    raised.append(replace(edit(2, "@oncall", Level.URGENT), seq=3))
    assert [e.kind for e in ordered(raised)] == [Kind.POST, Kind.EDIT, Kind.REPLY]
    assert replay(raised, POLICY).next_checkin_at == at(35)


def test_a_reaction_seen_before_its_message_counts_as_recorded_with_it() -> None:
    root = replace(post(), seq=1)
    eyes_on_reply = replace(react(3, DEV2, on=2), seq=2)  # arrived first, on a reply not seen
    the_reply = replace(reply(2, DEV), seq=3)
    events = [root, eyes_on_reply, the_reply]
    assert ordered(events) == [root, the_reply, eyes_on_reply]
    s = replay(events, POLICY)
    assert s.assignee == DEV
    assert s.watchers == [DEV2]


def test_events_of_the_same_ts_have_a_fixed_order() -> None:
    same = [bot(Kind.BREACH, 60), bot(Kind.CLAIM_REMINDER, 60), post(60)]
    assert [e.kind for e in ordered(same)] == [Kind.POST, Kind.CLAIM_REMINDER, Kind.BREACH]
    assert ordered(reversed(same)) == ordered(same)


def test_a_duplicate_changes_nothing() -> None:
    events = recorded(post(), react(1, DEV), reply(5, DEV, until=at(50)), bot(Kind.CHECKIN, 50))
    assert replay(events + events[1:2], POLICY).claims == replay(events, POLICY).claims
    assert replay(set(events) | set(events[:2]), POLICY) == replay(events, POLICY)


# ------------------------------------------------------------------- what to say


def test_an_urgent_thread_is_announced_once() -> None:
    s = state(post())
    assert changes(Said(), s, []) == [Change("announce", Level.URGENT, None, at=None)]
    assert changes(said_after(s), s, []) == []
    assert changes(Said(), state(post(0, Level.GENERAL)), []) == []


def test_a_claim_a_handoff_and_a_release_are_told() -> None:
    announced = Said(level=Level.URGENT)
    s = state(post(), react(1, DEV))
    assert changes(announced, s, []) == [Change("claimed", Level.URGENT, DEV, None, at(31))]
    held = said_after(s)
    assert held == Said(Level.URGENT, DEV, False, at(31))
    passed = state(post(), react(1, DEV), command(Kind.HANDOFF, 2, DEV, target=DEV2))
    assert changes(held, passed, []) == [Change("handed_off", Level.URGENT, DEV2, DEV, at(32))]
    gone = state(post(), react(1, DEV), react(2, DEV, added=False))
    assert changes(held, gone, []) == [Change("released", Level.URGENT, None, DEV)]


def test_a_raise_is_announced_not_claimed() -> None:
    s = state(post(), react(1, DEV), reply(5, POSTER, Level.EMERGENCY))
    said = Said(Level.URGENT, DEV, False, at(31))
    assert changes(said, s, []) == [Change("announce", Level.EMERGENCY, DEV, at=at(20))]


def test_an_eta_is_told_only_when_the_assignee_gave_one() -> None:
    said = Said(Level.URGENT, DEV, False, at(31))
    committed = reply(5, DEV, until=at(50))
    s = state(post(), react(1, DEV), committed)
    assert changes(said, s, [committed]) == [Change("eta", Level.URGENT, DEV, at=at(50))]
    chat = reply(5, DEV)  # the clock restarts without a word
    assert changes(said, state(post(), react(1, DEV), chat), [chat]) == []
    by_command = command(Kind.ETA, 5, DEV, until=at(90))
    s = state(post(), react(1, DEV), by_command)
    assert changes(said, s, [by_command]) == [Change("eta", Level.URGENT, DEV, at=at(90))]


def test_a_resolve_is_told_once_for_urgent_threads_only() -> None:
    s = state(post(), react(1, DEV), react(5, POSTER, "white_check_mark"))
    said = Said(Level.URGENT, DEV, False, at(31))
    assert changes(said, s, []) == [Change("resolved", Level.URGENT, POSTER)]
    assert changes(said_after(s), s, []) == []
    general = state(post(0, Level.GENERAL), react(1, DEV), command(Kind.RESOLVE, 2, DEV))
    assert changes(Said(), general, []) == []
