"""The life cycle of a general question: answered and then quiet for GENERAL_CLOSE_AFTER, it
closes without a word (a timed action of the bot's own); a new reply reopens it; an unanswered
one stays open."""

from __future__ import annotations

import itertools
from dataclasses import replace

from thread_events import DEV, DEV2, POLICY, POSTER, at, bot, edit, post, react, recorded, reply

from watchstander.domain.levels import Level
from watchstander.domain.thread import Claim, Due, Kind, ThreadState, due, next_due, replay

DAYS3 = 3 * 24 * 60  # GENERAL_CLOSE_AFTER's default, in minutes


def general(*events: object) -> ThreadState:
    return replay(recorded(post(0, Level.GENERAL), *events), POLICY)  # type: ignore[arg-type]


def test_an_answered_question_falls_due_to_close_when_quiet() -> None:
    s = general(reply(5, DEV), reply(20, POSTER))
    assert (s.answered_at, s.last_activity_at) == (at(5), at(20))
    assert next_due(s, POLICY) == Due(Kind.QUIET_CLOSE, at(20 + DAYS3))
    assert due(s, POLICY, at(20 + DAYS3 - 1)) is None
    assert due(s, POLICY, at(20 + DAYS3)) == Due(Kind.QUIET_CLOSE, at(20 + DAYS3))


def test_the_quiet_close_resolves_it_when_it_went_quiet_and_says_nothing_is_due() -> None:
    s = general(reply(5, DEV), reply(20, POSTER), bot(Kind.QUIET_CLOSE, 20 + DAYS3 + 0.5))
    assert not s.is_open
    assert s.closed_quietly
    assert (s.resolved_at, s.resolved_by) == (at(20), None)
    assert s.first_response_at == at(5)  # answered, as the figures count it
    assert s.claims == [Claim(DEV, at(5), at(20))]
    assert next_due(s, POLICY) is None
    assert s.bot_actions == [(at(20 + DAYS3 + 0.5), Kind.QUIET_CLOSE)]


def test_an_unanswered_question_never_closes_quietly() -> None:
    for s in (
        general(),
        general(reply(5, POSTER)),  # the poster alone
        general(react(5, DEV)),  # a 👀 is a claim, not an answer
        general(reply(5, POSTER), bot(Kind.QUIET_CLOSE, 5 + DAYS3 + 1)),
    ):
        assert s.is_open
        assert next_due(s, POLICY) is None


def test_a_reaction_or_any_message_restarts_the_quiet_period() -> None:
    s = general(reply(5, DEV), react(100, POSTER, "thumbsup", on=5))
    assert next_due(s, POLICY) == Due(Kind.QUIET_CLOSE, at(100 + DAYS3))
    # a close taken on the old due time, undone by a reaction it had not seen: still open
    late = general(reply(5, DEV), react(100, POSTER, "+1", on=5), bot(Kind.QUIET_CLOSE, 5 + DAYS3))
    assert late.is_open
    assert not late.closed_quietly


def test_a_new_reply_reopens_it_and_it_can_close_again() -> None:
    first = [reply(5, DEV), bot(Kind.QUIET_CLOSE, 5 + DAYS3)]
    s = general(*first, reply(6000, POSTER))
    assert s.is_open
    assert (s.resolved_at, s.closed_quietly, s.assignee) == (None, False, DEV)
    assert s.claims == [Claim(DEV, at(5))]  # the claim the close ended holds again
    assert next_due(s, POLICY) == Due(Kind.QUIET_CLOSE, at(6000 + DAYS3))
    again = general(*first, reply(6000, POSTER), bot(Kind.QUIET_CLOSE, 6000 + DAYS3))
    assert not again.is_open
    assert again.resolved_at == at(6000)
    assert [kind for _, kind in again.bot_actions] == [Kind.QUIET_CLOSE, Kind.QUIET_CLOSE]


def test_a_raised_level_reopens_it_and_it_is_then_watched() -> None:
    raised = edit(6000, "@oncall", Level.URGENT)
    s = general(reply(5, DEV), bot(Kind.QUIET_CLOSE, 5 + DAYS3), raised)
    assert s.is_open
    assert s.level is Level.URGENT
    assert s.watched
    assert next_due(s, POLICY) == Due(Kind.CHECKIN, at(6000 + 30))  # held by DEV: check-ins


def test_a_tick_still_resolves_at_once_and_nothing_closes_it_again() -> None:
    s = general(reply(5, DEV), react(10, POSTER, "white_check_mark"))
    assert (s.resolved_at, s.resolved_by, s.closed_quietly) == (at(10), POSTER, False)
    assert next_due(s, POLICY) is None
    later = general(reply(5, DEV), react(10, POSTER, "white_check_mark"), reply(20, DEV2))
    assert not later.is_open  # a reply after ✅ does not reopen it: only a quiet close does


def test_urgent_threads_never_close_quietly() -> None:
    s = replay(recorded(post(0), reply(5, DEV)), POLICY)
    assert next_due(s, POLICY) is not None
    assert next_due(s, POLICY).kind is not Kind.QUIET_CLOSE  # type: ignore[union-attr]
    closed = replay(recorded(post(0), reply(5, DEV), bot(Kind.QUIET_CLOSE, 5 + DAYS3)), POLICY)
    assert closed.is_open


def test_replay_is_the_same_whatever_the_order_and_twice_changes_nothing() -> None:
    events = recorded(
        post(0, Level.GENERAL),
        reply(5, DEV),
        bot(Kind.QUIET_CLOSE, 5 + DAYS3),
        reply(6000, POSTER),
        bot(Kind.QUIET_CLOSE, 6000 + DAYS3),
    )
    expected = replay(events, POLICY)
    assert not expected.is_open
    for order in itertools.permutations(events):
        assert replay(order, POLICY) == expected
    assert replay([*events, replace(events[2])], POLICY) == expected


def test_a_late_reply_recorded_after_the_close_with_an_earlier_ts_undoes_it() -> None:
    close = bot(Kind.QUIET_CLOSE, 5 + DAYS3)
    late = replace(reply(5 + DAYS3 - 1, DEV2), seq=9)  # sent before the close, seen after it
    s = replay([*recorded(post(0, Level.GENERAL), reply(5, DEV)), close, late], POLICY)
    assert s.is_open
    assert next_due(s, POLICY) == Due(Kind.QUIET_CLOSE, at(5 + 2 * DAYS3 - 1))
